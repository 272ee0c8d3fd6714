"""Writes the declared profiles and functions (app.accounts.roles) to FAB's role tables."""
from flask_appbuilder.const import PERMISSION_PREFIX

from app.accounts.roles import ADMIN, FUNCTIONS, PROFILE_NAMES, grants_for_role


def entry_permission(view) -> str:
    """The permission the page a menu entry opens (the view's default method) checks: can_read
    for lists, can_write for forms such as Abrir chamado."""
    method = view.default_view
    return PERMISSION_PREFIX + (view.method_permission_name or {}).get(method, method)


def menu_resources(appbuilder):
    """(category name, menu entry name, resource, permission its page needs) for every menu
    entry backed by a view."""
    for category in appbuilder.menu.get_list():
        for item in category.childs or [category]:
            if item and item.baseview is not None:
                parent = category.name if category.childs else None
                yield (parent, item.name, item.baseview.class_permission_name,
                       entry_permission(item.baseview))


def sync_roles(appbuilder) -> None:
    """Idempotent: each profile and function holds exactly what app.accounts.roles declares
    (grants no longer declared, or added by hand, are taken away); the admin holds everything."""
    sm = appbuilder.sm
    sm.add_role(ADMIN)
    sm.add_role(sm.auth_role_public)
    appbuilder.add_permissions(update_perms=True)
    entries = list(menu_resources(appbuilder))
    for role_name in [*PROFILE_NAMES, *FUNCTIONS]:
        role = sm.add_role(role_name)
        if role_name == ADMIN:
            continue
        grants = grants_for_role(role_name)
        wanted = {(perm, resource) for resource, perms in grants.items() for perm in perms}
        for category, name, resource, needed in entries:
            if needed in grants.get(resource, ()):
                wanted.add(("menu_access", name))
                if category:
                    wanted.add(("menu_access", category))
        have = {(pv.permission.name, pv.view_menu.name): pv for pv in role.permissions}
        for permission, view in sorted(wanted - set(have)):
            sm.add_permission_role(role, sm.add_permission_view_menu(permission, view))
        for pair in sorted(set(have) - wanted):
            sm.del_permission_role(role, have[pair])
    admin = sm.find_role(ADMIN)
    missing = set(sm.session.query(sm.permissionview_model).all()) - set(admin.permissions)
    for pv in missing:
        sm.add_permission_role(admin, pv)

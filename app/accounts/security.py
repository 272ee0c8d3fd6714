"""PWS security manager: the extended user, its admin screen and cached permission checks."""
from urllib.parse import urlsplit

from flask import g
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import RoleModelView
from flask_appbuilder.security.sqla.models import (
    Permission, PermissionView, Role, ViewMenu, assoc_permissionview_role,
)
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import sessions
from app.accounts.models import PortalUser
from app.accounts.principal import load_request_user, user_links
from app.accounts.views import MyDataView, PortalUserView
from app.core.cache import reference
from app.core.i18n import lazy_gettext as _l
from app.core.views import UNEXPOSED_MODELVIEW_ROUTES, BoundedLists, PostOnlyActions, ScopedInterface


class RoleInterface(ScopedInterface):
    """Roles with their permissions, names included, loaded with the page (not per row)."""

    def apply_all(self, query, *args, **kwargs):
        permissions = selectinload(Role.permissions)
        return super().apply_all(query, *args, **kwargs).options(
            permissions.joinedload(PermissionView.permission),
            permissions.joinedload(PermissionView.view_menu))


class PortalRoleView(BoundedLists, PostOnlyActions, RoleModelView):
    route_base = "/perfis"
    exclude_route_methods = UNEXPOSED_MODELVIEW_ROUTES
    list_title = _l("Perfis e funções")
    search_columns = ["name"]
    label_columns = {"name": _l("Nome"), "permissions": _l("Permissões"), "user": _l("Usuários"),
                     "groups": _l("Grupos")}


class PortalSecurityManager(SecurityManager):
    user_model = PortalUser
    userdbmodelview = PortalUserView
    userinfoeditview = MyDataView
    rolemodelview = PortalRoleView

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        # FAB resets the user screen to a plain SQLAInterface: put the scoped one back.
        self.userdbmodelview.datamodel = ScopedInterface(self.user_model)
        self.rolemodelview.datamodel = RoleInterface(self.role_model)

    def create_db(self) -> None:
        """Schema comes from Alembic; roles are seeded by ``flask pws init``."""

    # --- permission checks: the roles come with the user's links (one query per request), the
    # permissions of a set of roles from the per-process reference cache ---
    def _permissions_of(self, user) -> frozenset[tuple[str, str]]:
        """The (permission, view) pairs of the user's roles (a visitor's: the public role's)."""
        granted = g.setdefault("pws_permissions", {})
        if getattr(user, "is_authenticated", False):
            role_ids = user_links(user.id).roles
        else:  # a visitor's role is read per request: with the database down he gets the 503 page
            if "public" not in granted:
                granted["public"] = self._public_role_ids()
            role_ids = granted["public"]
        return self.permissions_of_roles(role_ids)

    def permissions_of_roles(self, role_ids: tuple[int, ...]) -> frozenset[tuple[str, str]]:
        """The (permission, view) pairs a set of roles grants (per request, per process)."""
        granted = g.setdefault("pws_permissions", {})
        if role_ids not in granted:
            granted[role_ids] = reference(f"permissions:{role_ids}", lambda: self._read_permissions(role_ids))
        return granted[role_ids]

    def _public_role_ids(self) -> tuple[int, ...]:
        public = self.role_by_name(self.auth_role_public)
        return (public.id,) if public else ()

    def _read_permissions(self, role_ids: tuple[int, ...]) -> frozenset[tuple[str, str]]:
        rows = self.session.execute(
            select(Permission.name, ViewMenu.name)
            .select_from(PermissionView)
            .join(Permission, PermissionView.permission_id == Permission.id)
            .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
            .join(assoc_permissionview_role,
                  assoc_permissionview_role.c.permission_view_id == PermissionView.id)
            .where(assoc_permissionview_role.c.role_id.in_(role_ids))
        ).all()
        return frozenset((perm, view) for perm, view in rows)

    def permissions_of(self, user) -> frozenset[tuple[str, str]]:
        """The request user's (or a visitor's) permissions (per request, per set of roles)."""
        return self._permissions_of(user if user is not None else _Anonymous())

    def has_access(self, permission_name: str, view_name: str) -> bool:
        """FAB's check without its per-call user re-validation: the request's user (session, JWT
        or API key) was loaded and checked once; the menu alone asks dozens of times."""
        user = g.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            return bool(user.is_active) and (permission_name, view_name) in self._permissions_of(user)
        return super().has_access(permission_name, view_name)

    def get_user_roles(self, user):
        """PWS grants through roles only (no FAB groups): one query less per request."""
        if not getattr(user, "is_authenticated", False):
            return [self.get_public_role()]
        return list(user.roles)

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        return (permission_name, view_name) in self._permissions_of(user)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        user = user if user is not None else _Anonymous()
        granted = self._permissions_of(user)
        return {name for name in view_menus_name if (permission_name, name) in granted}

    def is_item_public(self, permission_name, view_name):
        return self._has_view_access(_Anonymous(), permission_name, view_name)

    def register_views(self) -> None:
        """Only what PWS uses: login, own profile and password, users and roles under Config."""
        appbuilder = self.appbuilder
        appbuilder.add_api(self.security_api)
        appbuilder.add_view_no_menu(self.userinfoeditview())
        appbuilder.add_view_no_menu(self.resetpasswordview())
        appbuilder.add_view_no_menu(self.resetmypasswordview())
        self.auth_view = self.authdbview()
        appbuilder.add_view_no_menu(self.auth_view)
        if self.is_auth_limited:  # failed attempts count, not an office's logins behind one address
            self.limiter.limit(self.auth_rate_limit, methods=["POST"], deduct_when=login_failed)(
                self.auth_view.blueprint)
        self.user_view = appbuilder.add_view(
            self.userdbmodelview, "Users", icon="fa-users", label=_l("Administrar usuários"),
            category="Config", category_label=_l("Configurações"), category_icon="fa-cog",
        )
        appbuilder.add_view(
            self.rolemodelview, "Roles", icon="fa-id-badge", label=_l("Perfis e funções"),
            category="Config",
        )

    def load_user(self, pk):
        """The session's user, unless his sessions were ended since this cookie was issued."""
        user = load_request_user(int(pk))
        return user if user is not None and user.is_active and sessions.is_current(user) else None

    def load_user_jwt(self, _jwt_header, jwt_data):
        """API tokens are not browser sessions: only the active flag counts (no cookie here)."""
        user = load_request_user(int(jwt_data["sub"]))
        if user and user.is_active:
            g.user = user
            return user
        return None

    def role_by_name(self, name: str) -> Role | None:
        return self.session.execute(select(Role).where(Role.name == name)).scalar_one_or_none()


def login_failed(response) -> bool:
    """A login form answer that is not a success: FAB sends a good login away from the login
    page and a bad one (or a refused form) back to it."""
    if response.status_code != 302:
        return True
    return urlsplit(response.headers.get("Location", "")).path.rstrip("/").endswith("/login")


class _Anonymous:
    is_authenticated = False


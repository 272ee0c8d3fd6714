"""Where PWS overrides or copies Flask-AppBuilder (and the two Jinja / Flask-Babel internals it
replicates), the upstream code it was written against is pinned here by hash: an upgrade that
changes any of it fails with the list to re-review (docs/decisions.md, "FAB overrides").

Overrides of FAB's documented hooks (``pre_add``, ``form_get``, a filter's ``apply``…) are not
pinned: they are the seams FAB offers. Every other FAB method an app class redefines, and every
FAB template PWS shadows or copies, must be listed, so a new override cannot slip in unpinned.
"""
import hashlib
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

import flask_appbuilder

import app as app_package

HOOKS = {"__init__", "pre_add", "pre_update", "pre_delete", "post_add", "post_update", "post_delete",
         "form_get", "form_post", "apply", "render_template", "index", "convert"}
# FAB 5.3.0's methods that PWS redefines: sha256 of their source (first 16 hex digits).
PINNED_METHODS = {
    "flask_appbuilder.api.BaseApi.add_apispec_components": "b327002f883f6aa7",
    "flask_appbuilder.api.BaseApi.create_blueprint": "89575db36b39fffa",
    "flask_appbuilder.baseviews.BaseCRUDView._get_list_widget": "b8bd9f3ee791aece",
    "flask_appbuilder.baseviews.BaseCRUDView._list": "272a87f649f928b5",
    "flask_appbuilder.baseviews.BaseCRUDView._init_forms": "2073f5423803e18b",
    "flask_appbuilder.baseviews.BaseCRUDView._init_properties": "4bdd672231ced1d5",
    "flask_appbuilder.baseviews.BaseFormView._get_edit_widget": "08a5d1e694a7635a",
    "flask_appbuilder.baseviews.BaseView.update_redirect": "c846e6866070f23d",
    "flask_appbuilder.models.base.BaseInterface.get_filters": "5ac46332e30a05c4",
    "flask_appbuilder.models.base.BaseInterface.get_values": "5f110eadf9bddd55",
    "flask_appbuilder.models.filters.Filters.add_filter_index": "bed152217e0a8ea2",
    "flask_appbuilder.models.sqla.interface.SQLAInterface._get_base_query": "ed5569c20feaf0d4",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.add": "7214ba3cc5517d57",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.apply_all": "ab10fda4205c6dd7",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.apply_filters": "aa7c2a4f83214d1e",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.edit": "10a28bf70ba495af",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.get": "22ae3ffef6d52c71",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.get_related_interface": "47304ccb6c3ef36c",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.get_related_obj": "ec3b823f2b02c820",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.query": "47d8b1bfa8b7d542",
    "flask_appbuilder.models.sqla.interface.SQLAInterface.query_count": "ac0f517b4531babe",
    "flask_appbuilder.security.manager.BaseSecurityManager._get_user_permission_view_menus": "76adda7d16224842",
    "flask_appbuilder.security.manager.BaseSecurityManager._has_view_access": "80b51dc9e8d980a0",
    "flask_appbuilder.security.manager.BaseSecurityManager.auth_user_db": "a0ef38cf2f15e396",
    "flask_appbuilder.security.manager.BaseSecurityManager.create_jwt_manager": "193ad6099e2aac8f",
    "flask_appbuilder.security.manager.BaseSecurityManager.get_user_roles": "340d1d7627ba72bd",
    "flask_appbuilder.security.manager.BaseSecurityManager.has_access": "47d07058e3490d53",
    "flask_appbuilder.security.manager.BaseSecurityManager.is_item_public": "7226c17b23566dd6",
    "flask_appbuilder.security.manager.BaseSecurityManager.load_user": "2f050bc6a3a74f94",
    "flask_appbuilder.security.manager.BaseSecurityManager.load_user_jwt": "48995ee8a1baff57",
    "flask_appbuilder.security.sqla.manager.SecurityManager.create_db": "919dd3f162637f4e",
    "flask_appbuilder.security.views.AuthView.logout": "cfaa2bd916b80180",
    "flask_appbuilder.security.sqla.manager.SecurityManager.register_views": "f53752629ef19a48",
    "flask_appbuilder.security.views.UserDBModelView.show": "1c81f6e708704c78",
    "flask_appbuilder.views.ModelView.action": "2a262383056ce673",
    "flask_appbuilder.views.ModelView.action_post": "1cae459adb1785b4",
    "flask_appbuilder.views.ModelView.add": "15ef7a4f9904f05a",
    "flask_appbuilder.views.ModelView.delete": "be011a573fad916c",
    "flask_appbuilder.views.ModelView.edit": "23515051a66d959c",
    "flask_appbuilder.views.ModelView.show": "1e8e6f5412bead87",
}
# Functions PWS replaces without subclassing: FAB's page and sort links (app/registry.py),
# Jinja's newstyle gettext (registry.template_gettext) and the lazy string it reads
# (app/core/i18n.py).
PINNED_FUNCTIONS = {
    "flask_appbuilder.filters.TemplateFilters.link_page_filter": "1e4e7a939c41390c",
    "flask_appbuilder.filters.TemplateFilters.link_order_filter": "7be859e56faece21",
    "jinja2.ext._make_new_gettext": "fae00437e53e3604",
    "flask_babel.speaklater.LazyString.__init__": "ec02d0c0dcb126d2",
}
# FAB templates PWS shadows (app/templates/appbuilder/…) or copies under its own name.
PINNED_TEMPLATES = {
    "appbuilder/baselayout.html": "105fed3336242802",
    "appbuilder/general/alert.html": "a1d8f674dcdba297",
    "appbuilder/general/confirm.html": "b40fa102c061f75b",
    "appbuilder/general/security/login_db.html": "809558f64c446bff",
    "appbuilder/init.html": "63cd58ec542d996f",
    "appbuilder/navbar.html": "140e7b7ef55a8b66",
    "appbuilder/navbar_right.html": "0a7b39c996f2f3a1",
    "appbuilder/navbar_menu.html": "c80d05552fa166cf",  # copied as pws/navbar_menu.html
    # render_list_header copied into pws/widgets/list.html's list_header block
    "appbuilder/general/lib.html": "d91fc4025d4fc213",
}
COPIED_TEMPLATES = {"pws/navbar_menu.html": "appbuilder/navbar_menu.html",
                    "pws/widgets/list.html": "appbuilder/general/lib.html"}
TEMPLATES = Path(app_package.__file__).parent / "templates"
FAB_TEMPLATES = Path(flask_appbuilder.__file__).parent / "templates"


def _digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()[:16]


def _resolve(dotted: str):
    module_name, _, rest = dotted.partition(".")
    module = importlib.import_module(module_name)
    parts = rest.split(".")
    while parts and hasattr(module, "__path__") and f"{module.__name__}.{parts[0]}" not in sys.modules:
        try:
            module = importlib.import_module(f"{module.__name__}.{parts[0]}")
        except ModuleNotFoundError:
            break
        parts = parts[1:]
    target = module
    for part in parts:
        target = getattr(target, part) if not inspect.isclass(target) else vars(target)[part]
    return target


def _overrides(app) -> dict[str, list[str]]:
    """FAB method -> the PWS classes that redefine it (mixins included)."""
    for info in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(info.name)
    found: dict[str, list[str]] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("app."):
            continue
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != name:
                continue
            fab = [base for base in cls.__mro__ if base.__module__.startswith("flask_appbuilder")]
            for klass in (k for k in cls.__mro__ if k.__module__.startswith("app")):
                for attr, value in vars(klass).items():
                    base = next((b for b in fab if attr in vars(b)), None)
                    if base is None or attr in HOOKS or not inspect.isfunction(value):
                        continue
                    key = f"{base.__module__}.{base.__qualname__}.{attr}"
                    where = f"{klass.__module__}.{klass.__qualname__}"
                    if where not in found.setdefault(key, []):
                        found[key].append(where)
    return found


def test_every_override_of_fab_is_pinned(app):
    overrides = _overrides(app)
    unpinned = sorted(f"{key} (in {', '.join(where)})" for key, where in overrides.items()
                      if key not in PINNED_METHODS)
    stale = sorted(set(PINNED_METHODS) - set(overrides))
    assert not unpinned, "FAB methods overridden without a pin: add them here and to docs/decisions.md:\n" \
        + "\n".join(unpinned)
    assert not stale, f"pinned but no longer overridden (remove the pin and its note): {stale}"


def test_the_fab_code_pws_overrides_is_the_one_it_was_written_against(app):
    changed = [key for key, digest in {**PINNED_METHODS, **PINNED_FUNCTIONS}.items()
               if _digest(inspect.getsource(_resolve(key))) != digest]
    assert not changed, ("the upstream code changed under these overrides; re-review each (docs/decisions.md, "
                         "'FAB overrides'), then update its pin:\n" + "\n".join(changed))


def test_every_shadowed_or_copied_fab_template_is_pinned_and_unchanged():
    shadowed = {str(path.relative_to(TEMPLATES)) for path in (TEMPLATES / "appbuilder").rglob("*.html")}
    expected = shadowed | set(COPIED_TEMPLATES.values())
    assert expected == set(PINNED_TEMPLATES), f"unpinned: {sorted(expected - set(PINNED_TEMPLATES))}"
    changed = [name for name, digest in PINNED_TEMPLATES.items()
               if _digest((FAB_TEMPLATES / name).read_bytes()) != digest]
    assert not changed, ("FAB changed these templates PWS overrides or copies; compare and carry the change "
                         "over, then update the pin:\n" + "\n".join(changed))

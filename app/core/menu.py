"""Page fragments rendered once per process: the top menu and the dashboard's shortcuts per set
of permissions (and answers of the entries shown on a condition) and language, and the
fragments that read nothing of the request (the frame's dialogs and footer) per language.

Every page shows the menu, and FAB's template checks, translates and builds the URL of each
entry on every request; the result depends only on the user's permissions.
"""
from flask import current_app, g, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

MAX_VARIANTS = 64  # (template, permission set) pairs kept; a handful of profiles in practice


def _rendered_once(template: str, variant, **context) -> Markup:
    key = (template, variant, str(get_locale()), request.script_root)
    store = current_app.extensions.setdefault("pws_menu_cache", {})
    html = store.get(key)
    if html is None:
        if len(store) >= MAX_VARIANTS:
            store.clear()
        rendered = render_template(template, **context)
        html = store[key] = Markup(rendered)  # nosec B704  # an autoescaped template's output
    return html


def _conditions(items) -> tuple:
    """The answers of the entries shown on a condition (``menu_cond``): part of the variant."""
    answers = []
    for item in items:
        if item.cond is not None:
            answers.append((item.name, item.should_render()))
        answers.extend(_conditions(item.childs or ()))
    return tuple(answers)


def _per_permissions(template: str) -> Markup:
    menu = current_app.appbuilder.menu
    granted = current_app.appbuilder.sm.permissions_of(g.get("user"))
    return _rendered_once(template, (granted, _conditions(menu.get_list())), menu=menu)


def cached_menu() -> Markup:
    return _per_permissions("pws/navbar_menu.html")


def cached_shortcuts() -> Markup:
    return _per_permissions("pws/shortcuts.html")


def static_fragment(template: str) -> Markup:
    """A fragment that shows the same to everyone (it reads only the language)."""
    return _rendered_once(template, None)

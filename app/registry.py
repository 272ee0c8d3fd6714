"""Registers every area's views and APIs, template helpers and error handlers."""
from urllib.parse import urlencode

from flask import abort, current_app, g, request, url_for
from jinja2 import pass_eval_context
from markupsafe import Markup

from app.core import menu, numbers, timefmt
from app.core.i18n import translations
from app.core.scoping import OutOfScope, selected_company_id


@pass_eval_context
def template_gettext(eval_ctx, message, **variables):
    """``_()`` in templates: what Jinja's newstyle gettext does (translate, mark safe, fill in the
    variables, escaped), without its two extra call layers, and each catalog's translated markup
    kept per message: a card list asks for the same labels a hundred times a page."""
    catalogue = translations()
    if not eval_ctx.autoescape:
        return catalogue.ugettext(message) % variables
    markups = catalogue.__dict__.setdefault("pws_markups", {})
    markup = markups.get(message)
    if markup is None:
        markup = _translated_markup(catalogue, message)
        if isinstance(message, str):
            markups[message] = markup
    return markup % variables if variables or "%" in markup else markup


def _translated_markup(catalogue, message) -> Markup:
    """A catalogue entry as markup, as Jinja's own gettext marks it: the message ids are the
    templates' literals and their translations ours; the variables are escaped when filled in."""
    return Markup(catalogue.ugettext(message))  # nosec B704  # our catalogue, not user data


def template_url_for(endpoint, **values):
    """``url_for`` in templates. A static file's URL (a page links about twenty: stylesheets,
    scripts) is built once per process and script root; every other URL as Flask builds it."""
    if not endpoint.endswith("static") or any(name.startswith("_") for name in values):
        return url_for(endpoint, **values)
    urls = current_app.extensions.setdefault("pws_static_urls", {})
    key = (endpoint, request.script_root, tuple(sorted(values.items())))
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint, **values)
    return url


ROW_PLACEHOLDER = 9_876_543_210_123  # an id no row has, replaced by each row's


def row_url(endpoint: str, pk) -> str:
    """The URL of one row's page in a list: every row links to the same endpoint, so Flask
    builds the URL once per request and endpoint and each row puts its id in it."""
    urls = g.setdefault("pws_row_urls", {})
    url = urls.get(endpoint)
    if url is None:
        url = urls[endpoint] = url_for(endpoint, pk=ROW_PLACEHOLDER)
    return url.replace(str(ROW_PLACEHOLDER), str(pk))


_QUERY_SAFE = "!$'()*,/:;?@"  # what Werkzeug leaves unescaped in a query it builds


def _this_page_with(changes: dict) -> str:
    """This page's URL with some query arguments set, as FAB's ``link_page`` and ``link_order``
    filters build it with ``url_for``; the path is built once per request (a list page has a
    dozen such links: pages, sort columns)."""
    path = g.get("pws_page_path")
    if path is None:
        path = g.pws_page_path = url_for(request.endpoint, **request.view_args)
    args = {**request.args.to_dict(), **changes}
    return f"{path}?{urlencode(args, safe=_QUERY_SAFE)}" if args else path


def link_page(page, modelview_name) -> str:
    return _this_page_with({f"page_{modelview_name}": page})


def link_order(column, modelview_name) -> str:
    """Sort by ``column``: ascending first, then each click reverses the order."""
    order_key, direction_key = f"_oc_{modelview_name}", f"_od_{modelview_name}"
    descending = order_key in request.args and request.args.get(direction_key) == "asc"
    return _this_page_with({order_key: column, direction_key: "desc" if descending else "asc"})


def register_all(app, appbuilder):
    from app.accounts import change_log, reset_views
    from app.billing import views as billing_views
    from app.calls import labels as call_labels
    from app.calls import views as call_views
    from app.catalog import views as catalog_views
    from app.catalog.companies import selectable_companies
    from app.contact import views as contact_views
    from app.dashboard import views as dashboard_views
    from app.deliveries import views as deliveries_views
    from app.field import views as field_views
    from app.indicators import views as indicator_views
    from app.lgpd import views as lgpd_views
    from app.notifications import views as notification_views
    from app.supplies import views as supplies_views
    from app.sync import views as sync_views

    for area in (catalog_views, dashboard_views, call_views, call_labels, supplies_views,
                 deliveries_views, billing_views, notification_views, reset_views, lgpd_views,
                 contact_views, field_views, sync_views, change_log, indicator_views):
        area.register(appbuilder)

    app.jinja_env.filters["datahora"] = timefmt.format_datetime
    app.jinja_env.filters["data"] = timefmt.format_date
    app.jinja_env.filters["numero"] = numbers.format_integer
    app.jinja_env.filters["tamanho"] = numbers.format_size
    app.jinja_env.globals["pws_selectable_companies"] = selectable_companies
    app.jinja_env.globals["pws_selected_company_id"] = selected_company_id
    app.jinja_env.globals["pws_can_view_monitoring"] = dashboard_views.can_view_monitoring
    app.jinja_env.globals["pws_menu"] = menu.cached_menu
    app.jinja_env.globals["pws_shortcuts"] = menu.cached_shortcuts
    app.jinja_env.globals["pws_static_fragment"] = menu.static_fragment
    # Templates translate dozens of strings per page (a card list: 15 per card); Flask-Babel
    # looks its catalog up again for each. Once per request (or app context) is enough.
    app.jinja_env.install_gettext_callables(
        lambda message: translations().ugettext(message),
        lambda singular, plural, n: translations().ungettext(singular, plural, n),
        newstyle=True)
    app.jinja_env.globals["_"] = template_gettext
    app.jinja_env.globals["url_for"] = template_url_for
    app.jinja_env.globals["row_url"] = row_url
    app.jinja_env.filters["link_page"] = link_page
    app.jinja_env.filters["link_order"] = link_order

    @app.errorhandler(OutOfScope)
    def out_of_scope(_error):
        abort(404)

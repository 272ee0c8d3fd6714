"""Registers every area's views and APIs, template helpers and error handlers."""
from flask import abort, g
from flask_babel import get_translations

from app.core import menu, timefmt
from app.core.scoping import OutOfScope, selected_company_id


def _translations():
    translations = g.get("pws_translations")
    if translations is None:
        translations = g.pws_translations = get_translations()
    return translations


def register_all(app, appbuilder):
    from app.accounts import lgpd_views, reset_views
    from app.billing import views as billing_views
    from app.calls import labels as call_labels
    from app.calls import views as call_views
    from app.catalog import views as catalog_views
    from app.contact import views as contact_views
    from app.dashboard import views as dashboard_views
    from app.deliveries import views as deliveries_views
    from app.field import views as field_views
    from app.notifications import views as notification_views
    from app.supplies import views as supplies_views
    from app.sync import views as sync_views

    for area in (catalog_views, dashboard_views, call_views, call_labels, supplies_views,
                 deliveries_views, billing_views, notification_views, reset_views, lgpd_views,
                 contact_views, field_views, sync_views):
        area.register(appbuilder)

    app.jinja_env.filters["datahora"] = timefmt.format_datetime
    app.jinja_env.filters["data"] = timefmt.format_date
    app.jinja_env.globals["pws_selectable_companies"] = dashboard_views.selectable_companies
    app.jinja_env.globals["pws_selected_company_id"] = selected_company_id
    app.jinja_env.globals["pws_can_view_monitoring"] = dashboard_views.can_view_monitoring
    app.jinja_env.globals["pws_menu"] = menu.cached_menu
    app.jinja_env.globals["pws_shortcuts"] = menu.cached_shortcuts
    # Templates translate dozens of strings per page (a card list: 15 per card); Flask-Babel
    # looks its catalog up again for each. Once per request (or app context) is enough.
    app.jinja_env.install_gettext_callables(
        lambda message: _translations().ugettext(message),
        lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True)

    @app.errorhandler(OutOfScope)
    def out_of_scope(_error):
        abort(404)

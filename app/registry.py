"""Registers every area's views and APIs, template helpers and error handlers."""
from flask import abort

from app.core import timefmt
from app.core.scoping import OutOfScope, selected_company_id


def register_all(app, appbuilder):
    from app.catalog import views as catalog_views
    from app.dashboard import views as dashboard_views
    from app.sync import views as sync_views

    for area in (catalog_views, dashboard_views, sync_views):
        area.register(appbuilder)

    app.jinja_env.filters["datahora"] = timefmt.format_datetime
    app.jinja_env.filters["data"] = timefmt.format_date
    app.jinja_env.globals["pws_selectable_companies"] = dashboard_views.selectable_companies
    app.jinja_env.globals["pws_selected_company_id"] = selected_company_id

    @app.errorhandler(OutOfScope)
    def out_of_scope(_error):
        abort(404)

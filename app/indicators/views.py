"""Indicadores: the screen (charts, their tables, filters) and each table's CSV download."""
import csv
import io

from flask import Response, abort, current_app, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app.core.db import utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import current_principal
from app.core.timefmt import to_local
from app.core.views import PortalBaseView
from app.notifications.worker import on_tick
from app.indicators import services
from app.indicators.monthly import send_monthly_indicators
from app.indicators.pdf import build_pdf

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(table: services.Table) -> str:
    """The table as a pt-BR spreadsheet opens it: ``;`` between cells, the cells as shown."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(column) for column in table.columns])
    for row in table.cells():
        writer.writerow(["'" + value if value.startswith(FORMULA_STARTS) else value for value in row])
    return out.getvalue()


class IndicatorsView(PortalBaseView):
    """The dealer's (or the client's) service figures over a period, as charts and tables."""

    route_base = "/indicadores"
    class_permission_name = "Indicators"
    base_permissions = ["can_read"]
    method_permission_name = {"index": "read", "download": "read", "pdf": "read"}
    default_view = "index"

    @staticmethod
    def _filters() -> services.Filters:
        return services.Filters.from_args(request.args, to_local(utcnow()).date())

    def _with_supplies(self) -> bool:
        """The supplies figures only for who may read the supply requests."""
        return self.appbuilder.sm.has_access("can_read", "SupplyRequest")

    @expose("/")
    @has_access
    def index(self):
        filters = self._filters()
        principal = current_principal()
        return self.render_template(
            "indicators/index.html", filters=filters, tables=services.indicators(filters, self._with_supplies()),
            companies=[] if principal.client_side else services.companies())

    @expose("/csv/<name>")
    @has_access
    def download(self, name):
        filters = self._filters()
        table = services.indicator(filters, name, self._with_supplies())
        if table is None:
            abort(404)
        filename = f"indicadores-{name}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
        return Response("\ufeff" + csv_text(table), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @expose("/pdf")
    @has_access
    def pdf(self):
        filters = self._filters()
        body = build_pdf(filters, services.indicators(filters, self._with_supplies()))
        filename = f"indicadores-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.pdf"
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def register(appbuilder):
    on_tick(current_app._get_current_object(), "monthly_indicators", send_monthly_indicators)
    appbuilder.add_view(IndicatorsView, "Indicators", label=_l("Indicadores"), icon="fa-bar-chart",
                        category="Calls")

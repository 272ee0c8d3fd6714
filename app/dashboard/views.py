"""Tela inicial (§1.2): shortcuts and the role's panels; the Dashboard de monitoramento
(§3.2.1.8); the company selector."""
from flask import abort, current_app, g, redirect, request, session, url_for
from flask_appbuilder import IndexView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _

from app.calls import queries as call_queries
from app.calls import services as call_services
from app.catalog.companies import selectable_companies
from app.core.db import utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import SELECTED_COMPANY_KEY
from app.core.views import PortalBaseView
from app.dashboard import services
from app.sync import services as sync_services

# Panel -> the permission and resource that show it (pending deliveries: those who confirm them).
PANELS = (
    ("calls", "can_read", "ServiceCall"),
    ("attendances", "can_read", "Attendance"),
    ("pre_service", "can_read", "PreService"),
    ("supplies", "can_read", "SupplyRequest"),
    ("deliveries", "can_write", "Delivery"),
    ("billing", "can_read", "BillingFile"),
)
PANEL_QUERIES = {
    "calls": lambda: call_queries.latest_calls(services.PANEL_SIZE),
    "attendances": services.latest_attendances,
    "pre_service": services.latest_pre_service_messages,
    "supplies": services.latest_supply_requests,
    "deliveries": services.pending_deliveries,
    "billing": services.latest_billing_files,
}


def _has_read(resource: str, permission: str = "can_read") -> bool:
    return current_app.appbuilder.sm.has_access(permission, resource)


def can_view_monitoring() -> bool:
    """The Monitoring permission and the user's own "Visualizar monitoramento" flag."""
    user = g.get("user")
    if user is None or not user.is_authenticated:
        return False
    return bool(getattr(user, "can_view_monitoring", False)) and _has_read("Monitoring")


class PortalIndexView(IndexView):
    """Anonymous visitors go to the login; everyone else sees his dashboard."""

    index_template = "dashboard/index.html"

    @expose("/")
    def index(self):
        if not g.user or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        panels = {name: PANEL_QUERIES[name]() for name, permission, resource in PANELS
                  if _has_read(resource, permission)}
        calls = panels.get("calls", [])
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, panels=panels, title=_("Dashboard"),
            states=call_services.deadline_states(calls), status_labels=call_services.STATUS_LABELS,
            thread_labels={"dealer": call_services.AWAITING_INTERACTION,
                           "client": call_services.AWAITING_ANSWER})


class MonitoringView(PortalBaseView):
    """Dashboard de monitoração: the last 20 calls with their deadlines and the last sync."""

    route_base = "/monitoramento"
    page_title = _l("Dashboard de monitoração")
    class_permission_name = "Monitoring"
    base_permissions = ["can_read"]
    method_permission_name = {"monitor": "read"}
    default_view = "monitor"

    @expose("/")
    @has_access
    def monitor(self):
        if not can_view_monitoring():
            abort(403)
        now = utcnow()
        calls = call_queries.latest_calls(services.MONITORING_SIZE)
        last_sync = sync_services.last_sync_at()
        return self.render_template(
            "dashboard/monitoring.html", calls=calls, now=now,
            states=call_services.deadline_states(calls, now),
            status_labels=call_services.STATUS_LABELS, last_sync=last_sync,
            sync_stale=sync_services.is_stale(last_sync, now))


class CompanySelectorView(PortalBaseView):
    """POST-only: narrows every list to one company, or back to "Todas"."""

    route_base = "/empresa"
    class_permission_name = "Dashboard"
    method_permission_name = {"select": "read"}
    default_view = "select"

    @expose("/selecionar", methods=["POST"])
    @has_access
    def select(self):
        choice = request.form.get("company_id", "")
        allowed = {c.id for c in selectable_companies()}
        if choice.isdigit() and int(choice) in allowed:
            session[SELECTED_COMPANY_KEY] = int(choice)
        else:
            session.pop(SELECTED_COMPANY_KEY, None)
        return redirect(url_for("PortalIndexView.index"))


def register(appbuilder):
    appbuilder.add_view_no_menu(CompanySelectorView())
    appbuilder.add_view_no_menu(MonitoringView())

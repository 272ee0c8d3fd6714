"""The filters of the Atendimentos – APP screen (§3.3.3.3): chamado web, chamado ILUX, status,
cliente, técnico, período. Each narrows a query that is already scoped to the user."""
from datetime import timedelta

from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import or_, select

from app.calls.models import ServiceCall
from app.catalog.models import Client
from app.core.search import starts_with
from app.core.timefmt import local_midnight_utc
from app.field.models import Attendance


class _AttendanceFilter(BaseFilter):
    """Applied by the screen's own filter form, never offered in FAB's search widget."""


class CallNumberFilter(_AttendanceFilter):
    name = "Chamado web"
    arg_name = "pws_att_call"

    def apply(self, query, value):
        return query.filter(Attendance.call_id == value)


class CallErpFilter(_AttendanceFilter):
    name = "Chamado ILUX"
    arg_name = "pws_att_erp"

    def apply(self, query, value):
        return query.filter(Attendance.call_id.in_(select(ServiceCall.id).where(ServiceCall.erp_id == value)))


class ClientNameFilter(_AttendanceFilter):
    """Razão social or nome fantasia starting with the text (indexable LIKE)."""

    name = "Cliente"
    arg_name = "pws_att_client"

    def apply(self, query, value):
        clients = select(Client.id).where(or_(starts_with(Client.name, value),
                                              starts_with(Client.trade_name, value)))
        calls = select(ServiceCall.id).where(ServiceCall.client_id.in_(clients))
        return query.filter(Attendance.call_id.in_(calls))


class TechnicianFilter(_AttendanceFilter):
    name = "Técnico"
    arg_name = "pws_att_tech"

    def apply(self, query, value):
        return query.filter(Attendance.technician_id == value)


class StatusFilter(_AttendanceFilter):
    name = "Status"
    arg_name = "pws_att_status"

    def apply(self, query, value):
        return query.filter(Attendance.status == value)


class StartedFromFilter(_AttendanceFilter):
    name = "Período inicial"
    arg_name = "pws_att_from"

    def apply(self, query, value):
        return query.filter(Attendance.started_at >= local_midnight_utc(value))


class StartedUntilFilter(_AttendanceFilter):
    name = "Período final"
    arg_name = "pws_att_until"

    def apply(self, query, value):
        return query.filter(Attendance.started_at < local_midnight_utc(value + timedelta(days=1)))

"""What the dashboards show: the latest rows of each kind the user may see (one query each),
as flat rows of the columns the panels show, not ORM objects.

Each panel reads its own table in its order; the client's name beside a row is an outer join
(every row has a client), which MariaDB cannot start from: with an inner join it read the
50,000 clients first and sorted their 300,000 billing files for the latest ten (0.7 s)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.billing.models import BillingFile
from app.calls.models import PreServiceMessage, ServiceCall
from app.catalog.models import Client, Equipment, EquipmentModel, Technician
from app.core.db import db
from app.core.scoping import scoped
from app.deliveries.models import Invoice
from app.field.models import Attendance
from app.supplies.models import SupplyRequest

PANEL_SIZE = 10
MONITORING_SIZE = 20


def latest_attendances(limit: int = PANEL_SIZE) -> list:
    stmt = scoped(
        select(Attendance.id, Attendance.status, Attendance.started_at, ServiceCall.id.label("call_id"),
               ServiceCall.erp_id, Equipment.serial, Technician.name.label("technician"))
        .select_from(Attendance).join(ServiceCall, ServiceCall.id == Attendance.call_id)
        .outerjoin(Technician, Technician.id == Attendance.technician_id)
        .outerjoin(Equipment, Equipment.id == ServiceCall.equipment_id),
        Attendance).order_by(Attendance.started_at.desc(), Attendance.id.desc()).limit(limit)
    return db.session.execute(stmt).all()


def latest_pre_service_messages(limit: int = PANEL_SIZE) -> list:
    stmt = scoped(
        select(PreServiceMessage.id, PreServiceMessage.call_id, PreServiceMessage.created_at,
               PreServiceMessage.body, PreServiceMessage.direction, ServiceCall.erp_id)
        .select_from(PreServiceMessage).join(ServiceCall, ServiceCall.id == PreServiceMessage.call_id),
        PreServiceMessage).order_by(PreServiceMessage.created_at.desc(),
                                    PreServiceMessage.id.desc()).limit(limit)
    return db.session.execute(stmt).all()


def latest_supply_requests(limit: int = PANEL_SIZE) -> list:
    """A request by série names its model through the equipment (it may not keep its own)."""
    stmt = scoped(
        select(SupplyRequest.id, SupplyRequest.status, SupplyRequest.requested_at, Equipment.serial,
               EquipmentModel.name.label("model"))
        .select_from(SupplyRequest)
        .outerjoin(Equipment, Equipment.id == SupplyRequest.equipment_id)
        .outerjoin(EquipmentModel, EquipmentModel.id == func.coalesce(
            SupplyRequest.equipment_model_id, Equipment.model_id)),
        SupplyRequest).order_by(SupplyRequest.requested_at.desc(), SupplyRequest.id.desc()).limit(limit)
    return db.session.execute(stmt).all()


def pending_deliveries(limit: int = PANEL_SIZE) -> list:
    """The oldest authorized NFs with a carrier and no proof yet: what the carrier delivers next
    (the rule of the Entregas screen's "Entregas pendentes")."""
    stmt = scoped(
        select(Invoice.id, Invoice.number, Invoice.series, Invoice.issued_at,
               Client.trade_name, Client.name.label("client"), Client.city, Client.state)
        .select_from(Invoice).outerjoin(Client, Client.id == Invoice.client_id)
        .where(Invoice.status == Invoice.AUTHORIZED, Invoice.carrier_id.is_not(None),
               Invoice.confirmed == False),  # noqa: E712 (IS FALSE skips the index)
        Invoice).order_by(Invoice.issued_at.asc(), Invoice.id.asc()).limit(limit)
    return db.session.execute(stmt).all()


def latest_billing_files(limit: int = PANEL_SIZE) -> list:
    stmt = scoped(
        select(BillingFile.id, BillingFile.original_name, BillingFile.month, BillingFile.year,
               BillingFile.uploaded_at, Client.trade_name, Client.name.label("client"))
        .select_from(BillingFile).outerjoin(Client, Client.id == BillingFile.client_id),
        BillingFile).order_by(BillingFile.uploaded_at.desc(), BillingFile.id.desc()).limit(limit)
    return db.session.execute(stmt).all()

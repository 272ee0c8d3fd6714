"""What the dashboards show: the latest rows of each kind the user may see (one query each),
as flat rows of the columns the panels show, not ORM objects."""
from __future__ import annotations

from sqlalchemy import select

from app.calls.models import PreServiceMessage, ServiceCall
from app.catalog.models import Equipment, EquipmentModel, Technician
from app.core.db import db
from app.core.scoping import scoped
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
    stmt = scoped(
        select(SupplyRequest.id, SupplyRequest.status, SupplyRequest.requested_at, Equipment.serial,
               EquipmentModel.name.label("model"))
        .select_from(SupplyRequest)
        .outerjoin(Equipment, Equipment.id == SupplyRequest.equipment_id)
        .outerjoin(EquipmentModel, EquipmentModel.id == SupplyRequest.equipment_model_id),
        SupplyRequest).order_by(SupplyRequest.requested_at.desc(), SupplyRequest.id.desc()).limit(limit)
    return db.session.execute(stmt).all()

"""What the dashboards show: the latest rows of each kind the user may see (one query each,
only the columns the panels show)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, load_only

from app.calls.models import PreServiceMessage, ServiceCall
from app.catalog.models import Equipment, EquipmentModel, Technician
from app.core.db import db
from app.core.scoping import scoped
from app.field.models import Attendance
from app.supplies.models import SupplyRequest

PANEL_SIZE = 10
MONITORING_SIZE = 20


def latest_attendances(limit: int = PANEL_SIZE) -> list[Attendance]:
    stmt = scoped(
        select(Attendance).join(Attendance.call).outerjoin(Attendance.technician)
        .outerjoin(ServiceCall.equipment).outerjoin(Equipment.model)
        .options(load_only(Attendance.status, Attendance.started_at),
                 contains_eager(Attendance.call).load_only(ServiceCall.erp_id),
                 contains_eager(Attendance.call).contains_eager(ServiceCall.equipment)
                 .load_only(Equipment.serial),
                 contains_eager(Attendance.call).contains_eager(ServiceCall.equipment)
                 .contains_eager(Equipment.model).load_only(EquipmentModel.name),
                 contains_eager(Attendance.technician).load_only(Technician.name)),
        Attendance).order_by(Attendance.started_at.desc(), Attendance.id.desc()).limit(limit)
    return list(db.session.execute(stmt).scalars())


def latest_pre_service_messages(limit: int = PANEL_SIZE) -> list[PreServiceMessage]:
    stmt = scoped(
        select(PreServiceMessage).join(PreServiceMessage.call)
        .options(load_only(PreServiceMessage.call_id, PreServiceMessage.created_at,
                           PreServiceMessage.body, PreServiceMessage.direction),
                 contains_eager(PreServiceMessage.call).load_only(ServiceCall.erp_id)),
        PreServiceMessage).order_by(PreServiceMessage.created_at.desc(),
                                    PreServiceMessage.id.desc()).limit(limit)
    return list(db.session.execute(stmt).scalars())


def latest_supply_requests(limit: int = PANEL_SIZE) -> list[SupplyRequest]:
    stmt = scoped(
        select(SupplyRequest).outerjoin(SupplyRequest.equipment)
        .outerjoin(SupplyRequest.equipment_model)
        .options(load_only(SupplyRequest.requested_at, SupplyRequest.status),
                 contains_eager(SupplyRequest.equipment).load_only(Equipment.serial),
                 contains_eager(SupplyRequest.equipment_model).load_only(EquipmentModel.name)),
        SupplyRequest).order_by(SupplyRequest.requested_at.desc(), SupplyRequest.id.desc()).limit(limit)
    return list(db.session.execute(stmt).scalars())


"""Solicitações de suprimentos."""
from flask_appbuilder import Model
from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from app.core.concurrency import Versioned
from app.core.db import IdMixin, TimestampMixin, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import Scope


class SupplyStatus:
    PENDING, CONTROL, OUT_OF_STOCK = "pending", "control", "out_of_stock"
    INVOICED, DELIVERED, CANCELLED = "invoiced", "delivered", "cancelled"
    ALL = (PENDING, CONTROL, OUT_OF_STOCK, INVOICED, DELIVERED, CANCELLED)
    # Still on its way to the client: a new request for the same supply is suspicious.
    OPEN = (PENDING, CONTROL, OUT_OF_STOCK, INVOICED)
    LABELS = {
        PENDING: _l("Pendente"), CONTROL: _l("Controle"), OUT_OF_STOCK: _l("Em falta"),
        INVOICED: _l("Faturado"), DELIVERED: _l("Entregue"), CANCELLED: _l("Cancelado"),
    }


class SupplyRequest(IdMixin, TimestampMixin, Versioned, Model):
    __tablename__ = "supply_request"
    __scope__ = Scope(company="company_id", client="client_id")
    BY_EQUIPMENT, BY_MODEL = "equipment", "model"
    KIND_LABELS = {BY_EQUIPMENT: _l("Equipamento / Série"), BY_MODEL: _l("Modelo / Contrato")}
    kind = Column(String(10), nullable=False, default=BY_EQUIPMENT)
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False)
    client_id = Column(Integer, ForeignKey("client.id"), nullable=False)
    equipment_id = Column(Integer, ForeignKey("equipment.id"), index=True)
    equipment_model_id = Column(Integer, ForeignKey("equipment_model.id"))
    contract_id = Column(Integer, ForeignKey("contract.id"), index=True)
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    requested_at = Column(DateTime, nullable=False, default=utcnow)
    status = Column(String(15), nullable=False, default=SupplyStatus.PENDING)
    note = Column(Text, info={"max_length": 2000})
    warning = Column(Text)
    carrier_id = Column(Integer, ForeignKey("carrier.id"))
    tracking_code = Column(String(60))
    invoice_number = Column(String(20))
    invoice_date = Column(Date)
    department = Column(String(120))
    location = Column(String(120))
    company = relationship("Company")
    client = relationship("Client")
    equipment = relationship("Equipment")
    equipment_model = relationship("EquipmentModel")
    contract = relationship("Contract")
    carrier = relationship("Carrier")
    items = relationship("SupplyRequestItem", back_populates="request", cascade="all, delete-orphan",
                         order_by="SupplyRequestItem.id")

    def __str__(self) -> str:
        return str(self.id)

    @property
    def status_label(self) -> str:
        return str(SupplyStatus.LABELS.get(self.status, self.status))

    @property
    def kind_label(self) -> str:
        return str(self.KIND_LABELS.get(self.kind, self.kind))


Index("ix_supply_request_company_requested", SupplyRequest.company_id, SupplyRequest.requested_at)
# A client's requests by date; the company after them, so that a client filter (the clients a
# name finds, thousands of them) is checked against an operator's companies in the index alone.
Index("ix_supply_request_client_requested", SupplyRequest.client_id, SupplyRequest.requested_at,
      SupplyRequest.id, SupplyRequest.company_id)
Index("ix_supply_request_status_requested", SupplyRequest.status, SupplyRequest.requested_at)
# By date for the admin, and for an operator of several companies: ``company_id IN (…)`` is
# checked in the index while it is read in the list's (date, id) order, never a sort of them all.
# Status and equipment after them: Indicadores' supplies read a period's requests from it alone.
Index("ix_supply_request_requested_company", SupplyRequest.requested_at, SupplyRequest.id,
      SupplyRequest.company_id, SupplyRequest.status, SupplyRequest.equipment_id)


class SupplyRequestItem(IdMixin, Model):
    __tablename__ = "supply_request_item"
    __scope__ = Scope(parent="request")
    request_id = Column(Integer, ForeignKey("supply_request.id", ondelete="CASCADE"), nullable=False)
    supply_item_id = Column(Integer, ForeignKey("supply_item.id"), nullable=False)
    quantity = Column(Integer, nullable=False, default=1)
    counter = Column(Integer)
    request = relationship("SupplyRequest", back_populates="items")
    supply_item = relationship("SupplyItem")


# A request's items, and Indicadores' units per supply read from the index alone.
Index("ix_supply_request_item_request_item", SupplyRequestItem.request_id, SupplyRequestItem.supply_item_id,
      SupplyRequestItem.quantity)


class MeterReading(IdMixin, Model):
    """The one meter-reading history of an equipment: counters typed with a supply request, in
    the technician's attendance report, or by the client on the equipment page.

    The supply rules compare a new counter with the latest reading and with the equipment's
    history; readings of a cancelled request are dropped so a typo cannot block the next one,
    and a report sent again replaces its attendance's reading.
    """

    __tablename__ = "meter_reading"
    __scope__ = Scope(parent="equipment")
    SUPPLY_REQUEST, ATTENDANCE, CLIENT = "supply_request", "attendance", "client"
    SOURCE_LABELS = {SUPPLY_REQUEST: _l("Solicitação de suprimentos"), ATTENDANCE: _l("Atendimento técnico"),
                     CLIENT: _l("Informado pelo cliente")}
    equipment_id = Column(Integer, ForeignKey("equipment.id", ondelete="CASCADE"), nullable=False)
    counter = Column(Integer, nullable=False)
    read_at = Column(DateTime, nullable=False, default=utcnow)
    source = Column(String(20), nullable=False, default=SUPPLY_REQUEST)
    supply_request_id = Column(Integer, ForeignKey("supply_request.id", ondelete="CASCADE"), index=True)
    attendance_id = Column(Integer, ForeignKey("attendance.id", ondelete="CASCADE"), index=True)
    read_by_id = Column(Integer, ForeignKey("ab_user.id"))
    equipment = relationship("Equipment")


Index("ix_meter_reading_equipment_read", MeterReading.equipment_id, MeterReading.read_at)

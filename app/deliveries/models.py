"""NF de saída linked to a carrier, and the carrier's delivery confirmation."""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean, Column, DateTime, Double, ForeignKey, Index, Integer, Numeric, String, Text, event, false, update,
)
from sqlalchemy.orm import relationship

from app.core.db import ErpMixin, IdMixin, TimestampMixin, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import Scope


class Invoice(IdMixin, ErpMixin, TimestampMixin, Model):
    __tablename__ = "invoice"
    __scope__ = Scope(company="company_id", client="client_id", carrier="carrier_id")
    AUTHORIZED, CANCELLED = "authorized", "cancelled"
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False)
    client_id = Column(Integer, ForeignKey("client.id"), nullable=False)
    number = Column(String(20), nullable=False, index=True)
    series = Column(String(5))
    issued_at = Column(DateTime, nullable=False)
    status = Column(String(12), nullable=False, default=AUTHORIZED)
    carrier_id = Column(Integer, ForeignKey("carrier.id"))
    supply_request_id = Column(Integer, ForeignKey("supply_request.id"), index=True)
    total = Column(Numeric(14, 2))
    # A delivery (any outcome) was recorded: "pendentes" is an indexed flag, not an anti-join
    # over every NF ever issued. Kept by the Delivery insert below.
    confirmed = Column(Boolean, nullable=False, default=False, server_default=false())
    company = relationship("Company")
    client = relationship("Client")
    carrier = relationship("Carrier")
    supply_request = relationship("SupplyRequest")
    delivery = relationship("Delivery", uselist=False, viewonly=True)

    def __str__(self) -> str:
        return f"{self.number}/{self.series}" if self.series else self.number


Index("ix_invoice_carrier_issued", Invoice.carrier_id, Invoice.issued_at)
# The list's date order for every scope (app.core.views.sort_plan).
Index("ix_invoice_issued", Invoice.issued_at)
Index("ix_invoice_company_issued", Invoice.company_id, Invoice.issued_at)
# A client's deliveries, and a client name filter's few thousand clients: each client's entries
# hold what the list checks (situation, carrier, company), so no invoice row is read to check them.
Index("ix_invoice_client_issued", Invoice.client_id, Invoice.issued_at, Invoice.id, Invoice.confirmed,
      Invoice.status, Invoice.carrier_id, Invoice.company_id)
# The equalities, then the list's sort (issued_at, id), then the carrier, client and company: the
# page walks it in order and the capped count reads the index only, under a client filter too.
Index("ix_invoice_pending", Invoice.confirmed, Invoice.status, Invoice.issued_at, Invoice.id,
      Invoice.carrier_id, Invoice.client_id, Invoice.company_id)
Index("ix_invoice_carrier_confirmed_issued", Invoice.carrier_id, Invoice.confirmed, Invoice.issued_at)


class Delivery(IdMixin, Model):
    """The carrier's proof of delivery for one invoice (once)."""

    __tablename__ = "delivery"
    __scope__ = Scope(parent="invoice")
    DELIVERED, REFUSED, PARTIAL = "delivered", "refused", "partial"
    OUTCOME_LABELS = {DELIVERED: _l("Entregue"), REFUSED: _l("Recusada"), PARTIAL: _l("Entrega parcial")}
    invoice_id = Column(Integer, ForeignKey("invoice.id"), nullable=False, unique=True)
    outcome = Column(String(10), nullable=False, default=DELIVERED)
    received_by = Column(String(120), nullable=False)
    delivered_at = Column(DateTime, nullable=False)
    reason = Column(Text, info={"max_length": 1000})
    confirmed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    confirmed_at = Column(DateTime, nullable=False, default=utcnow)
    signature_stored_name = Column(String(80))
    photo_stored_name = Column(String(80))
    latitude = Column(Double)  # MySQL FLOAT keeps ~7 digits: metres off
    longitude = Column(Double)
    invoice = relationship("Invoice")

    @property
    def outcome_label(self) -> str:
        return str(self.OUTCOME_LABELS.get(self.outcome, self.outcome))


@event.listens_for(Delivery, "after_insert")
def _invoice_confirmed(_mapper, connection, delivery):
    connection.execute(update(Invoice.__table__).where(Invoice.__table__.c.id == delivery.invoice_id)
                       .values(confirmed=True))

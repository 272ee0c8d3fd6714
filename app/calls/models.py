"""Chamados (service orders), their status history, attachments and pre-service thread."""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.core.changelog import Tracked
from app.core.concurrency import Versioned
from app.core.i18n import lazy_gettext as _l
from app.core.db import IdMixin, TimestampMixin, exact_string, utcnow
from app.core.scoping import Scope


class CallStatus:
    """The status letters of the manual (§5)."""

    OPEN, DISPATCHED, MAINTENANCE, PENDING = "A", "E", "M", "P"
    CONCLUDED, ATTENDED, CANCELLED, LOGISTICS, STOCK = "O", "T", "C", "L", "S"
    ALL = (OPEN, DISPATCHED, MAINTENANCE, PENDING, CONCLUDED, ATTENDED, CANCELLED, LOGISTICS, STOCK)
    LOGISTICS_ONLY = (LOGISTICS, STOCK)
    # The SLA clock stands still while the call waits for something outside the dealer's hands.
    PAUSED = (PENDING, LOGISTICS, STOCK)
    CLOSED = (CONCLUDED, ATTENDED, CANCELLED)


class ServiceCall(IdMixin, TimestampMixin, Versioned, Model):
    """A chamado: opened in the portal (id = web number) or in the ERP (erp_id)."""

    __tablename__ = "service_call"
    __scope__ = Scope(
        company="company_id", client="client_id", opener="opened_by_id",
        technician="technician_id", status="status",
    )
    erp_id = Column(exact_string(40), unique=True)
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False)
    client_id = Column(Integer, ForeignKey("client.id"), nullable=False)
    equipment_id = Column(Integer, ForeignKey("equipment.id"))
    contract_id = Column(Integer, ForeignKey("contract.id"))
    defect_type_id = Column(Integer, ForeignKey("defect_type.id"))
    technician_id = Column(Integer, ForeignKey("technician.id"))
    opened_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    status = Column(String(1), nullable=False, default=CallStatus.OPEN)
    opened_at = Column(DateTime, nullable=False, default=utcnow)
    closed_at = Column(DateTime)
    priority_due = Column(DateTime)
    priority_updated_at = Column(DateTime)
    sla_hours = Column(Integer)
    sla_paused_at = Column(DateTime)
    sla_paused_seconds = Column(Integer, nullable=False, default=0)
    resolved_in_pre_service = Column(Boolean, nullable=False, default=False)
    description = Column(Text, info={"max_length": 4000})
    contact_name = Column(String(120))
    contact_phone = Column(String(40))
    contact_email = Column(String(320))
    # Where to attend a call by contract without an equipment (desinstalação, treinamento…).
    service_address = Column(String(200))
    company = relationship("Company")
    client = relationship("Client")
    equipment = relationship("Equipment")
    contract = relationship("Contract")
    defect_type = relationship("DefectType")
    technician = relationship("Technician")
    __property_columns__ = {"display_number": ("id", "erp_id")}
    # Not stored: what opening the call decided for its contact (app.notifications.contacts:
    # known, sent, limited), for the opener's screen.
    contact_confirmation = None

    @property
    def display_number(self) -> str:
        """The web number, and the ERP's when the call is known there."""
        return f"{self.id}" + (f" / {self.erp_id}" if self.erp_id else "")

    def __str__(self) -> str:
        return self.display_number


# Scope column first, sort column last: every list is "my companies, newest first".
Index("ix_service_call_company_opened", ServiceCall.company_id, ServiceCall.opened_at)
Index("ix_service_call_status_opened", ServiceCall.status, ServiceCall.opened_at)
Index("ix_service_call_technician_opened", ServiceCall.technician_id, ServiceCall.opened_at)
# Staff who see every company (or all of several) read the newest calls without a scope column.
Index("ix_service_call_opened", ServiceCall.opened_at)
# "Técnico começa com" for staff of several companies: the scope is checked in the index.
# The calls of the clients, equipment or contracts a prefix finds (app.calls.queries), with the
# company scope checked in the index: thousands of matching calls are sorted from the index
# alone, never read row by row (3 s against 20 ms for "CONSTRUTORA" at 1M calls).
Index("ix_service_call_client_company_opened", ServiceCall.client_id, ServiceCall.company_id,
      ServiceCall.opened_at)
Index("ix_service_call_equipment_company_opened", ServiceCall.equipment_id, ServiceCall.company_id,
      ServiceCall.opened_at)
Index("ix_service_call_contract_company_opened", ServiceCall.contract_id, ServiceCall.company_id,
      ServiceCall.opened_at)
# By prazo: the calls of a status (or of the open ones) by deadline.
Index("ix_service_call_status_due", ServiceCall.status, ServiceCall.priority_due)
Index("ix_service_call_company_status_due", ServiceCall.company_id, ServiceCall.status, ServiceCall.priority_due)
Index("ix_service_call_client_status_due", ServiceCall.client_id, ServiceCall.status, ServiceCall.priority_due)
# The Técnico's: the company and the opening date after the (deadline, id) order, so a status
# filter (by prazo or by abertura) is answered from the index alone.
Index("ix_service_call_technician_status_due", ServiceCall.technician_id, ServiceCall.status,
      ServiceCall.priority_due, ServiceCall.id, ServiceCall.company_id, ServiceCall.opened_at)
# The Técnico's own calls (and their company scope) read from the index alone, whatever the list
# filters by: status, or the equipment, contract or client a prefix finds (his 9,500 calls' rows
# were read one by one to check them: 0.3–0.8 s at 1M calls).
Index("ix_service_call_technician_company_opened", ServiceCall.technician_id, ServiceCall.company_id,
      ServiceCall.opened_at, ServiceCall.status, ServiceCall.equipment_id, ServiceCall.contract_id,
      ServiceCall.client_id)


class CallStatusChange(IdMixin, Model):
    """Histórico do atendimento: who moved the call from which status to which, and why."""

    __tablename__ = "call_status_change"
    __scope__ = Scope(parent="call")
    call_id = Column(Integer, ForeignKey("service_call.id", ondelete="CASCADE"), nullable=False, index=True)
    from_status = Column(String(1))
    to_status = Column(String(1), nullable=False)
    changed_at = Column(DateTime, nullable=False, default=utcnow)
    changed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    source = Column(String(20), nullable=False, default="web")
    note = Column(Text, info={"max_length": 2000})
    call = relationship("ServiceCall")


class PreServiceMessage(IdMixin, Model):
    """Pré atendimento: the operator and the client writing to each other before a visit."""

    __tablename__ = "pre_service_message"
    __scope__ = Scope(parent="call")
    FROM_DEALER, FROM_CLIENT = "dealer", "client"
    call_id = Column(Integer, ForeignKey("service_call.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("ab_user.id"))
    # A reply through the e-mailed link of a contact without a login: the address that used it.
    author_email = Column(String(254))
    direction = Column(String(10), nullable=False)
    body = Column(Text, nullable=False, info={"max_length": 4000})
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    # The e-mailed link to this message's thread, for the call's contact: stored hashed,
    # expiring, revocable, bound to the address it was sent to.
    link_token_hash = Column(exact_string(64), unique=True)
    link_email = Column(String(254))
    link_expires_at = Column(DateTime)
    link_revoked_at = Column(DateTime)
    call = relationship("ServiceCall")


class CallAttachment(IdMixin, Model):
    """A file sent with a call or a pre-service message, kept in the storage folder."""

    __tablename__ = "call_attachment"
    __scope__ = Scope(parent="call")
    call_id = Column(Integer, ForeignKey("service_call.id", ondelete="CASCADE"), nullable=False, index=True)
    message_id = Column(Integer, ForeignKey("pre_service_message.id", ondelete="CASCADE"), index=True)
    original_name = Column(String(255), nullable=False)
    stored_name = Column(String(80), nullable=False, unique=True)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id"))
    uploaded_at = Column(DateTime, nullable=False, default=utcnow)
    call = relationship("ServiceCall")


class BusinessCalendar(IdMixin, Versioned, Model):
    """Expediente of one dealer company: the working days and hours the SLA clock runs in."""

    __tablename__ = "business_calendar"
    __changelog__ = Tracked(label=_l("Expediente"))
    __scope__ = Scope(company="company_id", dealer_only=True)
    DAYS = ("works_mon", "works_tue", "works_wed", "works_thu", "works_fri", "works_sat", "works_sun")
    company_id = Column(Integer, ForeignKey("company.id", ondelete="CASCADE"), nullable=False, unique=True)
    works_mon = Column(Boolean, nullable=False, default=True)
    works_tue = Column(Boolean, nullable=False, default=True)
    works_wed = Column(Boolean, nullable=False, default=True)
    works_thu = Column(Boolean, nullable=False, default=True)
    works_fri = Column(Boolean, nullable=False, default=True)
    works_sat = Column(Boolean, nullable=False, default=False)
    works_sun = Column(Boolean, nullable=False, default=False)
    starts_at = Column(String(5), nullable=False, default="08:00")
    ends_at = Column(String(5), nullable=False, default="18:00")
    near_minutes = Column(Integer, nullable=False, default=120)
    company = relationship("Company")

    def __str__(self) -> str:
        return str(self.company) if self.company else ""


class Holiday(IdMixin, Versioned, Model):
    """A day without business hours, for one company or (company empty) for all of them."""

    __tablename__ = "holiday"
    __changelog__ = Tracked(label=_l("Feriado"))
    __scope__ = Scope(company="company_id", dealer_only=True)
    __table_args__ = (UniqueConstraint("company_id", "day"),)
    company_id = Column(Integer, ForeignKey("company.id", ondelete="CASCADE"), index=True)
    day = Column(Date, nullable=False, index=True)
    name = Column(String(120), nullable=False)
    company = relationship("Company")

    def __str__(self) -> str:
        return self.name


class CallSettings(IdMixin, Model):
    """Parâmetros de chamados of one dealer company (§3): the status every opening gets and
    the status a parts request moves the call to. A company without a row uses the defaults."""

    __tablename__ = "call_settings"
    __changelog__ = Tracked(label=_l("Parâmetros de chamados"))
    __scope__ = Scope(company="company_id", dealer_only=True)
    OPENING_CHOICES = (CallStatus.OPEN, CallStatus.DISPATCHED, CallStatus.PENDING,
                       CallStatus.LOGISTICS, CallStatus.STOCK)
    PARTS_CHOICES = (CallStatus.LOGISTICS, CallStatus.PENDING, CallStatus.STOCK)
    DEFAULT_OPENING, DEFAULT_PARTS = CallStatus.OPEN, CallStatus.LOGISTICS
    company_id = Column(Integer, ForeignKey("company.id", ondelete="CASCADE"), nullable=False, unique=True)
    opening_status = Column(String(1), nullable=False, default=DEFAULT_OPENING)
    parts_request_status = Column(String(1), nullable=False, default=DEFAULT_PARTS)
    company = relationship("Company")


class PartsRequest(IdMixin, TimestampMixin, Model):
    """Peças solicitadas: what the technician needs for a call (not the parts he used), and
    how far the Operador de Logística got with it."""

    __tablename__ = "parts_request"
    __scope__ = Scope(parent="call")
    REQUESTED, SEPARATED, SENT, RECEIVED = "requested", "separated", "sent", "received"
    STATES = (REQUESTED, SEPARATED, SENT, RECEIVED)
    # A client-generated id (the app works offline): the same id sent again is the same request.
    client_uid = Column(exact_string(64), unique=True)
    call_id = Column(Integer, ForeignKey("service_call.id", ondelete="CASCADE"), nullable=False, index=True)
    attendance_id = Column(Integer, ForeignKey("attendance.id", ondelete="SET NULL"))
    technician_id = Column(Integer, ForeignKey("technician.id"))
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"))
    requested_at = Column(DateTime, nullable=False, default=utcnow)
    state = Column(String(10), nullable=False, default=REQUESTED)
    state_changed_at = Column(DateTime, nullable=False, default=utcnow)
    state_changed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    note = Column(Text, info={"max_length": 4000})
    call = relationship("ServiceCall")
    technician = relationship("Technician")
    items = relationship("PartsRequestItem", back_populates="request", cascade="all, delete-orphan",
                         order_by="PartsRequestItem.id")


Index("ix_parts_request_state_requested", PartsRequest.state, PartsRequest.requested_at)


class PartsRequestItem(IdMixin, Model):
    """One line: a part of the ERP's list, or a free description when the ERP sent none."""

    __tablename__ = "parts_request_item"
    __scope__ = Scope(parent="request")
    request_id = Column(Integer, ForeignKey("parts_request.id", ondelete="CASCADE"), nullable=False, index=True)
    part_id = Column(Integer, ForeignKey("part.id"))
    description = Column(String(200), nullable=False)
    quantity = Column(Integer, nullable=False, default=1)
    request = relationship("PartsRequest", back_populates="items")
    part = relationship("Part")


class CallOutcome(Model):
    """Desfecho de SLA of one call, kept by app.indicators.outcomes in the transaction that changes
    the call: reports and indicators read these narrow rows (business times already counted)
    instead of recomputing the SLA engine over every call on each request."""

    __tablename__ = "call_outcome"
    __scope__ = Scope(company="company_id", client="client_id", opener="opened_by_id",
                      technician="technician_id", status="status")
    MET, MISSED = "met", "missed"
    call_id = Column(Integer, ForeignKey("service_call.id", ondelete="CASCADE"), primary_key=True,
                     autoincrement=False)
    company_id = Column(Integer, nullable=False)
    client_id = Column(Integer, nullable=False)
    contract_id = Column(Integer)
    equipment_id = Column(Integer)
    model_id = Column(Integer)
    technician_id = Column(Integer)
    defect_type_id = Column(Integer)
    opened_by_id = Column(Integer)
    status = Column(String(1), nullable=False)
    opened_at = Column(DateTime, nullable=False)
    closed_at = Column(DateTime)
    # Local (America/Sao_Paulo) periods, for grouping without date functions of each database:
    # the Monday of the week the call was opened and closed in, the first day of its month.
    opened_week = Column(Date, nullable=False)
    closed_week = Column(Date)
    closed_month = Column(Date)
    due_at = Column(DateTime)
    # met / missed for calls closed as Concluído or Atendido with a deadline; else empty.
    outcome = Column(String(6))
    first_attendance_at = Column(DateTime)
    # Business seconds, as the SLA engine counts them (expediente, feriados, pauses excluded).
    response_seconds = Column(Integer)
    repair_seconds = Column(Integer)
    visits = Column(Integer, nullable=False, default=0)
    resolved_in_pre_service = Column(Boolean, nullable=False, default=False)
    # Seconds since the equipment's previous call was opened (empty: its first call, or none):
    # "reincidência" compares it with its window instead of pairing each call with the one before.
    previous_gap_seconds = Column(Integer)


# Scope column first, period last: "my companies in this period", "the open calls opened then".
Index("ix_call_outcome_company_opened", CallOutcome.company_id, CallOutcome.opened_at)
Index("ix_call_outcome_client_opened", CallOutcome.client_id, CallOutcome.opened_at)
Index("ix_call_outcome_status_opened", CallOutcome.status, CallOutcome.opened_at)
Index("ix_call_outcome_contract_month", CallOutcome.contract_id, CallOutcome.closed_month)
Index("ix_call_outcome_equipment_opened", CallOutcome.equipment_id, CallOutcome.opened_at)
# The most recent calls closed past their deadline (Indicadores).
Index("ix_call_outcome_outcome_closed", CallOutcome.outcome, CallOutcome.closed_at)
# The calls a client's week sums count (CallWeek, recomputed per client and week).
Index("ix_call_outcome_client_opened_week", CallOutcome.client_id, CallOutcome.opened_week)
Index("ix_call_outcome_client_closed_week", CallOutcome.client_id, CallOutcome.closed_week)
# A period's calls read from the index alone (Indicadores for dealer staff: a year is 100,000
# entries of these, where the rows are a scan of every outcome): the times by closing date, the
# repeats by opening date, each with the company the scope tests.
Index("ix_call_outcome_closed_times", CallOutcome.closed_at, CallOutcome.status, CallOutcome.company_id,
      CallOutcome.defect_type_id, CallOutcome.model_id, CallOutcome.technician_id,
      CallOutcome.response_seconds, CallOutcome.repair_seconds)
Index("ix_call_outcome_opened_gaps", CallOutcome.opened_at, CallOutcome.company_id, CallOutcome.equipment_id,
      CallOutcome.previous_gap_seconds)


class ContractMonth(Model):
    """Cumprimento do SLA per contract, company and month of closing: the sums of CallOutcome,
    recomputed for the months a call change touches (and rebuilt by ``flask pws
    rebuild-indicators``). Dealer-side only: a client user may see only the calls he opened."""

    __tablename__ = "contract_month"
    __scope__ = Scope(company="company_id", dealer_only=True)
    contract_id = Column(Integer, ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True,
                         autoincrement=False)
    month = Column(Date, primary_key=True)
    company_id = Column(Integer, primary_key=True, autoincrement=False)
    closed = Column(Integer, nullable=False, default=0)
    met = Column(Integer, nullable=False, default=0)
    missed = Column(Integer, nullable=False, default=0)


Index("ix_contract_month_month", ContractMonth.month, ContractMonth.company_id)


class CallWeek(Model):
    """Calls opened and closed per client, contract and local week (Monday), with the closed
    calls' first-visit and pré atendimento counts: the sums of CallOutcome that the weekly and
    resolution indicators read for dealer staff, recomputed for the client weeks a call change
    touches (and rebuilt by ``flask pws rebuild-indicators``). Dealer-side only, as ContractMonth."""

    __tablename__ = "call_week"
    __scope__ = Scope(company="company_id", dealer_only=True)
    NO_CONTRACT = 0  # contract_id of the calls without a contract (a key column cannot be empty)
    client_id = Column(Integer, primary_key=True, autoincrement=False)
    week = Column(Date, primary_key=True)
    contract_id = Column(Integer, primary_key=True, autoincrement=False)
    company_id = Column(Integer, primary_key=True, autoincrement=False)
    opened = Column(Integer, nullable=False, default=0)
    closed = Column(Integer, nullable=False, default=0)  # O, T or C, by the week of closing
    repaired = Column(Integer, nullable=False, default=0)  # O or T, by the week of closing
    visited = Column(Integer, nullable=False, default=0)  # repaired with at least one attendance
    first_visit = Column(Integer, nullable=False, default=0)  # repaired with exactly one
    pre_service = Column(Integer, nullable=False, default=0)  # repaired in pré atendimento


# The dealer's weeks read from the index alone (the sums in it): a year is about as many rows
# as calls when clients have a few calls a week, so the table's own rows would be looked up one by one.
Index("ix_call_week_week", CallWeek.week, CallWeek.company_id, CallWeek.client_id, CallWeek.contract_id,
      CallWeek.opened, CallWeek.closed, CallWeek.repaired, CallWeek.visited, CallWeek.first_visit,
      CallWeek.pre_service)

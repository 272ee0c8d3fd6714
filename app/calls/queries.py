"""Read side of chamados: the searchable list, the detail and the SLA report, all scoped.

Each page costs a fixed number of queries whatever the number of rows: the displayed relations
are joined, children are loaded in one query per kind, and the list count is capped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from app.accounts.models import PortalUser
from app.calls.models import (
    CallAttachment, CallOutcome, CallStatus, CallStatusChange, ContractMonth, PreServiceMessage, ServiceCall,
)
from app.catalog.models import Client, Company, Contract, DefectType, Equipment, EquipmentModel, Technician
from app.core.db import db
from app.core.scoping import current_principal, is_union, scoped, scoped_union
from app.core.search import starts_with
from app.core.timefmt import local_midnight_utc
from app.core.views import page_number

# Every order the list offers is one an index serves within the filters (docs/performance.md):
# the date of opening, and the deadline of the calls that have one in a status (the chosen one,
# else the open ones). "Status then date" across every company is not offered: at a million
# calls no index serves it; the status filter with the date order shows the same rows.
SORTS = ("-abertura", "abertura", "prazo", "-prazo")
SORT_COLUMNS = {"abertura": ServiceCall.opened_at, "prazo": ServiceCall.priority_due}
OPEN_STATUSES = tuple(status for status in CallStatus.ALL if status not in CallStatus.CLOSED)
# Prefix filters: the searched table's index finds its few rows first, then the calls of those
# rows through the call's (column, opened_at) index; never a scan of the calls ordered by date.
PREFIX_FILTERS = {
    "serie": (Equipment, ("serial", "asset_tag"), ServiceCall.equipment_id),
    "contrato": (Contract, ("number",), ServiceCall.contract_id),
    "tecnico": (Technician, ("name",), ServiceCall.technician_id),
    "cliente": (Client, ("name", "trade_name"), ServiceCall.client_id),
}
# The calls whose SLA clock runs: neither closed nor paused.
OPEN_UNPAUSED = tuple(s for s in CallStatus.ALL if s not in CallStatus.CLOSED + CallStatus.PAUSED)


@dataclass
class CallSearch:
    """The list's filters, as typed in the search form (all optional)."""

    numero: str = ""
    serie: str = ""
    contrato: str = ""
    tecnico: str = ""
    cliente: str = ""
    status: str = ""
    de: date | None = None
    ate: date | None = None
    ordem: str = "-abertura"
    pagina: int = 1

    @classmethod
    def from_args(cls, args) -> CallSearch:
        def text(name):
            return (args.get(name) or "").strip()[:60]

        def day(name):
            try:
                return date.fromisoformat(text(name))
            except ValueError:
                return None

        page = text("pagina")
        status = text("status").upper()
        return cls(numero=text("numero"), serie=text("serie"), contrato=text("contrato"),
                   tecnico=text("tecnico"), cliente=text("cliente"),
                   status=status if status in CallStatus.ALL else "",
                   de=day("de"), ate=day("ate"),
                   ordem=text("ordem") if text("ordem") in SORTS else "-abertura",
                   pagina=max(page_number(page, 1), 1))

    def args(self, **changes) -> dict:
        """The query string of this search with some values changed (pagination, sorting)."""
        values = {"numero": self.numero, "serie": self.serie, "contrato": self.contrato,
                  "tecnico": self.tecnico, "cliente": self.cliente, "status": self.status,
                  "de": self.de.isoformat() if self.de else "",
                  "ate": self.ate.isoformat() if self.ate else "", "ordem": self.ordem,
                  "pagina": self.pagina, **changes}
        return {key: value for key, value in values.items() if value not in ("", None)}


@dataclass
class Page:
    rows: list
    number: int
    size: int
    total: int
    capped: bool

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


# What lists and panels show of a call, as flat rows: they only read, and building the ORM
# objects with their relations cost as much Python time as the query took in the database.
LISTED_CALL = (
    ServiceCall.id, ServiceCall.erp_id, ServiceCall.company_id, ServiceCall.status, ServiceCall.opened_at,
    ServiceCall.closed_at, ServiceCall.priority_due, ServiceCall.priority_updated_at,
    Equipment.serial, Equipment.city, Equipment.state, EquipmentModel.name.label("model"),
    func.coalesce(func.nullif(Client.trade_name, ""), Client.name).label("client"),
    Client.city.label("client_city"), Client.state.label("client_state"),
    Contract.number.label("contract"), Technician.name.label("technician"),
)


def _listed_calls():
    """The calls with the displayed relations joined (one query for the whole page)."""
    return (select(*LISTED_CALL).select_from(ServiceCall)
            .outerjoin(Equipment, Equipment.id == ServiceCall.equipment_id)
            .outerjoin(EquipmentModel, EquipmentModel.id == Equipment.model_id)
            .outerjoin(Client, Client.id == ServiceCall.client_id)
            .outerjoin(Contract, Contract.id == ServiceCall.contract_id)
            .outerjoin(Technician, Technician.id == ServiceCall.technician_id))


# What the call's detail shows: the listed columns and the rest of its fields, as one flat row.
SHOWN_CALL = LISTED_CALL + (
    ServiceCall.equipment_id, ServiceCall.technician_id, ServiceCall.description,
    ServiceCall.contact_name, ServiceCall.contact_phone, ServiceCall.contact_email,
    ServiceCall.sla_hours, ServiceCall.resolved_in_pre_service, ServiceCall.service_address,
    Equipment.asset_tag, Equipment.department, Equipment.location, DefectType.name.label("defect"),
    func.coalesce(func.nullif(Company.trade_name, ""), Company.name).label("company"),
)


# Built once: the detail runs it on every view, and building a select of seven joins cost more
# Python time than the database takes to answer it.
_SHOWN_CALL = (_listed_calls().with_only_columns(*SHOWN_CALL)
               .outerjoin(DefectType, DefectType.id == ServiceCall.defect_type_id)
               .outerjoin(Company, Company.id == ServiceCall.company_id)
               .where(ServiceCall.id == bindparam("call_id")))


def shown_call(pk: int):
    """One call within the user's scope as the detail shows it (a row of SHOWN_CALL), or None."""
    return db.session.execute(scoped(_SHOWN_CALL, ServiceCall), {"call_id": pk}).first()


def _typed_prefixes(search: CallSearch) -> list:
    """(searched model, call column, condition on the searched model) of each prefix typed."""
    return [(model, call_column, or_(*(starts_with(getattr(model, column), getattr(search, name))
                                       for column in columns)))
            for name, (model, columns, call_column) in PREFIX_FILTERS.items() if getattr(search, name)]


def _matching_keys(search: CallSearch) -> list:
    """For each prefix filter typed, the call column IN the ids its searched table's index finds:
    no join, so the database reads the searched table first, then the calls of its rows through
    the call's (column, company, opened_at) index."""
    return [call_column.in_(select(model.id).where(found)) for model, call_column, found in _typed_prefixes(search)]


def sort_plans() -> dict[str, dict[str, dict[str, str | None]]]:
    """Each order the list offers, alone and under each prefix filter, with the index serving
    it per scope column (app.core.views.sort_plan); a test requires one everywhere."""
    from app.core.views import sort_plan

    always = {"abertura": (), "prazo": ("status",)}
    return {sort: {filter_name: sort_plan(ServiceCall, column.key, leading=(*always[sort], *extra))
                   for filter_name, extra in [("", ())] + [
                       (name, (call_column.key,)) for name, (_m, _c, call_column) in PREFIX_FILTERS.items()]}
            for sort, column in SORT_COLUMNS.items()}


def _conditions(search: CallSearch) -> list:
    conditions = _matching_keys(search)
    if search.numero:
        by_number = [ServiceCall.erp_id == search.numero]
        if search.numero.isdigit() and len(search.numero) < 10:
            by_number.append(ServiceCall.id == int(search.numero))
        conditions.append(or_(*by_number))
    if search.status:
        conditions.append(ServiceCall.status == search.status)
    elif search.ordem.lstrip("-") == "prazo":
        conditions.append(ServiceCall.status.in_(OPEN_STATUSES))
    if search.ordem.lstrip("-") == "prazo":
        conditions.append(ServiceCall.priority_due.is_not(None))
    if search.de:
        conditions.append(ServiceCall.opened_at >= local_midnight_utc(search.de))
    if search.ate:
        conditions.append(ServiceCall.opened_at < local_midnight_utc(search.ate + timedelta(days=1)))
    return conditions


def _ordering(sort: str, columns) -> list:
    """The sort column, then the id: equal dates keep one order from page to page. By prazo the
    list holds the calls with a deadline in the chosen status (else the open ones)."""
    descending = sort.startswith("-")
    return [column.desc() if descending else column.asc() for column in columns]


def _matching(conditions: list, sort: str):
    """The (id, sort column) pairs of the user's calls meeting ``conditions``, as a derived
    table: one select per scope alternative (a Técnico's assigned and opened calls), each read
    from its own index and only then sorted together (app.core.scoping.scoped_union)."""
    column = SORT_COLUMNS[sort.lstrip("-")]
    return scoped_union(select(ServiceCall.id, column).where(*conditions), ServiceCall).subquery("matching")


def _page(matching, sort: str, offset: int, limit: int):
    """One page cut from ``matching`` on the narrow pairs: a filter matching tens of thousands of
    calls sorts narrow rows, not every joined column."""
    column = SORT_COLUMNS[sort.lstrip("-")]
    return (select(matching.c.id).order_by(*_ordering(sort, (matching.c[column.key], matching.c.id)))
            .offset(offset).limit(limit))


def _rows(page, sort: str) -> list:
    """The page's calls joined to what the list shows."""
    page = page.subquery()
    column = SORT_COLUMNS[sort.lstrip("-")]
    return db.session.execute(_listed_calls().join(page, ServiceCall.id == page.c.id).order_by(
        *_ordering(sort, (column, ServiceCall.id)))).all()


# A prefix that finds this many rows of its table (1% of 100,000 equipment) is common.
COMMON_PREFIX_ROWS = 1000


def _common_prefixes(search: CallSearch) -> bool:
    """Whether the page is better read newest first (MariaDB; by abertura; dealer staff, whose
    scope is companies): a typed prefix finds COMMON_PREFIX_ROWS rows of its table (a capped
    count each), so a large share of the calls match and the date index, each call's searched
    row checked by its primary key, meets a page at once, where the calls of every matching row
    are sorted (0.3 s for série "U6", a third of the equipment). A client's calls are few among
    the dealer's: read newest first they would be sought through all of them (2 s)."""
    typed = _typed_prefixes(search)
    if not typed or search.ordem.lstrip("-") != "abertura" or current_principal().client_side \
            or is_union(ServiceCall) or db.session.get_bind().dialect.name not in ("mysql", "mariadb"):
        return False
    for model, _call_column, found in typed:
        rows = select(model.id).where(found).limit(COMMON_PREFIX_ROWS).subquery()
        if db.session.execute(select(func.count()).select_from(rows)).scalar_one() >= COMMON_PREFIX_ROWS:
            return True
    return False


def _page_in_date_order(search: CallSearch, offset: int, limit: int):
    """The page's keys read from the date index, newest (or oldest) first, each call joined by
    primary key to the rows its prefixes search: MariaDB is told both, as it would otherwise
    start from the searched table."""
    stmt = select(ServiceCall.id).where(*_conditions(replace(search, **dict.fromkeys(PREFIX_FILTERS, ""))))
    for model, call_column, found in _typed_prefixes(search):
        stmt = stmt.join(model, model.id == call_column).where(found)
    index = "ix_service_call_status_opened" if search.status else "ix_service_call_opened"
    return (scoped(stmt, ServiceCall).order_by(*_ordering(search.ordem, (ServiceCall.opened_at, ServiceCall.id)))
            .offset(offset).limit(limit).with_hint(ServiceCall, f"FORCE INDEX ({index})", "mysql")
            .prefix_with("STRAIGHT_JOIN", dialect="mysql"))


def search_calls(search: CallSearch, page_size: int) -> Page:
    """One page of the user's calls: one capped count and one query for the rows."""
    matching = _matching(_conditions(search), search.ordem)
    cap = current_app.config["PWS_COUNT_CAP"]
    keys = select(matching.c.id).limit(cap + 1).subquery()
    total = db.session.execute(select(func.count()).select_from(keys)).scalar_one()
    pages = max(1, math.ceil(min(total, cap) / page_size))
    number = min(search.pagina, pages)
    offset = (number - 1) * page_size
    page = (_page_in_date_order(search, offset, page_size) if _common_prefixes(search)
            else _page(matching, search.ordem, offset, page_size))
    return Page(rows=_rows(page, search.ordem), number=number, size=page_size, total=min(total, cap),
                capped=total > cap)


def latest_calls(limit: int) -> list:
    """The newest calls the user may see (dashboards, monitoring), as rows of LISTED_CALL."""
    return _rows(_page(_matching([], "-abertura"), "-abertura", 0, limit), "-abertura")


@dataclass
class CallDetail:
    history: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    attachments: list = field(default_factory=list)

    @property
    def files_by_message(self) -> dict[int, list]:
        """Each pré atendimento message's attachments, grouped once (not filtered per message)."""
        grouped: dict[int, list] = {}
        for row in self.attachments:
            if row.message_id is not None:
                grouped.setdefault(row.message_id, []).append(row)
        return grouped


def _thread_rows(model, author, order):
    """A call's rows of ``model``, each with its author's first name (``author``)."""
    return (select(*model.__table__.c, PortalUser.first_name.label("author"))
            .outerjoin(PortalUser, PortalUser.id == author)
            .where(model.call_id == bindparam("call_id")).order_by(*order))


_HISTORY = _thread_rows(CallStatusChange, CallStatusChange.changed_by_id,
                        (CallStatusChange.changed_at, CallStatusChange.id))
_MESSAGES = _thread_rows(PreServiceMessage, PreServiceMessage.author_id,
                         (PreServiceMessage.created_at, PreServiceMessage.id))
_ATTACHMENTS = _thread_rows(CallAttachment, CallAttachment.uploaded_by_id,
                            (CallAttachment.uploaded_at, CallAttachment.id))


def call_detail(call) -> CallDetail:
    """History, pre-service thread and attachments of a call (entity or row) already fetched
    with its scope: rows of their columns, each with its author's first name (``author``)."""
    params = {"call_id": call.id}
    history, messages, attachments = (db.session.execute(stmt, params).all()
                                      for stmt in (_HISTORY, _MESSAGES, _ATTACHMENTS))
    return CallDetail(history=history, messages=messages, attachments=attachments)


def load_call(pk: int) -> ServiceCall | None:
    """One call within the user's scope with its relations, for the actions that change it (the
    e-mails they send show them); the detail page reads ``shown_call`` instead."""
    stmt = scoped(select(ServiceCall).where(ServiceCall.id == pk), ServiceCall).options(
        joinedload(ServiceCall.equipment).joinedload(Equipment.model),
        joinedload(ServiceCall.client), joinedload(ServiceCall.contract),
        joinedload(ServiceCall.technician), joinedload(ServiceCall.defect_type),
        joinedload(ServiceCall.company))
    return db.session.execute(stmt).unique().scalar_one_or_none()


@dataclass
class ComplianceRow:
    contract_id: int | None
    contract_number: str
    client_name: str
    closed: int
    met: int
    missed: int
    open_late: int

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.met / self.closed, 1) if self.closed else None


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return local_midnight_utc(first), local_midnight_utc(following)


def sla_compliance(year: int, month: int, now: datetime) -> list[ComplianceRow]:
    """Per contract: calls closed (O/T) in the month within and past their deadline (the
    ContractMonth sums), and calls opened in the month still open past their deadline now (the
    few open CallOutcome rows of the month). Three queries, whatever the number of calls."""
    start, end = month_bounds(year, month)
    sums = db.session.execute(scoped(
        select(ContractMonth.contract_id, func.sum(ContractMonth.closed), func.sum(ContractMonth.met),
               func.sum(ContractMonth.missed))
        .where(ContractMonth.month == date(year, month, 1)).group_by(ContractMonth.contract_id),
        ContractMonth)).all()
    late = db.session.execute(scoped(
        select(CallOutcome.contract_id, func.count())
        .where(CallOutcome.status.in_(OPEN_UNPAUSED), CallOutcome.opened_at >= start,
               CallOutcome.opened_at < end, CallOutcome.due_at < now,
               CallOutcome.contract_id.is_not(None))
        .group_by(CallOutcome.contract_id), CallOutcome)).all()
    figures = {pk: [int(closed or 0), int(met or 0), int(missed or 0), 0] for pk, closed, met, missed in sums}
    for pk, count in late:
        figures.setdefault(pk, [0, 0, 0, 0])[3] = count
    if not figures:
        return []
    names = db.session.execute(
        select(Contract.id, Contract.number, func.coalesce(Client.trade_name, Client.name))
        .join(Client, Contract.client_id == Client.id).where(Contract.id.in_(figures))
        .order_by(Contract.number)).all()
    return [ComplianceRow(contract_id=pk, contract_number=number, client_name=client or "",
                          closed=figures[pk][0], met=figures[pk][1], missed=figures[pk][2],
                          open_late=figures[pk][3])
            for pk, number, client in names]

"""Indicadores: the dealer's service figures over a period, read from the calls' SLA outcomes
(app.indicators.outcomes) within the user's scope — the same rows for Admin Revenda, operators
(their companies) and the Cliente (his contracts, his calls when he is not gestor).

Each indicator is a :class:`Table`: the screen draws its chart from the rows, shows them as a
table and offers them as CSV, so the three always say the same. A fixed number of queries per
indicator, whatever the number of calls.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select, union_all

from app.calls.models import CallOutcome, CallStatus, CallWeek, ContractMonth
from app.indicators.outcomes import WEEK_SUMS, week_events, week_of
from app.calls.services import status_label
from app.catalog.models import (
    Client, Company, Contract, DefectType, Equipment, EquipmentModel, SupplyItem, Technician,
)
from app.core.db import db
from app.core.i18n import lazy_gettext as _l
from app.core.numbers import format_integer, format_tenths
from app.core.scoping import current_principal, scoped
from app.core.search import starts_with
from app.core.timefmt import local_midnight_utc
from app.supplies.models import MeterReading, SupplyRequest, SupplyRequestItem, SupplyStatus
from app.supplies.services import short_of_yield

MAX_DAYS = 731
DEFAULT_REPEAT_DAYS = 30
TOP = 15
REPAIRED = (CallStatus.CONCLUDED, CallStatus.ATTENDED)


@dataclass(frozen=True)
class Filters:
    """The screen's filters: period (local dates, both included), company, contract number,
    client name prefix and the repeat window in days."""

    start: date
    end: date
    company_id: int | None = None
    contract: str = ""
    client: str = ""
    repeat_days: int = DEFAULT_REPEAT_DAYS

    @classmethod
    def from_args(cls, args, today: date) -> Filters:
        def day(name):
            try:
                return date.fromisoformat((args.get(name) or "").strip()[:10])
            except ValueError:
                return None

        def number(name, low, high):
            value = (args.get(name) or "").strip()
            return min(max(int(value), low), high) if value.isdigit() and len(value) < 10 else None

        end = day("ate") or today
        start = day("de") or date(end.year - (end.month < 12), end.month % 12 + 1, 1)
        start = min(max(start, end - timedelta(days=MAX_DAYS)), end)
        return cls(start=start, end=end, company_id=number("empresa", 1, 2**31 - 1),
                   contract=(args.get("contrato") or "").strip()[:40],
                   client=(args.get("cliente") or "").strip()[:60],
                   repeat_days=number("dias", 1, 365) or DEFAULT_REPEAT_DAYS)

    def args(self) -> dict:
        values = {"de": self.start.isoformat(), "ate": self.end.isoformat(), "empresa": self.company_id,
                  "contrato": self.contract, "cliente": self.client, "dias": self.repeat_days}
        return {key: value for key, value in values.items() if value not in ("", None)}

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as naive UTC [from, to)."""
        return local_midnight_utc(self.start), local_midnight_utc(self.end + timedelta(days=1))

    def conditions(self, model=CallOutcome) -> list:
        """The filters as conditions on CallOutcome, or on the sums with the same company, client
        and contract columns (the scope comes on top, from scoped())."""
        found = []
        if self.company_id:
            found.append(model.company_id == self.company_id)
        if self.contract:
            found.append(model.contract_id.in_(
                select(Contract.id).where(Contract.number == self.contract)))
        if self.client:
            found.append(model.client_id.in_(self.clients()))
        return found

    def clients(self):
        """The ids of the clients whose name starts with the typed text."""
        return select(Client.id).where(or_(starts_with(Client.name, self.client),
                                           starts_with(Client.trade_name, self.client)))


@dataclass
class Table:
    """One indicator: its column headings, its rows (raw values) and how its chart reads them:
    the label column, the series columns and the chart's kind."""

    key: str
    title: object
    columns: list
    rows: list = field(default_factory=list)
    note: object = ""
    chart: str | None = "bar"
    label: int = 0
    series: tuple[int, ...] = (1,)
    extra: Table | None = None

    def cells(self) -> list[list[str]]:
        """The rows as the screen and the CSV show them."""
        return [[cell(value) for value in row] for row in self.rows]

    def chart_data(self) -> dict | None:
        if not self.chart or not self.rows:
            return None
        return {"kind": self.chart, "labels": [cell(row[self.label]) for row in self.rows],
                "series": [{"label": str(self.columns[i]),
                            "data": [_plain(row[i]) for row in self.rows]} for i in self.series]}


class Hours(float):
    """Business hours, shown with one decimal."""


class Percent(float):
    """A share in percent, shown with one decimal."""


class Month(date):
    """A month, shown as mm/aaaa."""


def cell(value) -> str:
    """A value as the table and the CSV show it: Brazilian numbers and dates."""
    if value is None:
        return "–"
    if isinstance(value, Month):
        return value.strftime("%m/%Y")
    if isinstance(value, datetime):
        from app.core.timefmt import format_datetime

        return format_datetime(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Percent):
        return f"{format_tenths(value)}%"
    if isinstance(value, float):
        return format_tenths(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_integer(value)
    return str(value)


def _plain(value):
    return None if value is None else round(float(value), 1)


def _outcomes(filters: Filters, *columns):
    return scoped(select(*columns).select_from(CallOutcome).where(*filters.conditions()), CallOutcome)


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def _percent(part: int, whole: int) -> Percent | None:
    return Percent(100.0 * part / whole) if whole else None


def _week_sums(filters: Filters) -> dict[date, dict[str, int]]:
    """The WEEK_SUMS of the calls opened / closed in the period, per week. Dealer staff read the
    weekly sums (CallWeek) for the weeks wholly inside the period and the outcomes only for the
    days of the weeks its ends cut; a client user reads the outcomes of the whole period (his
    calls are few, and one who is not gestor sees only the calls he opened, which a sum cannot
    respect). Either way the events are counted by the one definition of week_events()."""
    after = filters.end + timedelta(days=1)
    edges, found = [(filters.start, after)], defaultdict(lambda: dict.fromkeys(WEEK_SUMS, 0))
    first = filters.start + timedelta(days=-filters.start.weekday() % 7)  # first whole week
    last = after - timedelta(days=after.weekday() + 7)  # last whole week
    if not current_principal().client_side and first <= last:
        edges = [(low, high) for low, high in ((filters.start, first), (last + timedelta(days=7), after))
                 if low < high]
        summed = db.session.execute(scoped(
            select(CallWeek.week, *[func.sum(getattr(CallWeek, name)) for name in WEEK_SUMS])
            .where(CallWeek.week >= first, CallWeek.week <= last, *filters.conditions(CallWeek))
            .group_by(CallWeek.week), CallWeek)).all()
        for week, *sums in summed:
            found[week].update(zip(WEEK_SUMS, map(int, sums)))
    if edges:
        def within(column):
            return [*filters.conditions(), or_(*[and_(column >= local_midnight_utc(low),
                                                      column < local_midnight_utc(high))
                                                 for low, high in edges])]

        events = week_events(within(CallOutcome.opened_at), within(CallOutcome.closed_at),
                             lambda query: scoped(query, CallOutcome))
        for week, *sums in db.session.execute(
                select(events.c.week, *[func.sum(events.c[name]) for name in WEEK_SUMS])
                .group_by(events.c.week)).all():
            for name, value in zip(WEEK_SUMS, sums):
                found[week][name] += int(value or 0)
    return found


# --- volume -------------------------------------------------------------------------------

def weekly(filters: Filters) -> Table:
    """Calls opened and closed per week of the period (weeks without calls show zero)."""
    sums = _week_sums(filters)
    rows, week = [], week_of(filters.bounds[0])
    while week <= filters.end:
        rows.append((week, sums[week]["opened"], sums[week]["closed"]))
        week += timedelta(days=7)
    return Table("semanal", _l("Chamados abertos e encerrados por semana"),
                 [_l("Semana (segunda-feira)"), _l("Abertos"), _l("Encerrados")], rows,
                 note=_l("Encerrados: concluídos, atendidos e cancelados."), chart="line", series=(1, 2))


def backlog(filters: Filters) -> Table:
    """The calls not closed now, by status, in the order of the flow (the period does not apply)."""
    counts = dict(db.session.execute(
        _outcomes(filters, CallOutcome.status, func.count())
        .where(CallOutcome.status.not_in(CallStatus.CLOSED)).group_by(CallOutcome.status)).all())
    rows = [(f"{status} – {status_label(status)}", counts[status])
            for status in CallStatus.ALL if status in counts]
    return Table("pendentes", _l("Chamados em aberto agora, por status"), [_l("Status"), _l("Chamados")],
                 rows, note=_l("Situação atual: o período não se aplica."))


# --- SLA ----------------------------------------------------------------------------------

def _sla_sums(filters: Filters, first: date) -> list:
    """(contract, month, closed, met) of the period, for the TOP contracts with the most calls
    past their deadline. Dealer staff read the monthly sums kept per contract (ContractMonth); a
    client user the outcomes of the calls his scope holds (a user who is not gestor sees only
    the calls he opened, which a contract's sum cannot respect)."""
    if current_principal().client_side:
        contract, month = CallOutcome.contract_id, CallOutcome.closed_month
        closed, met = func.count(), _count(CallOutcome.outcome == CallOutcome.MET)
        base = _outcomes(filters).where(CallOutcome.outcome.is_not(None), contract.is_not(None),
                                        month >= first, month <= filters.end)
    else:
        contract, month = ContractMonth.contract_id, ContractMonth.month
        closed, met = func.sum(ContractMonth.closed), func.sum(ContractMonth.met)
        base = scoped(select().where(month >= first, month <= filters.end), ContractMonth)
        if filters.company_id:
            base = base.where(ContractMonth.company_id == filters.company_id)
        if filters.contract or filters.client:
            contracts = select(Contract.id)
            if filters.contract:
                contracts = contracts.where(Contract.number == filters.contract)
            if filters.client:
                contracts = contracts.where(Contract.client_id.in_(filters.clients()))
            base = base.where(contract.in_(contracts))
    worst = list(db.session.execute(base.add_columns(contract).group_by(contract)
                                    .order_by((closed - met).desc(), closed.desc(), contract)
                                    .limit(TOP)).scalars())
    if not worst:
        return []
    return db.session.execute(base.add_columns(contract, month, closed, met).where(contract.in_(worst))
                              .group_by(contract, month)).all()


def sla_by_contract(filters: Filters) -> Table:
    """Per contract and month of closing: calls closed (O/T) with a deadline, within and past it."""
    first = filters.start.replace(day=1)
    rows = [(pk, month, int(closed), int(met or 0)) for pk, month, closed, met in _sla_sums(filters, first)]
    names = _contracts({row[0] for row in rows})
    table = [(names[pk][0], names[pk][1], Month(month.year, month.month, 1), closed, met, closed - met,
              _percent(met, closed)) for pk, month, closed, met in rows]
    table.sort(key=lambda row: (row[0], row[2]))
    missed = db.session.execute(
        _outcomes(filters, CallOutcome.call_id, CallOutcome.contract_id, CallOutcome.opened_at,
                  CallOutcome.due_at, CallOutcome.closed_at)
        .where(CallOutcome.outcome == CallOutcome.MISSED,
               CallOutcome.closed_month >= first, CallOutcome.closed_month <= filters.end)
        .order_by(CallOutcome.closed_at.desc(), CallOutcome.call_id.desc()).limit(100)).all()
    names.update(_contracts({row.contract_id for row in missed} - set(names)))
    breached = Table("fora_do_prazo", _l("Chamados encerrados fora do prazo (os 100 mais recentes)"),
                     [_l("Chamado"), _l("Contrato"), _l("Abertura"), _l("Prazo"), _l("Encerramento")],
                     [(str(row.call_id), names.get(row.contract_id, ("", ""))[0], row.opened_at, row.due_at,
                       row.closed_at) for row in missed], chart=None)
    return Table("sla", _l("Cumprimento do SLA por contrato e mês: os contratos com mais chamados fora do prazo"),
                 [_l("Contrato"), _l("Cliente"), _l("Mês"), _l("Encerrados"), _l("No prazo"),
                  _l("Fora do prazo"), _l("Cumprimento")], table,
                 note=_l("Chamados concluídos ou atendidos com prazo, pelo mês do encerramento; o prazo "
                         "conta horas úteis da empresa e para enquanto o chamado está pausado."),
                 label=0, series=(4, 5), extra=breached)


def _contracts(ids) -> dict[int, tuple[str, str]]:
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    return {pk: (number, client or "") for pk, number, client in db.session.execute(
        select(Contract.id, Contract.number, func.coalesce(func.nullif(Client.trade_name, ""), Client.name))
        .join(Client, Client.id == Contract.client_id).where(Contract.id.in_(ids)))}


# --- times ----------------------------------------------------------------------------------

DIMENSIONS = (
    ("defeito", _l("Tempos por tipo de defeito"), _l("Defeito"), CallOutcome.defect_type_id, DefectType.name),
    ("modelo", _l("Tempos por modelo"), _l("Modelo"), CallOutcome.model_id, EquipmentModel.name),
    ("tecnico", _l("Tempos por técnico"), _l("Técnico"), CallOutcome.technician_id, Technician.name),
)


METRICS = (CallOutcome.response_seconds, CallOutcome.repair_seconds)


def _ranks(count):
    """The 1-based ranks a median and a nearest-rank p90 of ``count`` sorted values read: the
    middle one or two, and ceil(0.9 × count) in integers."""
    return (count + 1) // 2, count // 2 + 1, (count * 9 + 9) // 10


def _rank_values(filters: Filters) -> list:
    """(dimension, metric, key, count, rank, value) for the ranks _ranks() names, of every
    dimension and metric: one statement whose windows rank each group's values in the database,
    so a year of the dealer's calls never leaves it (100,000 rows through the driver: 0.4 s)."""
    start, end = filters.bounds
    parts = []
    for which, (_key, _title, _heading, column, _name) in enumerate(DIMENSIONS):
        for metric_index, metric in enumerate(METRICS):
            ranked = _outcomes(
                filters, column.label("pk"), metric.label("value"),
                func.row_number().over(partition_by=column, order_by=(metric, CallOutcome.call_id)).label("nth"),
                func.count().over(partition_by=column).label("total"),
            ).where(CallOutcome.status.in_(REPAIRED), CallOutcome.closed_at >= start, CallOutcome.closed_at < end,
                    column.is_not(None), metric.is_not(None)).subquery()
            parts.append(select(literal(which).label("dimension"), literal(metric_index).label("metric"),
                                ranked.c.pk, ranked.c.total, ranked.c.nth, ranked.c.value)
                         .where(ranked.c.nth.in_(_ranks(ranked.c.total))))
    return db.session.execute(union_all(*parts)).all()


def _hours(count: int, values: dict[int, int]) -> tuple[Hours | None, Hours | None]:
    """Median and p90 (business hours) from the values at _ranks(count)."""
    if not count:
        return None, None
    low, high, p90 = _ranks(count)
    return Hours((values[low] + values[high]) / 2 / 3600), Hours(values[p90] / 3600)


def times(filters: Filters) -> list[Table]:
    """Time to first attendance and to repair (business hours: median and p90) of the calls
    closed as Concluído or Atendido in the period, by defect, model and technician."""
    found = [defaultdict(lambda: [(0, {}), (0, {})]) for _dimension in DIMENSIONS]
    for which, metric, pk, count, rank, value in _rank_values(filters):
        found[which][pk][metric] = (count, {**found[which][pk][metric][1], rank: value})
    tables = []
    for groups, (key, title, heading, _column, name_column) in zip(found, DIMENSIONS):
        biggest = sorted(groups, key=lambda pk: (-groups[pk][1][0], pk))[:TOP]
        entity = name_column.class_
        names = dict(db.session.execute(
            select(entity.id, name_column).where(entity.id.in_(biggest))).all()) if biggest else {}
        table = [(names.get(pk, pk), groups[pk][1][0], *_hours(*groups[pk][0]), *_hours(*groups[pk][1]))
                 for pk in biggest]
        tables.append(Table(f"tempos_{key}", title, [
            heading, _l("Chamados"), _l("1º atendimento: mediana (h)"), _l("1º atendimento: p90 (h)"),
            _l("Reparo: mediana (h)"), _l("Reparo: p90 (h)")], table,
            note=_l("Horas úteis, como o prazo as conta (expediente, feriados, pausas fora); os %(n)s "
                    "com mais chamados encerrados no período.", n=TOP), series=(3, 5)))
    return tables


# --- quality --------------------------------------------------------------------------------

def summary(filters: Filters) -> Table:
    """First-time fix and pré atendimento shares of the calls closed (O/T) in the period."""
    weeks = _week_sums(filters).values()
    closed, visited, first_time, pre_service = (sum(week[name] for week in weeks) for name in (
        "repaired", "visited", "first_visit", "pre_service"))
    return Table("resumo", _l("Resolução"), [_l("Indicador"), _l("Chamados"), _l("Base"), _l("Percentual")], [
        (str(_l("Resolvidos na primeira visita")), first_time, visited, _percent(first_time, visited)),
        (str(_l("Resolvidos no pré atendimento, sem visita")), pre_service, closed,
         _percent(pre_service, closed)),
    ], note=_l("Chamados concluídos ou atendidos no período; primeira visita: entre os que tiveram "
               "atendimento técnico, os que tiveram um só."), series=(3,))


def repeats(filters: Filters) -> Table:
    """Repeat calls: a call on an equipment that had another call opened less than N days
    before. The equipment with the most repeats in the period. Dealer staff compare the gap each
    outcome keeps to its equipment's previous call with the window, in the database."""
    if current_principal().client_side:
        worst, total, again = _client_repeats(filters)
    else:
        start, end = filters.bounds
        repeated = _count(CallOutcome.previous_gap_seconds < filters.repeat_days * 86400)
        base = _outcomes(filters).where(CallOutcome.equipment_id.is_not(None), CallOutcome.opened_at >= start,
                                        CallOutcome.opened_at < end)
        total, again = (int(value or 0) for value in db.session.execute(
            base.add_columns(func.count(), repeated)).one())
        worst = db.session.execute(
            base.add_columns(CallOutcome.equipment_id, func.count(), repeated).group_by(CallOutcome.equipment_id)
            .having(repeated > 0).order_by(repeated.desc(), func.count().desc(), CallOutcome.equipment_id)
            .limit(TOP)).all()
    names = _equipment([row[0] for row in worst])
    table = [(names[pk].serial, names[pk].model, names[pk].client, int(calls), int(repeated))
             for pk, calls, repeated in worst]
    return Table("reincidencia", _l("Chamados repetidos por equipamento"),
                 [_l("Série"), _l("Modelo"), _l("Cliente"), _l("Chamados"), _l("Repetidos")], table,
                 note=_l("Repetido: o mesmo equipamento teve outro chamado aberto menos de %(days)s dias "
                         "antes. No período, %(again)s de %(total)s chamados com equipamento (%(share)s).",
                         days=filters.repeat_days, again=format_integer(again), total=format_integer(total),
                         share=cell(_percent(again, total))), series=(3, 4))


def _client_repeats(filters: Filters) -> tuple[list, int, int]:
    """The repeats of a client user, counted over the calls his scope holds (one who is not
    gestor sees only the calls he opened, so the previous call is the previous of those):
    (equipment, calls, repeats) of the TOP, calls and repeats in all."""
    start, end = filters.bounds
    window = timedelta(days=filters.repeat_days)
    rows = db.session.execute(
        _outcomes(filters, CallOutcome.equipment_id, CallOutcome.opened_at)
        .where(CallOutcome.equipment_id.is_not(None), CallOutcome.opened_at >= start - window,
               CallOutcome.opened_at < end)
        .order_by(CallOutcome.equipment_id, CallOutcome.opened_at, CallOutcome.call_id)).all()
    calls, repeated, previous = defaultdict(int), defaultdict(int), {}
    for equipment_id, opened_at in rows:
        before = previous.get(equipment_id)
        previous[equipment_id] = opened_at
        if opened_at < start:
            continue
        calls[equipment_id] += 1
        if before is not None and opened_at - before < window:
            repeated[equipment_id] += 1
    worst = sorted(repeated, key=lambda pk: (-repeated[pk], -calls[pk], pk))[:TOP]
    return ([(pk, calls[pk], repeated[pk]) for pk in worst], sum(calls.values()),
            sum(repeated.values()))


# --- supplies ---------------------------------------------------------------------------------

def supplies(filters: Filters) -> Table:
    """Per equipment and supply: units requested in the period against what the pages printed
    (its meter readings in the period) needed at the supply's yield; far above it is flagged."""
    start, end = filters.bounds

    def requests(*columns):
        return scoped(select(*columns).where(
            SupplyRequest.equipment_id.is_not(None), SupplyRequest.status != SupplyStatus.CANCELLED,
            SupplyRequest.requested_at >= start, SupplyRequest.requested_at < end, *_supply_conditions(filters)),
            SupplyRequest)

    requested = requests(SupplyRequest.equipment_id.label("equipment_id"),
                         SupplyRequestItem.supply_item_id.label("item_id"),
                         func.sum(SupplyRequestItem.quantity).label("units")) \
        .join(SupplyRequestItem, SupplyRequestItem.request_id == SupplyRequest.id) \
        .group_by(SupplyRequest.equipment_id, SupplyRequestItem.supply_item_id).subquery()
    # The equipment as a subquery, not as their ids: a year's 30,000 ids are as many parameters.
    printed = select(MeterReading.equipment_id,
                     (func.max(MeterReading.counter) - func.min(MeterReading.counter)).label("pages")) \
        .where(MeterReading.equipment_id.in_(requests(SupplyRequest.equipment_id)), MeterReading.read_at >= start,
               MeterReading.read_at < end).group_by(MeterReading.equipment_id).subquery()
    # Ranked in the database (a year's 50,000 pairs never leave it): the biggest share of the
    # expected units first (units ÷ (pages ÷ yield)), then the most units.
    share = case((and_(printed.c.pages > 0, SupplyItem.page_yield > 0),
                  100.0 * requested.c.units * SupplyItem.page_yield / printed.c.pages), else_=0)
    top = []
    for item in db.session.execute(
            select(requested.c.equipment_id, SupplyItem.name, SupplyItem.page_yield, requested.c.units,
                   printed.c.pages)
            .select_from(requested).join(SupplyItem, SupplyItem.id == requested.c.item_id)
            .outerjoin(printed, printed.c.equipment_id == requested.c.equipment_id)
            .order_by(share.desc(), requested.c.units.desc(), requested.c.equipment_id).limit(TOP)).all():
        units, pages = int(item.units), None if item.pages is None else int(item.pages)
        expected = pages / item.page_yield if pages and item.page_yield else None
        top.append((item.equipment_id, item, units, pages, expected,
                    _percent(units, expected) if expected else None))
    names = _equipment({row[0] for row in top})
    rows = [(names[pk].serial, names[pk].model, names[pk].client, item.name, units, pages, item.page_yield,
             needed, share,
             str(FLAG) if pages is not None and item.page_yield and short_of_yield(pages, item.page_yield, units)
             else "")
            for pk, item, units, pages, needed, share in top]
    return Table("suprimentos", _l("Suprimentos por equipamento: pedidos × páginas impressas"),
                 [_l("Série"), _l("Modelo"), _l("Cliente"), _l("Suprimento"), _l("Unidades pedidas"),
                  _l("Páginas impressas"), _l("Rendimento (páginas)"), _l("Unidades esperadas"),
                  _l("Pedido / esperado"), _l("Alerta")], rows,
                 note=_l("Páginas: diferença entre o maior e o menor contador lido no período. Esperado: "
                         "páginas ÷ rendimento. Alerta quando as páginas não chegam a %(share)s do "
                         "rendimento das unidades pedidas (a regra do aviso da solicitação); os %(n)s "
                         "maiores.", share=cell(Percent(100 * current_app.config["PWS_SUPPLY_YIELD_SHARE"])),
                         n=TOP), series=(4, 7))


FLAG = _l("Acima do rendimento")


def _supply_conditions(filters: Filters) -> list:
    found = []
    if filters.company_id:
        found.append(SupplyRequest.company_id == filters.company_id)
    if filters.contract:
        found.append(SupplyRequest.contract_id.in_(select(Contract.id).where(Contract.number == filters.contract)))
    if filters.client:
        found.append(SupplyRequest.client_id.in_(filters.clients()))
    return found


# Each table's key (its CSV's name) and the indicator that makes it, in the screen's order.
def _equipment(ids) -> dict:
    """Série, model and client of some equipment, by id."""
    if not ids:
        return {}
    return {row.id: row for row in db.session.execute(
        select(Equipment.id, Equipment.serial, EquipmentModel.name.label("model"),
               func.coalesce(func.nullif(Client.trade_name, ""), Client.name).label("client"))
        .join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
        .join(Client, Client.id == Equipment.client_id).where(Equipment.id.in_(list(ids))))}


INDICATORS = {
    "semanal": weekly, "pendentes": backlog, "sla": sla_by_contract, "fora_do_prazo": sla_by_contract,
    **{f"tempos_{key}": times for key, *_rest in DIMENSIONS}, "resumo": summary, "reincidencia": repeats,
    "suprimentos": supplies,
}


def _tables(produced) -> list[Table]:
    tables = []
    for table in produced if isinstance(produced, list) else [produced]:
        tables += [table] + ([table.extra] if table.extra is not None else [])
    return tables


def indicators(filters: Filters, with_supplies: bool) -> list[Table]:
    """Every indicator of the screen, in its order; supplies only for who may read them."""
    tables = []
    for indicator in dict.fromkeys(INDICATORS.values()):
        if indicator is not supplies or with_supplies:
            tables += _tables(indicator(filters))
    return tables


def indicator(filters: Filters, key: str, with_supplies: bool) -> Table | None:
    """One table, computing only the indicator that makes it (the CSV download)."""
    maker = INDICATORS.get(key)
    if maker is None or (maker is supplies and not with_supplies):
        return None
    return next((t for t in _tables(maker(filters)) if t.key == key), None)


def companies() -> list:
    """The companies the user may filter by (dealer side)."""
    return db.session.execute(scoped(select(Company.id, func.coalesce(
        func.nullif(Company.trade_name, ""), Company.name).label("name")), Company)
        .order_by("name")).all()

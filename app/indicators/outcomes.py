"""The SLA outcome of each call (CallOutcome), its monthly sums per contract (ContractMonth) and
its weekly sums per client and contract (CallWeek), kept current in the transaction that changes
the call.

One seam: every flush that writes a call or an attendance marks the call, writers that bypass
the ORM (the ERP sync's bulk upserts) call :func:`mark`, and just before the transaction commits
the marked calls' outcomes are recomputed — whichever service, API or import changed them.
History (and bulk-loaded data such as the demo) is rebuilt in batches by :func:`rebuild`.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import (
    bindparam, case, delete, event, func, insert, inspect, literal, select, tuple_, union_all, update,
)
from sqlalchemy.orm import Session

from app.calls import sla
from app.calls.models import CallOutcome, CallStatus, CallWeek, ContractMonth, ServiceCall
from app.catalog.models import Client, Contract, Equipment
from app.core.db import on_rollback
from app.core.timefmt import to_local

_MARKED = "pws_outcome_calls"
# What an outcome is made of: a change to anything else of a call leaves it as it was.
_INPUTS = frozenset({
    "status", "opened_at", "closed_at", "priority_due", "sla_paused_seconds", "company_id",
    "client_id", "contract_id", "equipment_id", "technician_id", "defect_type_id", "opened_by_id",
    "resolved_in_pre_service",
})
BATCH = 1000
MET_STATUSES = (CallStatus.CONCLUDED, CallStatus.ATTENDED)


def mark(session: Session, call_ids: Iterable[int]) -> None:
    """Recompute these calls' outcomes when the session commits (for writes outside the ORM)."""
    session.info.setdefault(_MARKED, set()).update(pk for pk in call_ids if pk is not None)


@event.listens_for(Session, "after_flush")
def _mark_flushed(session, _flush_context):
    from app.field.models import Attendance

    marked = set()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, ServiceCall):
            state = inspect(obj)
            if obj in session.new or obj in session.deleted or any(
                    state.attrs[name].history.has_changes() for name in _INPUTS):
                marked.add(obj.id)
        elif isinstance(obj, Attendance):
            marked.add(obj.call_id)
    if marked:
        mark(session, marked)


@event.listens_for(Session, "before_commit")
def _refresh_marked(session):
    # Flush first: commit flushes only after this hook, and the changes still pending (a status
    # set and committed at once) mark their calls in that flush.
    session.flush()
    marked = session.info.pop(_MARKED, None)
    if marked:
        refresh(session, marked)


@on_rollback
def _forget(session):
    session.info.pop(_MARKED, None)


def month_of(moment: datetime | None) -> date | None:
    """First day of the local month of a stored (naive UTC) moment."""
    return to_local(moment).date().replace(day=1) if moment is not None else None


def week_of(moment: datetime | None) -> date | None:
    """Monday of the local week of a stored (naive UTC) moment."""
    if moment is None:
        return None
    day = to_local(moment).date()
    return day - timedelta(days=day.weekday())


def _seconds(value) -> int:
    return int(value.total_seconds())


def _outcome(row, calendar: sla.Calendar) -> dict:
    """One CallOutcome row from a call's row (the columns of _SOURCE)."""
    closed = row.closed_at if row.status in CallStatus.CLOSED else None
    response = repair = None
    if row.first_attendance_at is not None:
        response = _seconds(sla.business_time_between(row.opened_at, row.first_attendance_at, calendar))
    if closed is not None and row.status in MET_STATUSES:
        repair = max(_seconds(sla.business_time_between(row.opened_at, closed, calendar))
                     - (row.sla_paused_seconds or 0), 0)
    outcome = None
    if closed is not None and row.status in MET_STATUSES and row.priority_due is not None:
        outcome = CallOutcome.MET if closed <= row.priority_due else CallOutcome.MISSED
    return {
        "call_id": row.id, "company_id": row.company_id, "client_id": row.client_id,
        "contract_id": row.contract_id, "equipment_id": row.equipment_id, "model_id": row.model_id,
        "technician_id": row.technician_id, "defect_type_id": row.defect_type_id,
        "opened_by_id": row.opened_by_id, "status": row.status, "opened_at": row.opened_at,
        "closed_at": closed, "opened_week": week_of(row.opened_at), "closed_week": week_of(closed),
        "closed_month": month_of(closed), "due_at": row.priority_due,
        "outcome": outcome, "first_attendance_at": row.first_attendance_at,
        "response_seconds": response, "repair_seconds": repair, "visits": row.visits or 0,
        "resolved_in_pre_service": bool(row.resolved_in_pre_service),
    }


def _source():
    from app.field.models import Attendance

    visits = (select(Attendance.call_id, func.min(Attendance.started_at).label("first"),
                     func.sum(case((Attendance.status != Attendance.CANCELLED, 1), else_=0)).label("visits"))
              .group_by(Attendance.call_id))
    return visits, select(
        ServiceCall.id, ServiceCall.company_id, ServiceCall.client_id, ServiceCall.contract_id,
        ServiceCall.equipment_id, Equipment.model_id, ServiceCall.technician_id,
        ServiceCall.defect_type_id, ServiceCall.opened_by_id, ServiceCall.status,
        ServiceCall.opened_at, ServiceCall.closed_at, ServiceCall.priority_due,
        ServiceCall.sla_paused_seconds, ServiceCall.resolved_in_pre_service,
    ).outerjoin(Equipment, Equipment.id == ServiceCall.equipment_id)


def _write(session: Session, call_ids: list[int]) -> tuple[set[tuple], set[tuple]]:
    """Recompute the outcomes of ``call_ids``; the (contract, month) and (client, week) pairs
    they left or joined."""
    from app.calls.services import calendars_for

    table = CallOutcome.__table__
    before = session.execute(select(table.c.contract_id, table.c.closed_month, table.c.client_id,
                                    table.c.opened_week, table.c.closed_week)
                             .where(table.c.call_id.in_(call_ids))).all()
    touched = {(row.contract_id, row.closed_month) for row in before if row.closed_month}
    weeks = {(row.client_id, week) for row in before for week in (row.opened_week, row.closed_week) if week}
    visits, calls = _source()
    visits = visits.where(visits.selected_columns[0].in_(call_ids)).subquery()
    rows = session.execute(calls.add_columns(visits.c.first.label("first_attendance_at"),
                                             visits.c.visits.label("visits"))
                           .outerjoin(visits, visits.c.call_id == ServiceCall.id)
                           .where(ServiceCall.id.in_(call_ids))).all()
    calendars = calendars_for(row.company_id for row in rows)
    values = [_outcome(row, calendars[row.company_id]) for row in rows]
    session.execute(delete(table).where(table.c.call_id.in_(call_ids)))
    if values:
        session.execute(insert(table), values)
    touched |= {(v["contract_id"], v["closed_month"]) for v in values if v["closed_month"]}
    weeks |= {(v["client_id"], v[week]) for v in values for week in ("opened_week", "closed_week") if v[week]}
    return {pair for pair in touched if pair[0] is not None}, weeks


def _sum_months(session: Session, pairs: set[tuple] | None = None) -> None:
    """ContractMonth rows recomputed from the outcomes: for these (contract, month) pairs, or all."""
    source, target = CallOutcome.__table__, ContractMonth.__table__
    source_pairs = tuple_(source.c.contract_id, source.c.closed_month)
    cleared, counted = delete(target), [source.c.outcome.is_not(None), source.c.contract_id.is_not(None)]
    if pairs is not None:
        cleared = cleared.where(tuple_(target.c.contract_id, target.c.month).in_(pairs))
        counted.append(source_pairs.in_(pairs))
    session.execute(cleared)
    session.execute(insert(target).from_select(
        ["contract_id", "month", "company_id", "closed", "met", "missed"],
        select(source.c.contract_id, source.c.closed_month, source.c.company_id, func.count(),
               func.sum(case((source.c.outcome == CallOutcome.MET, 1), else_=0)),
               func.sum(case((source.c.outcome == CallOutcome.MISSED, 1), else_=0)))
        .where(*counted)
        .group_by(source.c.contract_id, source.c.closed_month, source.c.company_id)))


WEEK_SUMS = ("opened", "closed", "repaired", "visited", "first_visit", "pre_service")


def week_events(opened=(), closed=(), scope=lambda query: query):
    """What CallWeek sums, one row per event: a call opened (in its week of opening) and a call
    closed (in its week of closing), each with the WEEK_SUMS it adds. ``opened`` and ``closed``
    are conditions on CallOutcome for each kind of event, ``scope`` wraps both selects: the
    rebuild, the refresh of some client weeks and the indicators of a client user (read from
    the outcomes) count with this one definition."""
    source = CallOutcome.__table__.c
    repaired = source.status.in_(MET_STATUSES)

    def flag(condition):
        return case((condition, 1), else_=0)

    def events(week, values, conditions):
        return scope(select(source.company_id, source.client_id,
                            func.coalesce(source.contract_id, CallWeek.NO_CONTRACT).label("contract_id"),
                            week.label("week"), *[value.label(name) for name, value in zip(WEEK_SUMS, values)])
                     .select_from(CallOutcome.__table__).where(*conditions))

    zero, one = literal(0), literal(1)
    return union_all(
        events(source.opened_week, (one, zero, zero, zero, zero, zero), opened),
        events(source.closed_week, (zero, one, flag(repaired), flag(repaired & (source.visits > 0)),
                                    flag(repaired & (source.visits == 1)),
                                    flag(repaired & source.resolved_in_pre_service.is_(True))),
               [source.closed_week.is_not(None), *closed]),
    ).subquery()


def _sum_weeks(session: Session, pairs: set[tuple] | None = None, clients: list[int] | None = None) -> None:
    """CallWeek rows recomputed from the outcomes: for these (client, week) pairs, or every week
    of these clients."""
    source, target = CallOutcome.__table__.c, CallWeek.__table__
    if pairs is not None:
        cleared = delete(target).where(tuple_(target.c.client_id, target.c.week).in_(pairs))
        opened = [tuple_(source.client_id, source.opened_week).in_(pairs)]
        closed = [tuple_(source.client_id, source.closed_week).in_(pairs)]
    else:
        cleared = delete(target).where(target.c.client_id.in_(clients))
        opened = closed = [source.client_id.in_(clients)]
    events = week_events(opened, closed)
    keys = [events.c.client_id, events.c.week, events.c.contract_id, events.c.company_id]
    session.execute(cleared)
    session.execute(insert(target).from_select(
        [key.name for key in keys] + list(WEEK_SUMS),
        select(*keys, *[func.sum(events.c[name]) for name in WEEK_SUMS]).group_by(*keys)))


def _take_turns(session: Session, ids: list[int]) -> set[int]:
    """Writers of the same sums take turns: the equipment, contracts and clients of these calls,
    as they were and as they are, locked in id order (no deadlock) before any outcome is
    written, so each sum (and gap) is counted from the outcomes the other committed and no
    writer waits for an outcome row another one wrote while that one waits for its lock. The
    equipment locked."""
    found = {Equipment: set(), Contract: set(), Client: set()}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        for model, pk in ((CallOutcome, CallOutcome.call_id), (ServiceCall, ServiceCall.id)):
            for row in session.execute(select(model.equipment_id, model.contract_id, model.client_id)
                                       .where(pk.in_(chunk))):
                for pks, value in zip(found.values(), row):
                    pks.add(value)
    _lock(session, found)
    return found[Equipment]


def _lock(session: Session, found: dict) -> None:
    """Lock these equipment, contracts and clients, in that order and each in id order."""
    for model, pks in found.items():
        pks.discard(None)
        if pks:
            session.execute(select(model.id).where(model.id.in_(pks)).order_by(model.id).with_for_update())


@event.listens_for(Session, "before_flush")
def _lock_before_writing_calls(session, _flush_context, _instances):
    """Take the turn before a call row is written, not after: writing a call takes a shared lock
    on its equipment, contract and client (the foreign keys' check), and two writers that each
    hold one and then ask for ``_take_turns``' exclusive lock deadlock (two calls opened at once
    for one machine). Locked first, the second writer waits holding nothing."""
    calls = [obj for obj in [*session.new, *session.dirty] if isinstance(obj, ServiceCall)]
    if calls:
        _lock(session, {Equipment: {c.equipment_id for c in calls}, Contract: {c.contract_id for c in calls},
                        Client: {c.client_id for c in calls}})


def _gaps(session: Session, equipment_ids: set[int]) -> None:
    """Each outcome's gap to the previous call of its equipment (by opening, then id), for the
    calls of these equipment: a call opened, moved or re-dated changes its own gap and the next
    one's. Read from the outcomes (current: the writer holds the equipment's lock)."""
    table = CallOutcome.__table__
    ids = sorted(equipment_ids)
    for start in range(0, len(ids), BATCH):
        changed, previous = [], (None, None)
        for call_id, equipment_id, opened_at, gap in session.execute(
                select(table.c.call_id, table.c.equipment_id, table.c.opened_at, table.c.previous_gap_seconds)
                .where(table.c.equipment_id.in_(ids[start:start + BATCH]))
                .order_by(table.c.equipment_id, table.c.opened_at, table.c.call_id)):
            now = _seconds(opened_at - previous[1]) if previous[0] == equipment_id else None
            previous = (equipment_id, opened_at)
            if now != gap:
                changed.append({"pk": call_id, "gap": now})
        if changed:
            session.execute(update(table).where(table.c.call_id == bindparam("pk"))
                            .values(previous_gap_seconds=bindparam("gap")), changed)


def refresh(session: Session, call_ids: Iterable[int]) -> None:
    """Recompute these calls' outcomes and the contract months and client weeks they count in."""
    ids = sorted(set(call_ids))
    equipment = _take_turns(session, ids)
    for start in range(0, len(ids), BATCH):
        months, weeks = _write(session, ids[start:start + BATCH])
        if months:
            _sum_months(session, months)
        if weeks:
            _sum_weeks(session, weeks)
    _gaps(session, equipment)


def rebuild(session: Session, batch: int = 5000, report=None) -> int:
    """Every call's outcome again, ``batch`` calls per transaction, then every contract month and
    client week, and the gaps between each equipment's calls: for history, and after bulk loads
    that bypass the ORM (demo, restores)."""
    last, done = 0, 0
    while True:
        ids = list(session.execute(select(ServiceCall.id).where(ServiceCall.id > last)
                                   .order_by(ServiceCall.id).limit(batch)).scalars())
        if not ids:
            break
        _write(session, ids)
        session.commit()
        last, done = ids[-1], done + len(ids)
        if report:
            report(done)
    session.execute(delete(CallOutcome.__table__).where(
        CallOutcome.call_id.not_in(select(ServiceCall.id))))
    session.commit()
    equipment = list(session.execute(select(CallOutcome.equipment_id).distinct()
                                     .where(CallOutcome.equipment_id.is_not(None))).scalars())
    for start in range(0, len(equipment), batch):
        _gaps(session, set(equipment[start:start + batch]))
        session.commit()
    _sum_months(session)
    session.execute(delete(CallWeek.__table__))
    session.commit()
    # Some clients at a time: each group stays small (a year of 1M calls at once spills to disk).
    clients = list(session.execute(select(CallOutcome.client_id).distinct()).scalars())
    for start in range(0, len(clients), batch):
        _sum_weeks(session, clients=clients[start:start + batch])
        session.commit()
    return done

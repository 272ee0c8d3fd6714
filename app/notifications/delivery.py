"""Delivery of outbox rows after commit (rq with REDIS_URL, in-process otherwise) and the sweeper.

Nothing here can lose a message: the row is committed before any of this runs, and whatever
fails (Redis down, SMTP down, a worker killed mid-send) leaves it pending for the sweeper.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from app.core.db import db, on_commit, utcnow
from app.notifications.models import OutboxMessage
from app.notifications.outbox import PENDING_KEY, deliver_on_commit
from app.notifications.queue import enqueue_messages, without_jobs_in_flight
from app.notifications.sending import TemporaryFailure, send_message

log = logging.getLogger(__name__)
SWEEP_BATCH = 500


def deliver_after_commit(ids: list[int]) -> None:
    """Hand the committed outbox rows to the sender; never raises (the change is committed)."""
    try:
        deliver(ids)
    except Exception:  # the sweeper delivers whatever this could not
        log.exception("outbox %s: delivery deferred to the sweeper", ids)


@on_commit
def _after_commit(session):
    pending = session.info.pop(PENDING_KEY, [])
    identities = (inspect(m).identity for m in pending)
    ids = [identity[0] for identity in identities if identity]
    if ids:
        deliver_after_commit(ids)


def deliver(ids: list[int], *, swept: bool = False) -> int:
    """Enqueue one rq job per row, or send them now when there is no Redis. Rows the sweeper
    found (``swept``) are enqueued only when no job of theirs is still in flight: a row waits
    in the queue or for its retry once, however often the sweep runs. Returns how many rows
    were handed to the queue or sent."""
    if not ids:
        return 0
    if current_app.config["REDIS_URL"]:
        try:
            ids = without_jobs_in_flight(ids) if swept else ids
            enqueue_messages(ids)
        except RedisError as error:
            log.warning("outbox %s: Redis unavailable (%s); the sweeper will enqueue them", ids, error)
            return 0
        return len(ids)
    for message_id in ids:
        try:
            send_message(message_id)
        except TemporaryFailure:
            pass  # recorded on the row; the sweeper retries it when it is due
    return len(ids)


@dataclass(frozen=True)
class SweepResult:
    reclaimed: int
    delivered: int


def sweep(now: datetime | None = None) -> SweepResult:
    """Reclaim rows stuck in "sending" and hand every due pending row to the sender."""
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config["PWS_MAIL_SENDING_TIMEOUT"])
    with Session(db.engine) as session:
        reclaimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxMessage.SENDING, OutboxMessage.locked_at <= stale)
            .values(status=OutboxMessage.PENDING, locked_at=None, next_attempt_at=now,
                    last_error="Envio interrompido: o processo que enviava parou.")
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        due = list(session.execute(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxMessage.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(SWEEP_BATCH)
        ).scalars())
    if reclaimed:
        log.warning("outbox: reclaimed %d row(s) from a stopped sender", reclaimed)
    return SweepResult(reclaimed=reclaimed, delivered=deliver(due, swept=True))


def requeue(ids: list[int]) -> int:
    """Admin "Reenviar": pending or failed rows become due now; delivered after the caller commits."""
    rows = db.session.execute(
        select(OutboxMessage).where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status.in_((OutboxMessage.PENDING, OutboxMessage.FAILED)),
        )
    ).scalars().all()
    for row in rows:
        row.status = OutboxMessage.PENDING
        row.attempts = 0
        row.next_attempt_at = utcnow()
        deliver_on_commit(row)
    return len(rows)

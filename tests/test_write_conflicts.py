"""A unit of work refused for a write conflict runs again as a whole (app.core.db.retry_on_conflict).

On one MariaDB the conflict is a deadlock; on multi-primary Galera it is also a certification
failure at commit (tests/test_galera.py races nodes). Either way: applied once, whole, or not at all.
"""
import threading

import pymysql
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.core.db import CONFLICT_ATTEMPTS, db, is_conflict, retry_on_conflict
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.services import need_mysql


def _refused(code):
    """The error SQLAlchemy raises when MariaDB refuses a statement or a commit with ``code``."""
    return OperationalError("COMMIT", {}, pymysql.err.OperationalError(code, "refused"))


def _fails(error):
    def unit():
        raise error
    return unit


def test_a_conflict_runs_the_unit_again_and_anything_else_is_raised_at_once():
    runs, rollbacks = [], []

    def unit():
        runs.append(1)
        if len(runs) < 3:
            raise _refused(1213 if len(runs) == 1 else 1205)
        return "feito"

    assert retry_on_conflict(unit, rollback=lambda: rollbacks.append(1)) == "feito"
    assert (len(runs), len(rollbacks)) == (3, 2)

    rollbacks.clear()
    with pytest.raises(OperationalError):  # a server gone is not a conflict: the 503 at once
        retry_on_conflict(_fails(_refused(2013)), rollback=lambda: rollbacks.append(1))
    with pytest.raises(IntegrityError):
        retry_on_conflict(_fails(IntegrityError("INSERT", {}, Exception())), rollback=lambda: rollbacks.append(1))
    assert rollbacks == []
    assert is_conflict(_refused(1213)) and not is_conflict(_refused(1062)) and not is_conflict(ValueError())


def test_a_conflict_that_persists_is_raised_after_the_last_attempt():
    rollbacks = []
    with pytest.raises(OperationalError):
        retry_on_conflict(_fails(_refused(1213)), rollback=lambda: rollbacks.append(1))
    assert len(rollbacks) == CONFLICT_ATTEMPTS - 1


def test_two_units_that_deadlock_are_both_applied_once_and_whole(app, db_ctx):
    """A real InnoDB deadlock: each unit moves two rows, in opposite orders; the one the server
    picks as the victim is rolled back whole and runs again after the other commits."""
    need_mysql(app)
    with db_ctx():
        first, second = f.outbox_message().id, f.outbox_message().id
    both_hold_one = threading.Barrier(2)
    errors = []

    def unit(session, order):
        session.execute(update(OutboxMessage).where(OutboxMessage.id == order[0])
                        .values(attempts=OutboxMessage.attempts + 1))
        if not both_hold_one.broken:
            try:
                both_hold_one.wait(timeout=5)  # only the first attempt meets the other
            except threading.BrokenBarrierError:
                pass
        session.execute(update(OutboxMessage).where(OutboxMessage.id == order[1])
                        .values(attempts=OutboxMessage.attempts + 1))
        session.commit()

    def run(order):
        with app.app_context(), Session(db.engine) as session:
            try:
                retry_on_conflict(lambda: unit(session, order), rollback=session.rollback)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                both_hold_one.abort()

    threads = [threading.Thread(target=run, args=(order,)) for order in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with db_ctx() as session:
        assert session.execute(select(OutboxMessage.attempts).order_by(OutboxMessage.id)).scalars().all() == [2, 2]

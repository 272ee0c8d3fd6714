"""The one SQLAlchemy handle, bound to FAB's declarative base so Alembic sees every table."""
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, UTC
from typing import TypeVar

from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from sqlalchemy import Boolean, Column, DateTime, Integer, String, event, inspect, text
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

db = SQLA(model_class=Model)
log = logging.getLogger(__name__)
T = TypeVar("T")

# A transaction another one beat: a deadlock, or on Galera a certification conflict (another
# node committed the same rows first; both are error 1213), or a row lock waited for too long
# (1205). The database rolled it back whole; run again from the start, it may well succeed.
CONFLICT_CODES = frozenset({1205, 1213})
CONFLICT_ATTEMPTS = 4
# SQLite lets one writer at a time; the driver's 5 s default fails a write queued behind a busy
# writer (a request on a loaded machine) though the web server would have waited 30 s for it.
SQLITE_WRITE_WAIT = 30
CONFLICT_BACKOFF = 0.02  # seconds before the 2nd attempt, doubled for each next one (full jitter)


def utcnow() -> datetime:
    """Naive UTC: every timestamp is stored in UTC and shown in America/Sao_Paulo."""
    return datetime.now(UTC).replace(tzinfo=None)


class TimestampMixin:
    created_at = Column(DateTime, default=utcnow, nullable=False, index=True)
    updated_at = Column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


# MariaDB's utf8mb4_unicode_ci says "AB-1" = "ab-1" = "áb-1"; an identifier must match byte for byte.
EXACT_COLLATION = "utf8mb4_bin"


def exact_string(length: int):
    """A column holding an identifier from outside (an ERP id, a device's uid) or a token digest:
    compared byte for byte on MariaDB too, as SQLite always does. The migrations say the same."""
    return String(length).with_variant(mysql.VARCHAR(length, collation=EXACT_COLLATION), "mysql", "mariadb")


class ErpMixin:
    """A row the ERP owns: its id there, and whether it is still active there."""

    erp_id = Column(exact_string(40), unique=True, nullable=True)
    active = Column(Boolean, default=True, nullable=False, index=True)


class IdMixin:
    id = Column(Integer, primary_key=True)


MAX_ID = 2**63 - 1  # the largest BIGINT (and SQLite INTEGER): no row has a larger id


def storable_id(value) -> bool:
    """False for a number no integer key can hold: SQLite raises OverflowError on it (a 500)
    where the answer is simply "no such row"."""
    try:
        return -MAX_ID - 1 <= int(value) <= MAX_ID
    except (TypeError, ValueError):
        return True  # not a number: nothing overflows, the query finds no row


class IdConverter(IntegerConverter):
    """The app's ``<int:…>`` URL converter: an id beyond MAX_ID does not match (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def use_auto_increment_ids(engine) -> None:
    """FAB's tables declare Sequences, which SQLAlchemy uses on MariaDB ≥ 10.3; the migrations
    (like MySQL) give every table AUTO_INCREMENT ids instead, so sequences are turned off."""

    @event.listens_for(engine, "connect")
    def _no_sequences(dbapi_connection, connection_record):  # runs after the dialect's initialize
        engine.dialect.supports_sequences = False


_ENDED = "pws_transaction_ended"


def one_rollback_on_return(config) -> None:
    """A request's session ends its transaction before it returns the connection, and the pool
    then rolled back again: a second round trip to the database on every request. The pool's
    own reset is replaced by ``track_transactions``, which rolls back only what is still open."""
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {**config["SQLALCHEMY_ENGINE_OPTIONS"],
                                           "pool_reset_on_return": None}


def track_transactions(engine) -> None:
    """Each pooled connection knows whether its last transaction was committed or rolled back;
    one still open (or of unknown state) is rolled back when the connection returns."""

    def _record(connection, ended: bool):
        # A connection lost mid-transaction is discarded, not reset; asking for its info would
        # try to reconnect and make the session's rollback fail.
        if not connection.invalidated:
            connection.info[_ENDED] = ended

    @event.listens_for(engine, "begin")
    def _begun(connection):
        _record(connection, False)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ended(connection):
        _record(connection, True)

    @event.listens_for(engine, "reset")
    def _reset(dbapi_connection, connection_record, reset_state):
        if not reset_state.terminate_only and not connection_record.info.pop(_ENDED, False):
            dbapi_connection.rollback()


def apply_timeouts(config) -> None:
    """PWS_DB_TIMEOUT as PyMySQL's connect, read and write timeouts: without them a request
    waits forever on a server that accepted the connection and stopped answering.
    PWS_DB_SYNC_WAIT as every connection's ``wsrep_sync_wait`` (Galera: a read waits for the
    writes the cluster committed before it, whichever node took them).
    On SQLite, PWS_DB_TIMEOUT (else SQLITE_WRITE_WAIT) is how long a write waits for the one
    write lock before the request fails with 503."""
    connect_args = {}
    seconds = config.get("PWS_DB_TIMEOUT") or 0
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        connect_args["timeout"] = seconds or SQLITE_WRITE_WAIT
    elif not config["SQLALCHEMY_DATABASE_URI"].startswith("mysql"):
        return
    elif seconds:
        connect_args.update(connect_timeout=seconds, read_timeout=seconds, write_timeout=seconds)
    sync_wait = config.get("PWS_DB_SYNC_WAIT")
    if sync_wait is not None:
        connect_args["init_command"] = f"SET SESSION wsrep_sync_wait = {int(sync_wait)}"
    if not connect_args:
        return
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {**options.get("connect_args", {}), **connect_args}
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def remove_sessions_safely(app) -> None:
    """End each request's session without failing the answer when the database went away.

    Flask-SQLAlchemy's teardown rolls the session back; on a connection the server dropped
    (restart, crash) that rollback raises, and the request that already succeeded would end as
    the server's bare 500. Registered after ``db.init_app``, this runs first: a failed close
    discards the connection instead (the pool opens a new one; ``pool_pre_ping`` checks it).
    """

    @app.teardown_appcontext
    def _remove_session(_exc):
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001 - a dead connection: nothing left to roll back
            log.warning("database session could not be closed; its connection is discarded")
            db.session().invalidate()
            db.session.remove()


def on_commit(handler: Callable[[Session], None]) -> Callable[[Session], None]:
    """Run ``handler(session)`` once a session's outermost transaction committed. SQLAlchemy's
    own "after_commit" also fires when a savepoint (``begin_nested``) is released, when nothing
    is committed yet: e-mail handed over, files kept or state forgotten for a change that may
    still roll back (and, on SQLite, a sender blocked behind its own request's write lock)."""

    @event.listens_for(Session, "after_commit")
    def _committed(session):
        if not session.in_nested_transaction():
            handler(session)

    return handler


def on_rollback(handler: Callable[[Session], None]) -> Callable[[Session], None]:
    """Run ``handler(session)`` once a session's outermost transaction rolled back; a savepoint
    rolled back (a caught IntegrityError) leaves the transaction and what it queued alive."""

    @event.listens_for(Session, "after_soft_rollback")
    def _rolled_back(session, previous_transaction):
        if not previous_transaction.nested:
            handler(session)

    return handler


def is_conflict(error: Exception) -> bool:
    """Whether the database refused the transaction for a write conflict (CONFLICT_CODES)."""
    args = getattr(getattr(error, "orig", None), "args", None)
    return isinstance(error, DBAPIError) and bool(args) and args[0] in CONFLICT_CODES


def retry_on_conflict(work: Callable[[], T], *, rollback: Callable[[], None] | None = None,
                      attempts: int = CONFLICT_ATTEMPTS) -> T:
    """``work()`` — one whole unit of work that reads what it decides on, writes and commits —
    run again from the start when the database refuses it for a write conflict (``is_conflict``),
    at most ``attempts`` times with a random pause; then the conflict is raised (the request
    answers 503). Between attempts ``rollback`` (the request's session by default) discards
    what the failed attempt did, so a unit is applied whole or not at all.

    With multi-primary Galera two nodes writing the same rows learn of it only at commit; on a
    single server it is a deadlock. Either way the work must be idempotent as a whole: it reads
    the state again (and may then find nothing left to do, or refuse a stale request).
    """
    rollback = rollback or db.session.rollback
    attempt = 1
    while True:
        try:
            return work()
        except DBAPIError as error:
            if attempt >= attempts or not is_conflict(error):
                raise
            log.info("write conflict (%s), attempt %d of %d: running the unit again",
                     error.orig.args[0], attempt, attempts)
            rollback()
            time.sleep(random.uniform(0, CONFLICT_BACKOFF * 2 ** (attempt - 1)))  # nosec B311  # jitter, not a secret
            attempt += 1


def refresh_statistics(session) -> bool:
    """After a bulk load (the demo, `flask pws rebuild-indicators`), MariaDB's index statistics
    are brought up to date. InnoDB refreshes them in the background once a tenth of a table has
    changed, and a plan chosen on a table's statistics from while it was filling can be far
    slower: the supplies chart read every request item of the ten years (1.7 s) until ANALYZE
    (95 ms). SQLite's planner needs none here. Whether there was anything to refresh."""
    if session.get_bind().dialect.name != "mysql":
        return False
    tables = ", ".join(f"`{name}`" for name in inspect(session.connection()).get_table_names())
    session.execute(text(f"ANALYZE TABLE {tables}")).all()
    session.commit()
    return True

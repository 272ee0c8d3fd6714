"""The one SQLAlchemy handle, bound to FAB's declarative base so Alembic sees every table."""
import logging
from datetime import datetime, UTC

from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from sqlalchemy import Boolean, Column, DateTime, Integer, String, event
from sqlalchemy.dialects import mysql
from werkzeug.routing import IntegerConverter

db = SQLA(model_class=Model)
log = logging.getLogger(__name__)


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
    waits forever on a server that accepted the connection and stopped answering."""
    seconds = config.get("PWS_DB_TIMEOUT") or 0
    if not seconds or not config["SQLALCHEMY_DATABASE_URI"].startswith("mysql"):
        return
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {**options.get("connect_args", {}), "connect_timeout": seconds,
                               "read_timeout": seconds, "write_timeout": seconds}
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

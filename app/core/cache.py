"""Dealer-wide reference data (companies, business calendars, holidays, the current LGPD
documents, the permissions of each set of roles) kept per process for
``PWS_REFERENCE_CACHE_SECONDS``: every page needs it, it changes a few times a year.

Any INSERT, UPDATE or DELETE this process sends to one of those tables through SQLAlchemy
(ORM or Core) empties the cache at once; other processes, and the ERP sync's bulk upserts
(sent on the raw DB-API cursor), show within the configured seconds. ``0`` turns it off.
"""
import re
import time
import weakref

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.db import db

REFERENCE_TABLES = ("company", "business_calendar", "holiday", "consent_document",
                    "ab_role", "ab_permission", "ab_view_menu", "ab_permission_view",
                    "ab_permission_view_role")
_WRITE = re.compile(r"^\s*(INSERT\s+(?:IGNORE\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[`\"]?(\w+)",
                    re.IGNORECASE)
# One store per database engine (one per app); it goes with its engine.
_STORES: "weakref.WeakKeyDictionary[Engine, dict]" = weakref.WeakKeyDictionary()


def reference(name: str, load):
    """``load()`` once per process every PWS_REFERENCE_CACHE_SECONDS; values must be immutable."""
    seconds = current_app.config["PWS_REFERENCE_CACHE_SECONDS"]
    if seconds <= 0:
        return load()
    store = _STORES.setdefault(db.engine, {})
    entry = store.get(name)
    now = time.monotonic()
    if entry is None or entry[0] <= now:
        entry = store[name] = (now + seconds, load())
    return entry[1]


@event.listens_for(Engine, "before_cursor_execute")
def _forget_on_write(conn, _cursor, statement, _parameters, _context, _executemany):
    match = _WRITE.match(statement)
    if match and match.group(2).lower() in REFERENCE_TABLES:
        _STORES.pop(conn.engine, None)

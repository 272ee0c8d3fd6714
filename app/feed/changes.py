"""The change feed: what the ERP must learn from the portal, written in the caller's transaction.

Ordering (docs/sync.md, "Feed ordering"): an entry is inserted without ``seq``; once its
transaction has committed, the sequencer gives it the next number under a lock on the single
``sync_feed_state`` row. The sequencer only sees committed entries, so an entry whose
transaction commits late gets a later seq than everything a reader may already have read:
readers never skip an entry, whatever the commit order, and seqs have no gaps. It runs right
after every commit that recorded a change and again before every read of the feed, at most
``REQUEST_BATCH`` entries each time; the worker numbers any backlog on its maintenance tick.
"""
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (Integer, bindparam, case, delete, exists, func, insert, literal, select, true,
                        update)
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.core.db import db, is_conflict, on_commit, on_rollback, retry_on_conflict, utcnow
from app.core.timefmt import isoformat_local
from app.feed.models import ChangeFeedEntry, SyncFeedState

log = logging.getLogger(__name__)
_PENDING_KEY = "pws_feed_pending"
STATE_ID = 1
SEQUENCE_CHUNK = 1000
# What one request (a feed read, a commit that recorded a change) numbers at most: a backlog
# is numbered by the worker (or by the next reads), never all inside one request.
REQUEST_BATCH = 1000
FEED = ChangeFeedEntry.__table__
STATE = SyncFeedState.__table__


def record_change(entity: str, op: str, *, data: dict, web_id: int | None = None,
                  erp_id: str | None = None, company_id: int | None = None) -> ChangeFeedEntry:
    """Add a feed entry to the current session; it commits (or rolls back) with the change."""
    entry = ChangeFeedEntry(entity=entity, op=op, web_id=web_id, erp_id=erp_id,
                            company_id=company_id, data=jsonable(data))
    db.session.add(entry)
    db.session.info[_PENDING_KEY] = True
    return entry


def jsonable(value):
    """Dates as the API speaks them (ISO 8601, São Paulo offset), decimals as exact strings."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return isoformat_local(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@on_commit
def _after_commit(session):
    if session.info.pop(_PENDING_KEY, False):
        try:
            sequence_committed(REQUEST_BATCH)
        except Exception:  # the change is committed; the next read sequences it
            log.exception("change feed: sequencing after commit failed")


@on_rollback
def _after_rollback(session):
    session.info.pop(_PENDING_KEY, None)


def sequence_committed(limit: int | None = None, *, chunk: int = SEQUENCE_CHUNK) -> int:
    """Number the committed entries that have no seq yet, in insert order; returns how many.

    Two sequencers meet on the state row: on one server the second waits for the first's lock;
    with writes on several Galera nodes the one that commits second fails certification and its
    chunk is numbered again from the start (``retry_on_conflict``), after the winner's. One that
    keeps losing stops: the winners number what waits, and the next read or tick the rest.

    Each chunk is one set-based UPDATE committed with the state row, so a sequencer killed
    midway leaves whole chunks numbered and the rest waiting: nothing lost, nothing numbered
    twice. ``limit`` bounds the work (a request numbers at most ``REQUEST_BATCH``; the worker
    and the CLI number the whole backlog, chunk by chunk).
    """
    total = 0
    with db.engine.connect() as conn:
        while limit is None or total < limit:
            size = chunk if limit is None else min(chunk, limit - total)
            try:
                numbered = retry_on_conflict(lambda size=size: _sequence_chunk(conn, size),
                                             rollback=conn.rollback)
            except DBAPIError as error:
                if not is_conflict(error):
                    raise
                conn.rollback()  # other sequencers kept winning: they number what waits
                log.info("change feed: sequencing left to a concurrent sequencer (%s)", error.orig)
                break
            total += numbered
            if numbered < size:
                break
    return total


def _sequence_chunk(conn, size: int) -> int:
    """One transaction: lock the state row, number up to ``size`` waiting entries, commit."""
    if conn.execute(select(FEED.c.id).where(FEED.c.seq.is_(None)).limit(1)).first() is None:
        conn.rollback()
        return 0
    conn.rollback()  # no snapshot may predate the lock
    state = _lock_state(conn)
    if state is None:
        conn.rollback()
        _create_state()
        state = _lock_state(conn)
    # A plain (consistent) read: a locking one would wait for entries still uncommitted.
    pending = conn.execute(
        select(FEED.c.id).where(FEED.c.seq.is_(None)).order_by(FEED.c.id).limit(size)
    ).scalars().all()
    numbered, whens = 0, []
    for first, last in _runs(pending):
        whens.append((FEED.c.id.between(first, last), FEED.c.id + (state.last_seq + numbered + 1 - first)))
        numbered += last - first + 1
    if whens:  # one statement per chunk: each run of consecutive ids numbered by its offset;
        # the ids by value, so MariaDB locks those rows and no gap a writer is inserting into
        conn.execute(update(FEED).where(FEED.c.id.in_(pending)).values(seq=case(*whens)))
    if numbered:
        conn.execute(update(STATE).where(STATE.c.id == STATE_ID)
                     .values(last_seq=state.last_seq + numbered))
    conn.commit()
    return numbered


def _runs(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as runs of consecutive values: [3, 4, 5, 9] -> [(3, 5), (9, 9)]."""
    runs: list[list[int]] = []
    for pk in ids:
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return [(first, last) for first, last in runs]


def _lock_state(conn):
    """Lock the state row first (a write), then read it: the snapshot starts after the lock."""
    conn.execute(update(STATE).where(STATE.c.id == STATE_ID).values(sequenced_at=utcnow()))
    return conn.execute(
        select(STATE.c.last_seq, STATE.c.purged_through).where(STATE.c.id == STATE_ID)
    ).first()


def _create_state():
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(STATE).values(id=STATE_ID, last_seq=0, purged_through=0))
    except IntegrityError:
        pass  # another server created it first


def feed_state() -> tuple[int, int]:
    """(last seq handed out, last seq purged) as the current transaction sees them."""
    row = db.session.execute(
        select(SyncFeedState.last_seq, SyncFeedState.purged_through).where(SyncFeedState.id == STATE_ID)
    ).first()
    return (row.last_seq, row.purged_through) if row else (0, 0)


def _state_value(column):
    return select(column).where(STATE.c.id == STATE_ID).scalar_subquery()


@dataclass
class FeedPage:
    """One read of the feed: its position as the transaction sees it, and the page of entries."""

    last_seq: int
    purged_through: int
    waiting: bool        # committed entries still await their seq
    after: int           # the cursor the page starts after
    entries: list
    has_more: bool


def _page_statement(start):
    """The feed's position and the entries after ``start`` in one statement: a one-row anchor
    carries the position, the page is outer-joined to it (a feed read that finds nothing new,
    the usual case, is one round trip)."""
    page = (select(FEED).where(FEED.c.seq > start).order_by(FEED.c.seq)
            .limit(bindparam("fetch")).subquery("page"))
    anchor = select(literal(1).label("one")).subquery("anchor")
    return (select(_state_value(STATE.c.last_seq).label("pws_last_seq"),
                   _state_value(STATE.c.purged_through).label("pws_purged_through"),
                   exists().where(FEED.c.seq.is_(None)).label("pws_waiting"),
                   start.label("pws_after"), *page.c)
            .select_from(anchor).outerjoin(page, true()).order_by(page.c.seq))


# After a cursor; and, for a first read, after the oldest change kept.
_PAGE_AFTER = _page_statement(bindparam("after", type_=Integer))
_FIRST_PAGE = _page_statement(func.coalesce(_state_value(STATE.c.purged_through), 0))


def read_page(after: int | None, limit: int) -> FeedPage:
    """Entries with seq > after (None: after the oldest change kept), in seq order."""
    params = {"fetch": limit + 1}
    if after is None:
        rows = db.session.execute(_FIRST_PAGE, params).all()
    else:
        rows = db.session.execute(_PAGE_AFTER, {**params, "after": after}).all()
    head = rows[0]
    entries = [row for row in rows if row.seq is not None]
    return FeedPage(last_seq=head.pws_last_seq or 0, purged_through=head.pws_purged_through or 0,
                    waiting=bool(head.pws_waiting), after=head.pws_after or 0,
                    entries=entries[:limit], has_more=len(entries) > limit)


def unsequenced_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(ChangeFeedEntry).where(ChangeFeedEntry.seq.is_(None))
    ).scalar_one()


def purge_feed(retention_days: int) -> int:
    """Delete entries older than the retention; cursors before them then get 410."""
    sequence_committed()
    cutoff = utcnow() - timedelta(days=retention_days)
    with db.engine.connect() as conn:
        state = _lock_state(conn)
        if state is None:
            return 0
        first_recent = conn.execute(
            select(func.min(FEED.c.seq)).where(FEED.c.seq.is_not(None), FEED.c.at >= cutoff)
        ).scalar()
        through = first_recent - 1 if first_recent is not None else state.last_seq
        if through <= state.purged_through:
            conn.rollback()
            return 0
        removed = conn.execute(
            delete(FEED).where(FEED.c.seq.is_not(None), FEED.c.seq <= through)
        ).rowcount
        conn.execute(update(STATE).where(STATE.c.id == STATE_ID).values(purged_through=through))
        conn.commit()
        return removed

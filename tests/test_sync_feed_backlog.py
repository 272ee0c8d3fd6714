"""A change feed with a backlog of committed entries not yet numbered (issue 25, item 4).

The ERP's read numbers at most a bounded batch (set-based UPDATEs committed chunk by chunk) and
says ``has_more`` while the backlog lasts; the worker numbers the rest. A sequencer killed midway
leaves whole chunks numbered: the reads then lose and repeat nothing, in insert order.
"""
import signal
import subprocess  # nosec B404 - runs the project's own sequencer
import sys
import textwrap

from sqlalchemy import func, insert, select

from app.core.db import db, utcnow
from app.feed import changes as feed
from app.feed.models import ChangeFeedEntry, SyncFeedState
from app.notifications.worker import sweep_job
from tests import factories as f
from tests.conftest import DATABASE_URL
from tests.live import ROOT, app_env, wait_for
from tests.sync_support import changes


def _backlog(count):
    """``count`` committed entries without a seq, as a burst of writers would leave them."""
    now = utcnow()
    db.session.execute(insert(ChangeFeedEntry), [
        {"entity": "contact", "op": "create", "data": {"n": n}, "at": now} for n in range(count)])
    db.session.commit()


def _numbered(session):
    """(id, seq) of the numbered entries, in seq order."""
    return session.execute(select(ChangeFeedEntry.id, ChangeFeedEntry.seq)
                           .where(ChangeFeedEntry.seq.is_not(None)).order_by(ChangeFeedEntry.seq)).all()


def _read_all(client, plain, limit=1000):
    seen, cursor = [], "0"
    while True:
        body = changes(client, plain, after=cursor, limit=limit).get_json()
        seen += [(c["seq"], c["data"]["n"]) for c in body["changes"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return seen


def test_a_read_numbers_a_bounded_batch_and_the_erp_reads_the_whole_backlog_once_in_order(client, db_ctx):
    total = 2 * feed.REQUEST_BATCH + 7
    with db_ctx():
        plain = f.sync_token()[1]
        _backlog(total)
    first = changes(client, plain, after=0, limit=10).get_json()
    assert [c["seq"] for c in first["changes"]] == list(range(1, 11)) and first["has_more"]
    with db_ctx() as session:
        assert len(_numbered(session)) == feed.REQUEST_BATCH, "one read numbers one bounded batch"
    seen = _read_all(client, plain)
    assert [seq for seq, _n in seen] == list(range(1, total + 1)), "no gap, no repeat"
    assert [n for _seq, n in seen] == list(range(total)), "in insert order"
    with db_ctx() as session:
        assert session.get(SyncFeedState, feed.STATE_ID).last_seq == total


def test_the_worker_numbers_the_backlog_off_the_requests(client, db_ctx):
    with db_ctx():
        plain = f.sync_token()[1]
        _backlog(feed.REQUEST_BATCH + 500)
        assert sweep_job()["feed_numbered"] == feed.REQUEST_BATCH + 500
        ids = [pk for pk, _seq in _numbered(db.session)]
        assert ids == sorted(ids)
    body = changes(client, plain, after=feed.REQUEST_BATCH, limit=1000).get_json()
    assert [c["seq"] for c in body["changes"]] == list(range(feed.REQUEST_BATCH + 1, feed.REQUEST_BATCH + 501))
    assert body["has_more"] is False


SEQUENCER = textwrap.dedent("""
    from app import create_app
    from app.feed.changes import sequence_committed

    app = create_app()
    with app.app_context():
        sequence_committed(chunk=20)
""")


def test_a_sequencer_killed_midway_loses_and_repeats_nothing(client, db_ctx):
    total = 6000
    with db_ctx():
        plain = f.sync_token()[1]
        _backlog(total)
    process = subprocess.Popen([sys.executable, "-c", SEQUENCER], cwd=ROOT,  # nosec B603 - fixed command
                               env=app_env(DATABASE_URL=DATABASE_URL, REDIS_URL=""))

    def some_numbered():
        with db_ctx() as session:
            return session.execute(select(func.count()).where(ChangeFeedEntry.seq.is_not(None))).scalar()

    try:
        wait_for(some_numbered, "the sequencer's first chunks")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    with db_ctx() as session:
        numbered = _numbered(session)
        last_seq = session.get(SyncFeedState, feed.STATE_ID).last_seq
        ids = session.execute(select(ChangeFeedEntry.id).order_by(ChangeFeedEntry.id)).scalars().all()
    assert [seq for _pk, seq in numbered] == list(range(1, last_seq + 1)), "whole chunks, dense, as recorded"
    assert [pk for pk, _seq in numbered] == ids[:last_seq], "the oldest entries first"
    seen = _read_all(client, plain)
    assert [seq for seq, _n in seen] == list(range(1, total + 1))
    assert [n for _seq, n in seen] == list(range(total))

"""The change feed under concurrent writers on MariaDB: a reader never skips a change.

An auto-increment id is handed out at insert, but transactions commit in any order: a reader
that served id 11 before id 10 committed would never see 10. The feed's seq is given after
commit (app.feed.changes), and these tests commit out of order on purpose.
"""
import random
import threading

import pytest

from sqlalchemy import select

from app.feed.models import ChangeFeedEntry
from tests import factories as f
from tests.services import is_mysql
from tests.sync_support import changes, write_change


def _on_mariadb(app):
    """The CI runs the suite on SQLite and then on MariaDB; these belong to the MariaDB run."""
    if not is_mysql(app):
        pytest.skip("MariaDB only: SQLite lets one writer at a time, there is no interleaving to prove")


def test_a_change_committed_late_comes_after_what_was_already_read(app, client, db_ctx):
    _on_mariadb(app)
    with db_ctx():
        plain = f.sync_token()[1]
    inserted, release = threading.Event(), threading.Event()
    slow = threading.Thread(target=write_change, args=(app, "lento", release, inserted))
    slow.start()
    try:
        assert inserted.wait(timeout=30)
        write_change(app, "rápido")
        first = changes(client, plain).get_json()
        assert [(c["seq"], c["data"]["label"]) for c in first["changes"]] == [(1, "rápido")]
    finally:
        release.set()
        slow.join(timeout=30)
    second = changes(client, plain, after=first["next_cursor"]).get_json()
    assert [(c["seq"], c["data"]["label"]) for c in second["changes"]] == [(2, "lento")]
    with db_ctx() as session:
        ids = dict(session.execute(select(ChangeFeedEntry.data["label"].as_string(), ChangeFeedEntry.id)).all())
        assert ids["lento"] < ids["rápido"], "the slow writer inserted first and committed last"


def test_two_busy_writers_and_a_polling_reader(app, db_ctx):
    _on_mariadb(app)
    with db_ctx():
        plain = f.sync_token()[1]
    per_writer, seen, done = 25, [], threading.Event()

    def writer(name, seed):
        chance = random.Random(seed)
        for n in range(per_writer):
            hold = threading.Event()
            timer = threading.Timer(chance.uniform(0, 0.01), hold.set)
            timer.start()
            write_change(app, f"{name}-{n}", hold)

    def reader():
        client, cursor = app.test_client(), "0"
        while True:
            finished = done.is_set()
            body = changes(client, plain, after=cursor).get_json()
            seen.extend((c["seq"], c["data"]["label"]) for c in body["changes"])
            cursor = body["next_cursor"]
            if finished and not body["changes"]:
                return

    threads = [threading.Thread(target=writer, args=("a", 1)), threading.Thread(target=writer, args=("b", 2))]
    polling = threading.Thread(target=reader)
    for thread in (*threads, polling):
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done.set()
    polling.join(timeout=60)
    assert [seq for seq, _label in seen] == list(range(1, 2 * per_writer + 1)), "in order, no gap, no repeat"
    assert sorted(label for _seq, label in seen) == sorted(
        f"{name}-{n}" for name in "ab" for n in range(per_writer))

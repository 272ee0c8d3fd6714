"""PWS on a three-node MariaDB Galera cluster, every node taking writes (the cluster pass:
scripts/galera up, PWS_GALERA_URLS, TEST_DATABASE_URL on its first node; skipped otherwise).

With multi-primary writes two nodes changing the same rows learn of it only at commit: one
transaction fails certification (error 1213) and app.core.db.retry_on_conflict runs its unit of
work again. These tests race writers on different nodes and check that nothing is lost,
repeated or half-applied. The status race across nodes is tests/test_concurrency.py's own test
(its second operator writes through ``peer_app``, another node in this pass).
"""
import random
import threading

from sqlalchemy import select

from app.catalog.models import Company
from app.notifications.models import OutboxMessage
from app.notifications.sending import send_message
from app.sync.models import SyncBatch
from tests import factories as f
from tests.mailtest import app_ctx, mail_config
from tests.sync_support import changes, push, rec, write_change
from tests.test_concurrency import together


def _company(name):
    return rec("company", "1", name=name, trade_name="REVENDA", cnpj="11.222.333/0001-81",
               parent_erp_id=None, city="Florianópolis", state="SC")


def test_writers_and_sync_batches_on_three_nodes_give_every_change_once_in_order(node_apps, db_ctx):
    with db_ctx():
        plain = f.sync_token()[1]
    per_writer, batches, seen, done, answers = 20, 10, [], threading.Event(), []

    def writer(node, name):
        chance = random.Random(name)
        for n in range(per_writer):
            hold = threading.Event()
            threading.Timer(chance.uniform(0, 0.005), hold.set).start()
            write_change(node, f"{name}-{n}", hold)

    def synchronizer(node, name):
        """Batches of two synchronizers rewrite the same company row through two nodes; like
        the agent (app/sync/agent.py) each resends its batch on a 503 (conflicts retried in
        vain), which then applies once."""
        client = node.test_client()
        for n in range(batches):
            for _attempt in range(5):
                status = push(client, plain, [_company(f"REVENDA {name}-{n}")], batch_id=f"{name}-{n}").status_code
                if status != 503:
                    break
            answers.append(status)

    def reader(node):
        client, cursor = node.test_client(), "0"
        while True:
            finished = done.is_set()
            body = changes(client, plain, after=cursor).get_json()
            seen.extend((c["seq"], c["data"]["label"]) for c in body["changes"])
            cursor = body["next_cursor"]
            if finished and not body["changes"] and not body["has_more"]:
                return

    first, second, third = node_apps
    workers = [threading.Thread(target=writer, args=(first, "a")),
               threading.Thread(target=writer, args=(second, "b")),
               threading.Thread(target=synchronizer, args=(second, "s")),
               threading.Thread(target=synchronizer, args=(third, "t"))]
    polling = threading.Thread(target=reader, args=(third,))
    for thread in (*workers, polling):
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    done.set()
    polling.join(timeout=120)
    assert answers == [200] * (2 * batches), "every batch applied: a conflict is retried, never half-applied"
    assert [seq for seq, _label in seen] == list(range(1, 2 * per_writer + 1)), "in order, no gap, no repeat"
    assert sorted(label for _seq, label in seen) == sorted(
        f"{name}-{n}" for name in "ab" for n in range(per_writer))
    with db_ctx() as session:
        applied = session.execute(select(SyncBatch.batch_id).where(SyncBatch.status == SyncBatch.APPLIED)).scalars()
        assert sorted(applied) == sorted(f"{name}-{n}" for name in "st" for n in range(batches))
    names = set()
    for node in node_apps:  # every node holds the same last write
        with app_ctx(node) as session:
            names.add(session.execute(select(Company.name).where(Company.erp_id == "1")).scalar_one())
    assert len(names) == 1


def test_the_outbox_sends_each_message_once_with_workers_on_two_nodes(node_apps, mail_app, new_app,
                                                                      db_ctx, smtp):
    other = new_app(SQLALCHEMY_DATABASE_URI=node_apps[1].config["SQLALCHEMY_DATABASE_URI"], **mail_config(smtp))
    with app_ctx(mail_app):
        ids = [f.outbox_message(recipients=f"cliente{n}@revenda.test").id for n in range(30)]

    def sender(app, pk):
        def send():
            with app_ctx(app):
                return send_message(pk)
        return send

    for pk in ids:
        assert sorted(together(sender(mail_app, pk), sender(other, pk))) == ["sent", "skipped"]
    assert sorted(address for envelope in smtp.envelopes for address in envelope) == sorted(
        f"cliente{n}@revenda.test" for n in range(30))
    with db_ctx() as session:
        rows = session.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    assert rows == [("sent", 1)] * 30

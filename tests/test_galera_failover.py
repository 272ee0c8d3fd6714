"""A Galera node killed in the middle of a load run (the cluster pass, on demand: it kills and
restarts one of the cluster's nodes, so it runs alone, after the other cluster tests;
PWS_GALERA_FAILOVER=1, see docs/deployment.md, "Galera").

Two ERP synchronizers push batches through a load balancer in front of three app servers, one
per node. The node under the first synchronizer's server is killed (SIGKILL, a crash); its
requests answer 503 (connection lost or refused), and the synchronizer, like the sync agent and
a load balancer's health check, resends the same batch to the next server. The portal must
apply every batch once, lose none, and answer nothing but 200 or 503; the killed node then
rejoins with all of it.
"""
import os
import subprocess  # nosec B404  # the test's own cluster script
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from app.catalog.models import Company
from app.sync.models import SyncBatch
from tests import factories as f
from tests.mailtest import app_ctx
from tests.sync_support import push, rec

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "galera"
PER_WRITER = 30
KILL_AFTER = 8  # batches the first synchronizer has applied when its node dies


def galera(*args):
    subprocess.run([str(SCRIPT), *args], check=True, timeout=120)  # nosec B603  # fixed arguments


def test_a_node_killed_during_a_load_run_loses_nothing_and_rejoins(node_apps, db_ctx):
    if os.environ.get("PWS_GALERA_FAILOVER") != "1":
        pytest.skip("kills a cluster node: on demand, alone (PWS_GALERA_FAILOVER=1)")
    with db_ctx():
        plain = f.sync_token()[1]
    first, second, third = node_apps
    answers, halfway = {}, threading.Event()

    def synchronizer(name, servers):
        """Batches through the load balancer: on a 503 the same batch goes to the next server."""
        clients, at, seen = [server.test_client() for server in servers], 0, []
        for n in range(PER_WRITER):
            while True:
                record = rec("company", f"{name}-{n}", name=f"REVENDA {name}-{n}", trade_name="REVENDA",
                             cnpj=None, parent_erp_id=None, city="Florianópolis", state="SC")
                status = push(clients[at], plain, [record], batch_id=f"{name}-{n}").status_code
                seen.append(status)
                if status != 503 or len(seen) > 3 * PER_WRITER:
                    break
                at = (at + 1) % len(clients)
            if n == KILL_AFTER:
                halfway.set()
        answers[name] = seen

    writers = [threading.Thread(target=synchronizer, args=("a", [third, second, first])),
               threading.Thread(target=synchronizer, args=("b", [second, first, third]))]
    try:
        for thread in writers:
            thread.start()
        assert halfway.wait(timeout=60)
        galera("kill", "3")
        for thread in writers:
            thread.join(timeout=120)
    finally:
        galera("start", "3")
    for name, seen in answers.items():
        assert set(seen) <= {200, 503}, f"{name}: only 503 while failing over, {seen}"
        assert seen.count(200) == PER_WRITER, f"{name}: every batch answered 200 once"
    assert 503 in answers["a"], "the killed node's server failed its requests over"
    expected = sorted(f"{name}-{n}" for name in "ab" for n in range(PER_WRITER))
    for node in node_apps:  # the rejoined node holds everything, once
        with app_ctx(node) as session:
            applied = session.execute(select(SyncBatch.batch_id).where(SyncBatch.status == SyncBatch.APPLIED))
            assert sorted(applied.scalars()) == expected
            assert sorted(session.execute(select(Company.erp_id)).scalars()) == expected

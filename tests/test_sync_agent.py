"""The reference agent against a live portal: killed mid-push and mid-pull, it resumes and
nothing is applied twice, lost or written twice."""
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import request
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.catalog.models import Client
from app.core.db import db
from app.sync import agent
from app.feed.changes import record_change
from app.sync.models import SyncBatch, SyncToken
from tests import factories as f
from tests.conftest import make_app

AGENT_SCRIPT = Path(agent.__file__)


class Gate:
    """Holds the n-th request to a path until released: before the view runs (and then fails
    it with ``fail_with``), or after it ran, before the answer leaves (``hold="answer"``)."""

    def __init__(self, method, path, nth, hold="request", fail_with=None):
        self.method, self.path, self.nth, self.hold, self.fail_with = method, path, nth, hold, fail_with
        self.calls = 0
        self.reached, self.release, self.finished = threading.Event(), threading.Event(), threading.Event()

    def _mine(self):
        return (request.method, request.path) == (self.method, self.path)

    def before(self):
        if not self._mine():
            return None
        self.calls += 1
        if self.calls == self.nth and self.hold == "request":
            self._wait()
            return {"message": "falha simulada"}, self.fail_with
        return None

    def after(self, response):
        if self._mine() and self.calls == self.nth and self.hold == "answer":
            self._wait()
        return response

    def _wait(self):
        self.reached.set()
        assert self.release.wait(timeout=30)
        self.finished.set()


@pytest.fixture
def portal(app):
    """The portal on a port, gated: an app of its own, since the gates are request hooks."""
    portal_app = make_app(PWS_STORAGE_DIR=app.config["PWS_STORAGE_DIR"])
    gates = {"push": Gate("POST", "/api/sync/v1/batch", 2, hold="answer"),
             "pull": Gate("POST", "/api/sync/v1/changes/ack", 1, fail_with=503)}
    for gate in gates.values():
        portal_app.before_request(gate.before)
        portal_app.after_request(gate.after)
    server = make_server("127.0.0.1", 0, portal_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", gates
    for gate in gates.values():
        gate.release.set()
    server.shutdown()
    thread.join(timeout=10)


def _kill_at(gate, command, env):
    """Start the agent, kill it while the gated request is in flight, let the server finish."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert gate.reached.wait(timeout=60), process.communicate(timeout=5)[0].decode()
    finally:
        process.kill()
        output = process.communicate(timeout=10)[0].decode()
    gate.release.set()
    assert gate.finished.wait(timeout=30)
    return output


def test_agent_resumes_after_being_killed(portal, db_ctx, tmp_path):
    url, gates = portal
    with db_ctx():
        token, plain = f.sync_token("ILUX agente")
        token_id = token.id
        for n in range(7):
            record_change("contact", "create", data={"n": n})
        db.session.commit()
    push_dir, pull_dir = tmp_path / "entrada", tmp_path / "saida"
    push_dir.mkdir()
    records = [{"entity": "company", "op": "upsert", "erp_id": "1", "data": {"name": "REVENDA"}}] + [
        {"entity": "client", "op": "upsert", "erp_id": str(n), "data": {"company_erp_id": "1", "name": f"CLIENTE {n}"}}
        for n in range(11)]
    (push_dir / "0001-cadastros.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    args = ["--url", url, "--push-dir", str(push_dir), "--pull-dir", str(pull_dir), "--batch-size", "5",
            "--page-size", "3", "--retries", "0"]
    env = {"PWS_SYNC_TOKEN": plain, "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}

    # killed once the portal applied batch 2 of 3, before the agent heard about it
    _kill_at(gates["push"], [sys.executable, str(AGENT_SCRIPT), *args], env)
    # killed after writing page 1 of the changes, its ack lost
    second = _kill_at(gates["pull"], [sys.executable, str(AGENT_SCRIPT), *args], env)
    assert "lote 2 já havia sido aplicado" in second
    assert (push_dir / "enviados" / "0001-cadastros.jsonl").exists()

    result = CliRunner().invoke(agent.main, args, env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for page in sorted(pull_dir.glob("alteracoes-*.jsonl"))
             for line in page.read_text().splitlines()]
    assert [change["seq"] for change in lines] == [1, 2, 3, 4, 5, 6, 7]
    assert [change["data"]["n"] for change in lines] == list(range(7))
    assert not list(pull_dir.glob("*.parcial")) and not list(push_dir.glob("*.jsonl"))
    assert gates["push"].calls == 4, "batch 1 was not sent again; batch 2 was answered from memory"
    with db_ctx() as session:
        assert session.execute(select(func.count()).select_from(Client)).scalar_one() == 11
        assert session.execute(select(func.count()).select_from(SyncBatch)).scalar_one() == 3
        token = session.get(SyncToken, token_id)
        assert (token.acked_cursor, token.agent) == (7, "pws-sync-agent")


def test_agent_moves_a_refused_file_aside_with_its_errors(portal, db_ctx, tmp_path):
    url, _gates = portal
    with db_ctx():
        plain = f.sync_token()[1]
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"entity": "company", "op": "upsert", "erp_id": "1", "data": {"name": "REVENDA"}}) + "\n\n"
        + json.dumps({"entity": "client", "op": "upsert", "erp_id": "6", "data": {"name": "SEM EMPRESA"}}) + "\n")
    (tmp_path / "b.jsonl").write_text("{quebrado\n")
    result = CliRunner().invoke(agent.main, ["--url", url, "--token", plain, "--push-dir", str(tmp_path),
                                             "--retries", "0"])
    assert result.exit_code == 1
    errors = json.loads((tmp_path / "rejeitados" / "a.jsonl.erros.json").read_text())
    assert [(e["line"], e["field"]) for e in errors] == [(3, "company_erp_id")]
    assert json.loads((tmp_path / "rejeitados" / "b.jsonl.erros.json").read_text())[0]["line"] == 1
    with db_ctx() as session:
        assert session.execute(select(func.count()).select_from(SyncBatch)).scalar_one() == 1

"""Faults through HTTP: MariaDB crashed and restarted mid-run, Redis stopped and restarted, SMTP
down during a burst, the e-mail worker killed. Meanwhile the app answers clear pt-BR errors; after
recovery nothing committed is lost (calls, attachments, change feed, e-mails).

Private MariaDB and Redis instances are killed, never the shared ones (tests/faults.py). The
module runs once, in the MariaDB pass.
"""
import json
import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.calls.models import CallAttachment, ServiceCall
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.calls_desk import CLIENT, make_desk, pdf_bytes
from tests.conftest import _empty_tables, csrf_token, login_as, make_app
from tests.faults import assert_clear_error, kill_group, start_worker
from tests.live import Browser, app_env, read_feed, token_in, wait_for
from tests.mailtest import SmtpServer, app_ctx, dispose, mail_config, run_worker

CALL_FIELDS = {"description": "Atolando papel na bandeja 2", "contact_name": "Luciano Peçanha",
               "contact_phone": "(48) 3028-1348", "contact_email": "contato@cliente.com.br"}
# Each opened call e-mails, one message each, the desk's operator who asked for it and the contact
# (an address the desk's client confirmed: tests/calls_desk.py).
MAILS_PER_CALL = 2


@pytest.fixture
def fault_app(private_mariadb):
    """``fault_app(**settings)``: an app on the private MariaDB, tables emptied, disposed after."""
    created = []

    def build(**settings):
        app = make_app(**{"SQLALCHEMY_DATABASE_URI": private_mariadb.url(), "TESTING": False,
                          "PROPAGATE_EXCEPTIONS": False, "REDIS_URL": None, "MAIL_SERVER": "",
                          **settings})
        if not created:
            _empty_tables(app)
        created.append(app)
        return app

    yield build
    for app in created:
        dispose(app)


@pytest.fixture
def live():
    """``live(app)``: the app on 127.0.0.1:<free port>, one thread per request."""
    servers = []

    def serve(app):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()


def open_url(equipment_id):
    return f"/chamados/abrir/?equipamento={equipment_id}"


def open_call(browser: Browser, desk, attachment: bytes | None = None):
    """Abrir chamado as a browser does: the form (its CSRF token), then the POST."""
    form = browser.get(open_url(desk.equipment))
    if form.status != 200:
        return form
    token = token_in(form.text)
    files = {"attachments": [("laudo.pdf", attachment)]} if attachment else None
    return browser.post(open_url(desk.equipment), {"csrf_token": token, "defect_type": desk.defect,
                                                   **CALL_FIELDS}, files)


def call_id_of(response) -> int:
    assert response.location.startswith("/chamados/show/"), response.location
    return int(response.location.rsplit("/", 1)[1])


# --- 1 + 5: MariaDB crash mid-run, with uploads -------------------------------------------

def test_database_crash_mid_run_loses_nothing_committed(private_mariadb, fault_app, live):
    app = fault_app()
    with app_ctx(app):
        desk = make_desk()
        _token, plain = f.sync_token()
    base = live(app)
    opened, failed_posts, errors, broken = [], [], [], []
    phase = {"after_restart": False}
    stop = threading.Event()

    def opener():
        browser = Browser(base)
        browser.login(desk.emails[CLIENT])
        while not stop.is_set():
            try:
                response = open_call(browser, desk, attachment=pdf_bytes())
            except Exception as error:  # noqa: BLE001 - a hang (timeout) or a dropped connection
                broken.append(repr(error))
                return
            if response.status == 302:
                opened.append((call_id_of(response), phase["after_restart"]))
            else:
                errors.append(response)
                if response.method == "POST":
                    failed_posts.append(response)

    def reader():
        browser = Browser(base)
        browser.login(desk.emails[CLIENT])
        while not stop.is_set():
            try:
                response = browser.get("/chamados/list/")
            except Exception as error:  # noqa: BLE001 - whatever the failure, it is reported
                broken.append(repr(error))
                return
            if response.status != 200:
                errors.append(response)

    threads = [threading.Thread(target=opener) for _ in range(2)] + [threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(opened) >= 4 or broken, "calls opened before the crash")
        private_mariadb.stop(kill=True)
        wait_for(lambda: len(errors) >= 6 or broken, "answers while the database is down")
        private_mariadb.start()
        phase["after_restart"] = True
        wait_for(lambda: sum(after for _id, after in opened) >= 4 or broken,
                 "calls opened after the restart (no app restart)")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert broken == [], broken
    for response in errors:
        assert_clear_error(response)
    assert {response.status for response in errors} == {503}
    assert all(r.headers["Retry-After"] == "30" for r in errors)
    assert any("temporariamente indisponível" in r.text for r in errors)

    succeeded = {call_id for call_id, _after in opened}
    with app_ctx(app) as session:
        committed = set(session.execute(select(ServiceCall.id)).scalars())
        attachments = {row.call_id: row.stored_name for row in session.execute(select(CallAttachment)).scalars()}
        outbox = Counter(session.execute(select(OutboxMessage.kind)).scalars())
    # Every call whose request answered success is there; a call may also be there whose answer
    # was lost with the connection (committed by the server, the app saw an error).
    assert succeeded <= committed
    assert len(committed - succeeded) <= len(failed_posts)
    storage = Path(app.config["PWS_STORAGE_DIR"]) / "calls"
    on_disk = {path.name for path in storage.iterdir()}
    for call_id in succeeded:  # every successful upload: its row and its file
        assert call_id in attachments and attachments[call_id] in on_disk
    assert on_disk <= set(attachments.values())  # no file left by a request that failed
    assert outbox["call_opened"] == MAILS_PER_CALL * len(committed)

    changes = read_feed(Browser(base), plain)
    assert [c["seq"] for c in changes] == list(range(1, len(changes) + 1))  # no gap
    created = [c["web_id"] for c in changes if (c["entity"], c["op"]) == ("service_order", "create")]
    assert sorted(created) == sorted(committed)


def test_database_down_at_login_is_a_clear_error(private_mariadb, fault_app, live):
    app = fault_app()
    with app_ctx(app):
        desk = make_desk()
        _token, plain = f.sync_token()
    browser = Browser(live(app))
    token = browser.csrf_token("/login/")
    private_mariadb.stop(kill=True)
    try:
        login = browser.post("/login/", {"username": desk.emails[CLIENT], "password": "senha-demo",
                                         "csrf_token": token})
        page = browser.get("/chamados/list/")
        erp = browser.get("/api/sync/v1/changes?after=0", headers={"Authorization": f"Bearer {plain}"})
        health = browser.get("/saude")  # the balancer takes the server out of the pool
    finally:
        private_mariadb.start()
    assert health.status == 503 and json.loads(health.body)["database"] == "error"
    assert browser.get("/saude").status == 200
    for response in (login, page, erp):
        assert response.status == 503 and response.headers["Retry-After"] == "30"
        assert_clear_error(response)
    assert "Serviço indisponível" in login.text and "Tente novamente em alguns instantes" in login.text
    assert erp.headers["Content-Type"] == "application/json"
    assert json.loads(erp.body)["message"].startswith("Banco de dados indisponível")
    browser.login(desk.emails[CLIENT])  # the same app, no restart: new connections
    assert browser.get("/chamados/list/").status == 200


def test_frozen_database_answers_503_after_the_timeout(private_mariadb, fault_app, live):
    app = fault_app(PWS_DB_TIMEOUT=2)
    with app_ctx(app):
        desk = make_desk()
    browser = Browser(live(app))  # its requests give up after 30 s: a hang fails the test
    browser.login(desk.emails[CLIENT])
    assert browser.get("/chamados/list/").status == 200
    private_mariadb.freeze()
    try:
        pooled = browser.get("/chamados/list/")  # the pooled connection's ping gets no answer
        fresh = Browser(browser.base_url).get("/login/")  # nor does a new connection's handshake
    finally:
        private_mariadb.thaw()
    for response in (pooled, fresh):
        assert response.status == 503
        assert_clear_error(response)
    assert browser.get("/chamados/list/").status == 200


# --- 2: Redis stopped and restarted ----------------------------------------------------------

def _open_calls(client, desk, count):
    for _ in range(count):
        response = client.post(open_url(desk.equipment), data={
            "csrf_token": csrf_token(client), "defect_type": desk.defect, **CALL_FIELDS})
        assert response.status_code == 302, response.status_code


def _outbox(app) -> list[tuple[str, int]]:
    with app_ctx(app) as session:
        return [(row.status, row.attempts) for row in
                session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def _delivered_once(smtp, count):
    ids = Counter(message["Message-ID"] for message in smtp.messages)
    assert len(ids) == count and set(ids.values()) == {1}, ids


TOO_MANY = "Muitas tentativas. Aguarde alguns minutos e tente novamente."


def test_redis_down_loses_no_email_and_login_still_works(fault_app, private_redis, smtp):
    app = fault_app(**mail_config(smtp, REDIS_URL=private_redis.url,
                                  PWS_MAIL_QUEUE=f"pws-mail-test-{uuid.uuid4().hex}"),
                    RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=private_redis.url,
                    AUTH_RATE_LIMIT="3 per minute")
    with app_ctx(app):
        desk = make_desk()
    client = login_as(app.test_client(), desk.users[CLIENT])
    _open_calls(client, desk, 2)  # enqueued on Redis; no worker runs yet
    assert _outbox(app) == [("pending", 0)] * 2 * MAILS_PER_CALL

    private_redis.stop()  # its queue is gone with it
    _open_calls(client, desk, 2)  # the user's request still succeeds
    assert _outbox(app) == [("pending", 0)] * 4 * MAILS_PER_CALL and smtp.messages == []
    visitor = app.test_client()
    token = csrf_token(visitor)
    attempts = [visitor.post("/login/", data={"csrf_token": token, "username": desk.emails[CLIENT],
                                              "password": "errada"}) for _ in range(4)]
    # Limits fall back to this process's memory: no 500, and still counted.
    assert [r.status_code for r in attempts] == [302, 302, 302, 429]
    assert TOO_MANY in attempts[3].get_data(as_text=True)

    private_redis.start()  # empty
    result = app.test_cli_runner().invoke(args=["pws", "sweep-outbox"])
    assert f"entregues à fila ou enviados: {4 * MAILS_PER_CALL}" in result.output, result.output
    run_worker(app)
    _delivered_once(smtp, 4 * MAILS_PER_CALL)
    assert _outbox(app) == [("sent", 1)] * 4 * MAILS_PER_CALL


# --- 3 + 4: SMTP down during a burst, then the worker killed mid-send ----------------------

def test_smtp_down_burst_and_killed_worker_deliver_each_email_once(fault_app, private_mariadb,
                                                                   private_redis, tmp_path):
    smtp = SmtpServer()  # down: nothing listens on its port yet
    queue = f"pws-mail-test-{uuid.uuid4().hex}"
    app = fault_app(**mail_config(smtp, REDIS_URL=private_redis.url, PWS_MAIL_QUEUE=queue))
    with app_ctx(app):
        desk = make_desk()
    burst = 8
    _open_calls(login_as(app.test_client(), desk.users[CLIENT]), desk, burst)
    env = app_env(DATABASE_URL=private_mariadb.url(), REDIS_URL=private_redis.url,
                  MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, PWS_MAIL_QUEUE=queue,
                  PWS_MAIL_TIMEOUT=20, PWS_MAIL_RETRY_DELAYS=1, PWS_MAIL_SWEEP_SECONDS=1,
                  PWS_MAIL_SENDING_TIMEOUT=3, PWS_STORAGE_DIR=tmp_path)
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        # SMTP down: every message is tried, fails, and stays pending for the retries.
        wait_for(lambda: all(status == "pending" and attempts >= 1 for status, attempts in _outbox(app)),
                 f"every e-mail tried while SMTP is down (log: {log})")
        smtp.sink.hold.clear()  # back, but the next session stops at RCPT TO
        smtp.start()
        assert smtp.sink.held.wait(timeout=60), f"no send reached the SMTP server (log: {log})"
        kill_group(worker)  # SIGKILL: the worker and its work horse, mid-send
        assert ("sending" in {status for status, _attempts in _outbox(app)})
        smtp.sink.hold.set()
        worker = start_worker(env, log)  # a supervisor's restart
        wait_for(lambda: all(status == "sent" for status, _attempts in _outbox(app)),
                 f"every e-mail sent after the restart (log: {log})")
    finally:
        kill_group(worker)
        smtp.stop()
        with app.app_context():
            from app.notifications.queue import mail_queue

            mail_queue().delete(delete_jobs=True)
    # The one killed before the server accepted it is sent once too (reclaimed after
    # PWS_MAIL_SENDING_TIMEOUT); a kill after DATA could send that one twice (docs/email.md).
    _delivered_once(smtp, burst * MAILS_PER_CALL)

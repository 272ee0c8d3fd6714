"""Two app servers, one portal: real gunicorn processes share a session, an upload, a rate limit
and the e-mail queue.

Both servers run as docs/deployment.md says (PWS_ENV=production behind one proxy, the same
SECRET_KEY, MariaDB, Redis and storage folder); the test talks to them as nginx would: plain
HTTP with ``X-Forwarded-Proto: https`` and the client's ``X-Forwarded-For``. Nothing a request
leaves behind may live in one server's memory.
"""
import os
import re
import secrets
import subprocess  # nosec B404 - runs the project's own worker
import sys

import pytest

from app.notifications.models import OutboxMessage
from tests.calls_desk import ATTENDANCE_OPERATOR, CLIENT, make_desk, pdf_bytes
from tests.conftest import DATABASE_URL
from tests.live import ROOT, Browser, Gunicorn, app_env, mariadb_pass_only
from tests.services import need_redis, node_urls

LOGIN_LIMIT = 3
HOST = "portal.test"


def proxied(server: str, ip: str | None = None) -> Browser:
    """One user's browser behind the proxy, from its own address: to ``server`` unless a request
    names the other one (``server=``)."""
    ip = ip or f"203.0.113.{secrets.randbelow(250) + 1}"
    return Browser(server, origin=f"https://{HOST}",
                   headers={"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": ip})


def _forget_rate_limits(redis_url: str) -> None:
    import redis

    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter("LIMITS*"))
    if keys:
        connection.delete(*keys)


@pytest.fixture(scope="module")
def servers(_schema, tmp_path_factory):
    """Servers A and B (their base URLs), their storage folder and environment."""
    mariadb_pass_only("MariaDB only: two servers cannot share a SQLite file the way production shares MariaDB")
    redis_url = need_redis()
    _forget_rate_limits(redis_url)
    folder = tmp_path_factory.mktemp("two-servers")
    storage = folder / "storage"
    env = app_env(
        PWS_ENV="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=DATABASE_URL,
        REDIS_URL=redis_url, PWS_STORAGE_DIR=storage, PWS_BASE_URL=f"https://{HOST}",
        PWS_PROXY_COUNT=1, PWS_LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute",
        RATELIMIT_ENABLED=1, MAIL_SERVER="",
        **{name: os.environ[name] for name in ("PWS_DB_SYNC_WAIT",) if name in os.environ},
    )
    # In the Galera pass each server writes through a node of its own (the worker: the third).
    urls = node_urls(DATABASE_URL)
    pair = [Gunicorn({**env, "DATABASE_URL": urls[index % len(urls)]}, folder / f"{name}.log")
            for index, name in enumerate("AB")]
    env = {**env, "DATABASE_URL": urls[2 % len(urls)]}
    try:
        for server in pair:
            server.wait_until_up()
        yield pair[0].url, pair[1].url, storage, env
    finally:
        for server in pair:
            server.stop()


def test_a_session_opened_on_one_server_is_valid_on_the_other_and_ends_on_both(servers, db_ctx):
    a, b, _storage, _env = servers
    with db_ctx():
        desk = make_desk()
    browser = proxied(a)
    assert browser.get("/usuarios/userinfo/", server=b).status == 302, "not logged in yet"
    browser.login(desk.emails[CLIENT])
    assert browser.get("/usuarios/userinfo/", server=b).status == 200
    assert browser.get("/").status == 200
    assert desk.emails[CLIENT] in browser.get("/usuarios/userinfo/", server=b).text

    copied = browser.copy()  # the same cookie, kept elsewhere
    token = browser.csrf_token("/logout/", server=b)
    assert browser.post("/logout/", {"csrf_token": token}, server=b).status == 302
    response = copied.get("/usuarios/userinfo/")
    assert response.status == 302 and response.location == "/login/", \
        "logging out on B ends that session on both servers (its id is ended in the database)"


def _client_logged_in(server, db_ctx):
    """A fresh desk and its client user's browser, logged in through ``server``."""
    with db_ctx():
        desk = make_desk()
    browser = proxied(server)
    browser.login(desk.emails[CLIENT])
    return desk, browser


def _open_call(browser, server, desk, files=None):
    """Abrir chamado as the client user, through the form; returns the call page's path."""
    open_form = f"/chamados/abrir/?equipamento={desk.equipment}"
    response = browser.post(open_form, {
        "csrf_token": browser.csrf_token(open_form, server=server), "defect_type": desk.defect,
        "description": "Atolando papel na bandeja 2", "contact_name": "Luciano Peçanha",
        "contact_phone": "(48) 3028-1348", "contact_email": "luciano@cliente.com.br",
    }, files, server=server)
    assert response.status == 302, "the call was not opened"
    return response.location


def test_a_file_uploaded_through_one_server_downloads_through_the_other(servers, db_ctx):
    a, b, storage, _env = servers
    desk, browser = _client_logged_in(a, db_ctx)
    manual = pdf_bytes()
    call_page = _open_call(browser, a, desk, {"attachments": [("manual.pdf", manual)]})
    page = browser.get(call_page, server=b)
    assert page.status == 200
    links = re.findall(r'href="(/chamados/anexo/\d+)"', page.text)
    assert len(links) == 1
    download = browser.get(links[0], server=b)
    assert download.status == 200 and download.headers["Content-Type"] == "application/pdf"
    assert download.body == manual
    stored = list((storage / "calls").iterdir())
    assert [path.read_bytes() for path in stored] == [manual], "the file lives in the shared folder"


def test_an_email_queued_by_one_server_is_sent_by_a_worker_elsewhere(servers, db_ctx):
    """The web servers only enqueue (shared Redis); `flask pws worker` on a third process sends."""
    a, _b, storage, env = servers
    desk, browser = _client_logged_in(a, db_ctx)
    _open_call(browser, a, desk)
    with db_ctx():
        row = OutboxMessage.query.filter_by(kind="call_opened", recipients=desk.emails[ATTENDANCE_OPERATOR]).one()
        assert row.status == "pending", "a web server never sends when Redis is configured"
    subprocess.run(  # nosec B603 - fixed command line
        [sys.executable, "-m", "flask", "--app", "run.py", "pws", "worker", "--burst"],
        cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)
    with db_ctx():
        row = OutboxMessage.query.filter_by(kind="call_opened", recipients=desk.emails[ATTENDANCE_OPERATOR]).one()
        assert row.status == "sent"
    message = (storage / "mail" / f"outbox-{row.id}.eml").read_text()
    assert desk.emails[ATTENDANCE_OPERATOR] in message


def test_login_attempts_spread_over_both_servers_share_one_limit(servers):
    a, b, _storage, _env = servers
    attacker, neighbour = proxied(a, "198.51.100.23"), proxied(a, "198.51.100.24")
    token = attacker.csrf_token("/login/")

    def attempt(server):
        return attacker.post("/login/", {"username": "ninguem@exemplo.com.br", "password": "errada",
                                         "csrf_token": token}, server=server).status

    assert [attempt(server) for server in (a, b, a)] == [302] * LOGIN_LIMIT
    assert attempt(b) == 429 and attempt(a) == 429, "the limit is counted in Redis, for both servers"
    assert neighbour.login_attempt("ninguem@exemplo.com.br", "errada", server=b).status == 302, \
        "another client is not blocked"

"""Two app servers, one portal: real gunicorn processes share a session, an upload, a rate limit
and the e-mail queue.

Both servers run as docs/deployment.md says (PWS_ENV=production behind one proxy, the same
SECRET_KEY, MariaDB, Redis and storage folder); the test talks to them as nginx would: plain
HTTP with ``X-Forwarded-Proto: https`` and the client's ``X-Forwarded-For``. Nothing a request
leaves behind may live in one server's memory.
"""
import http.client
import io
import os
import re
import secrets
import socket
import subprocess  # nosec B404 - starts the project's own gunicorn
import sys
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from app.notifications.models import OutboxMessage
from tests.calls_desk import ATTENDANCE_OPERATOR, CLIENT, make_desk, pdf_bytes
from tests.conftest import DATABASE_URL
from tests.factories import PASSWORD
from tests.services import need_redis

ROOT = Path(__file__).resolve().parent.parent
LOGIN_LIMIT = 3
HOST = "portal.test"


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path


@dataclass
class Browser:
    """One user's browser behind the proxy: its cookies, its address, either server per request."""

    ip: str = field(default_factory=lambda: f"203.0.113.{secrets.randbelow(250) + 1}")
    cookies: dict = field(default_factory=dict)

    def request(self, server: Server, method: str, path: str, body=None, headers=None):
        sent = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": self.ip, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response.headers, data

    def get(self, server, path):
        return self.request(server, "GET", path)

    def post_form(self, server, path, fields):
        return self.request(server, "POST", path, urlencode(fields), {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{HOST}{path}"})

    def post_multipart(self, server, path, fields, files):
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for name, value in fields.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                      .encode())
        for name, filename, content_type, data in files:
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                      f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode())
            out.write(data + b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        return self.request(server, "POST", path, out.getvalue(), {
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": f"https://{HOST}{path}"})

    def csrf_token(self, server, path):
        status, _headers, html = self.get(server, path)
        assert status == 200, f"{path} on {server.name}: {status}"
        match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1).decode()

    def log_in(self, server, email, password=PASSWORD):
        token = self.csrf_token(server, "/login/")
        return self.post_form(server, "/login/", {"username": email, "password": password,
                                                  "csrf_token": token})[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(name: str, env: dict, folder: Path) -> Server:
    port, log = _free_port(), folder / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(  # nosec B603 - fixed command line
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
             "--graceful-timeout", "5", "--no-control-socket", "run:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, port, process, log)


def _wait_until_up(server: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            if Browser().get(server, "/saude")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn {server.name} did not come up:\n{server.log.read_text()[-3000:]}")


def _stop(servers) -> None:
    for server in servers:
        server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def _forget_rate_limits(redis_url: str) -> None:
    import redis

    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter("LIMITS*"))
    if keys:
        connection.delete(*keys)


@pytest.fixture(scope="module")
def servers(_schema, tmp_path_factory):
    if not DATABASE_URL.startswith("mysql"):
        pytest.skip("MariaDB only: two servers cannot share a SQLite file the way production shares MariaDB")
    redis_url = need_redis()
    _forget_rate_limits(redis_url)
    folder = tmp_path_factory.mktemp("two-servers")
    storage = folder / "storage"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PWS_", "FLASK_"))}
    env.update({
        "PWS_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": redis_url, "PWS_STORAGE_DIR": str(storage), "PWS_BASE_URL": f"https://{HOST}",
        "PWS_PROXY_COUNT": "1", "PWS_LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
        "RATELIMIT_ENABLED": "1", "MAIL_SERVER": "",
    })
    pair = [_start("A", env, folder), _start("B", env, folder)]
    try:
        deadline = time.monotonic() + 90
        for server in pair:
            _wait_until_up(server, deadline)
        yield pair[0], pair[1], storage, env
    finally:
        _stop(pair)


def test_a_session_opened_on_one_server_is_valid_on_the_other_and_ends_on_both(servers, db_ctx):
    a, b, _storage, _env = servers
    with db_ctx():
        desk = make_desk()
    browser = Browser()
    assert browser.get(b, "/usuarios/userinfo/")[0] == 302, "not logged in yet"
    assert browser.log_in(a, desk.emails[CLIENT]) == 302
    assert browser.get(b, "/usuarios/userinfo/")[0] == 200
    assert browser.get(a, "/")[0] == 200
    assert desk.emails[CLIENT].encode() in browser.get(b, "/usuarios/userinfo/")[2]

    copied = Browser(ip=browser.ip, cookies=dict(browser.cookies))  # the same cookie, kept elsewhere
    assert browser.get(b, "/logout/")[0] == 302
    status, headers, _page = copied.get(a, "/usuarios/userinfo/")
    assert status == 302 and urlsplit(headers["Location"]).path == "/login/", \
        "logging out on B ends the session everywhere (session_version in the database)"


def _open_call(browser, server, desk, files=()):
    """Abrir chamado as the client user, through the form; returns the call page's path."""
    open_form = f"/chamados/abrir/?equipamento={desk.equipment}"
    status, headers, _page = browser.post_multipart(server, open_form, {
        "csrf_token": browser.csrf_token(server, open_form), "defect_type": desk.defect,
        "description": "Atolando papel na bandeja 2", "contact_name": "Luciano Peçanha",
        "contact_phone": "(48) 3028-1348", "contact_email": "luciano@cliente.com.br",
    }, files)
    assert status == 302, "the call was not opened"
    return urlsplit(headers["Location"]).path


def test_a_file_uploaded_through_one_server_downloads_through_the_other(servers, db_ctx):
    a, b, storage, _env = servers
    with db_ctx():
        desk = make_desk()
    browser = Browser()
    assert browser.log_in(a, desk.emails[CLIENT]) == 302
    manual = pdf_bytes()
    call_page = _open_call(browser, a, desk, [("attachments", "manual.pdf", "application/pdf", manual)])
    status, _headers, page = browser.get(b, call_page)
    assert status == 200
    links = re.findall(rb'href="(/chamados/anexo/\d+)"', page)
    assert len(links) == 1
    status, headers, data = browser.get(b, links[0].decode())
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert data == manual
    stored = list((storage / "calls").iterdir())
    assert [path.read_bytes() for path in stored] == [manual], "the file lives in the shared folder"


def test_an_email_queued_by_one_server_is_sent_by_a_worker_elsewhere(servers, db_ctx):
    """The web servers only enqueue (shared Redis); `flask pws worker` on a third process sends."""
    a, _b, storage, env = servers
    with db_ctx():
        desk = make_desk()
    browser = Browser()
    assert browser.log_in(a, desk.emails[CLIENT]) == 302
    _open_call(browser, a, desk)
    with db_ctx():
        row = OutboxMessage.query.filter_by(kind="call_opened").one()
        assert row.status == "pending", "a web server never sends when Redis is configured"
    subprocess.run(  # nosec B603 - fixed command line
        [sys.executable, "-m", "flask", "--app", "run.py", "pws", "worker", "--burst"],
        cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)
    with db_ctx():
        row = OutboxMessage.query.filter_by(kind="call_opened").one()
        assert row.status == "sent"
    message = (storage / "mail" / f"outbox-{row.id}.eml").read_text()
    assert desk.emails[ATTENDANCE_OPERATOR] in message


def test_login_attempts_spread_over_both_servers_share_one_limit(servers):
    a, b, _storage, _env = servers
    attacker, neighbour = Browser(ip="198.51.100.23"), Browser(ip="198.51.100.24")
    token = attacker.csrf_token(a, "/login/")

    def attempt(server):
        return attacker.post_form(server, "/login/", {"username": "ninguem@exemplo.com.br",
                                                      "password": "errada", "csrf_token": token})[0]

    assert [attempt(server) for server in (a, b, a)] == [302] * LOGIN_LIMIT
    assert attempt(b) == 429 and attempt(a) == 429, "the limit is counted in Redis, for both servers"
    assert neighbour.log_in(b, "ninguem@exemplo.com.br", "errada") == 302, "another client is not blocked"

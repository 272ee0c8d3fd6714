"""Services a fault test may kill: a private MariaDB and a private Redis on free loopback ports,
an HTTP client for live servers, and the real ``flask pws worker`` as a subprocess.

The shared MariaDB and Redis are never stopped. A private ``mariadbd`` runs on an empty data
directory with ``--skip-grant-tables`` (no mariadb-install-db: it is up in about a second);
``stop(kill=True)`` is a crash (SIGKILL), ``start()`` brings it back on the same data directory
and port (InnoDB crash recovery). The private Redis keeps nothing on disk: a restart empties it,
as a lost Redis would.

These tests run once, in the MariaDB pass (TEST_DATABASE_URL=mysql…): on the SQLite pass they
skip with that reason; in the MariaDB pass missing binaries fail under PWS_REQUIRE_SERVICES=1.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.mailtest import free_port
from tests.services import need

ROOT = Path(__file__).resolve().parent.parent
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
HTTP_TIMEOUT = 30  # no request of these tests may hang: a stuck server fails the test


def mariadb_pass_only() -> None:
    """Skip on the SQLite pass: these tests run once, in the MariaDB pass."""
    from tests.conftest import DATABASE_URL

    if not DATABASE_URL.startswith("mysql"):
        pytest.skip("runs once, in the MariaDB pass (TEST_DATABASE_URL=mysql…)")


def need_fault_pass() -> None:
    """The MariaDB pass, and the binaries of the services these tests start and kill."""
    mariadb_pass_only()
    need(os.access(MARIADBD, os.X_OK), f"mariadbd ({MARIADBD})")
    need(os.access(REDIS_SERVER, os.X_OK), f"redis-server ({REDIS_SERVER})")


def wait_for(check, what: str, timeout: float = 60.0, interval: float = 0.1):
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(interval)


class PrivateMariaDB:
    """A throwaway mariadbd on 127.0.0.1:<free port>, stopped and started at will."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="pws-mariadb-"))
        (self.dir / "data").mkdir()
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, database: str = "pws") -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    def start(self) -> None:
        args = [MARIADBD, "--no-defaults", f"--datadir={self.dir / 'data'}",
                f"--socket={self.dir / 'sock'}", f"--pid-file={self.dir / 'pid'}",
                f"--port={self.port}", "--bind-address=127.0.0.1", "--skip-grant-tables",
                "--skip-log-bin", "--skip-name-resolve", "--innodb-buffer-pool-size=32M",
                "--innodb-log-file-size=8M", "--max-connections=200",
                # Written to the OS at each commit, not fsynced: a killed server (the fault here)
                # loses nothing; only a machine crash could, and these data are throwaway.
                "--innodb-flush-log-at-trx-commit=2", "--innodb-flush-method=nosync",
                "--innodb-doublewrite=0", "--innodb-file-per-table=0",
                "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"]
        if os.geteuid() == 0:
            args.append("--user=root")
        with open(self.dir / "log", "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._ready, f"the private MariaDB on port {self.port} (log: {self.dir / 'log'})")

    def _ready(self) -> bool:
        import pymysql

        if self.process.poll() is not None:
            pytest.fail(f"mariadbd exited: {(self.dir / 'log').read_text()[-2000:]}")
        try:
            pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=1).close()
        except pymysql.err.OperationalError:
            return False
        return True

    def stop(self, *, kill: bool = True) -> None:
        """SIGKILL (a crash: only what InnoDB committed survives) or SIGTERM (a clean stop)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.process.wait(timeout=60)
        self.process = None

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing answers them."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def execute(self, sql: str) -> None:
        import pymysql

        connection = pymysql.connect(host="127.0.0.1", port=self.port, user="root", autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A throwaway redis-server on 127.0.0.1:<free port> that keeps nothing on disk."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="pws-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with open(self.dir / "log", "ab") as log:
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.dir)], stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._ready, f"the private Redis on port {self.port}")

    def _ready(self) -> bool:
        import redis

        if self.process.poll() is not None:
            pytest.fail(f"redis-server exited: {(self.dir / 'log').read_text()[-2000:]}")
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=30)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_mariadb():
    """A private MariaDB with the schema and roles, once per module (started in about a second)."""
    need_fault_pass()
    server = PrivateMariaDB()
    server.start()
    server.execute("CREATE DATABASE pws CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    from tests.conftest import make_app
    from tests.mailtest import dispose

    app = make_app(SQLALCHEMY_DATABASE_URI=server.url())
    with app.app_context():
        from flask_appbuilder import Model

        from app.accounts.seeding import sync_roles
        from app.core.db import db

        Model.metadata.create_all(db.engine)
        sync_roles(app.appbuilder)
    dispose(app)
    server.stop(kill=False)  # written to disk once, as an installed server is: later crashes recover
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def private_redis():
    need_fault_pass()
    server = PrivateRedis()
    server.start()
    yield server
    server.remove()


# --- HTTP against a live server -------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, method: str, status: int, headers, body: bytes):
        self.method, self.status, self.headers, self.body = method, status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """A cookie-keeping HTTP client for a live server; redirects are returned, not followed."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None) -> Response:
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as answer:
                return Response(request.get_method(), answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(request.get_method(), error.code, error.headers, error.read())

    def get(self, path: str) -> Response:
        return self.request(path)

    def post(self, path: str, fields: dict, files: dict | None = None) -> Response:
        body, content_type = multipart(fields, files or {})
        return self.request(path, body, {"Content-Type": content_type})

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, f"GET {path}: {page.status}"
        return token_in(page)

    def login(self, email: str, password: str = "senha-demo") -> None:
        token = self.csrf_token("/login/")
        response = self.post("/login/", {"username": email, "password": password, "csrf_token": token})
        assert response.status == 302, f"login of {email}: {response.status}"


def token_in(page: Response) -> str:
    """The CSRF token of the form on ``page``, as a browser would post it."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def read_feed(browser: Browser, plain_token: str) -> list[dict]:
    """The whole ERP change feed, page by page, through the sync API."""
    changes, after = [], 0
    while True:
        page = browser.request(f"/api/sync/v1/changes?after={after}&limit=500",
                               headers={"Authorization": f"Bearer {plain_token}"})
        assert page.status == 200, page.text
        body = json.loads(page.body)
        changes += body["changes"]
        after = int(body["next_cursor"])
        if not body["has_more"]:
            return changes


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body: ``files`` maps a field to [(file name, bytes), …]."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                     .encode())
    for name, uploads in files.items():
        for filename, data in uploads:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                         .encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def assert_clear_error(response: Response) -> None:
    """A failed request answers a pt-BR error (503 while a service is down), never a traceback."""
    assert response.status in (500, 503), response.status
    text = response.text
    if response.headers.get("Content-Type") == "application/json":
        text = json.loads(response.body)["message"]
    for leak in ("Traceback", "OperationalError", "pymysql", "sqlalchemy", "SELECT ", "INSERT "):
        assert leak not in text, f"{leak!r} in the error page"
    assert "indisponível" in text or "erro" in text.lower(), text[:300]


# --- the real e-mail worker -----------------------------------------------------------------

def worker_env(**settings) -> dict:
    """Environment of a ``flask pws worker`` subprocess (settings as strings)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PWS_", "MAIL_", "REDIS_", "DATABASE_"))}
    env.update({"FLASK_APP": "run.py", "SECRET_KEY": "test-secret", "PWS_BASE_URL": "http://portal.test"})
    env.update({key: str(value) for key, value in settings.items()})
    return env


def start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    """The production worker command, in a process group of its own (the worker and its horse)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "flask", "pws", "worker"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse (their own process group, started above)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)

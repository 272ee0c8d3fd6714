"""Services a fault test may kill: a private MariaDB and a private Redis on free loopback ports,
and the real ``flask pws worker`` as a subprocess (HTTP to live servers: tests/live.py).

The shared MariaDB and Redis are never stopped. A private ``mariadbd`` runs on an empty data
directory with ``--skip-grant-tables`` (no mariadb-install-db: it is up in about a second);
``stop(kill=True)`` is a crash (SIGKILL), ``start()`` brings it back on the same data directory
and port (InnoDB crash recovery). The private Redis keeps nothing on disk: a restart empties it,
as a lost Redis would.

These tests run once, in the MariaDB pass (TEST_DATABASE_URL=mysql…): on the SQLite pass they
skip with that reason; in the MariaDB pass missing binaries fail under PWS_REQUIRE_SERVICES=1.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.live import ROOT, Response, mariadb_pass_only, wait_for
from tests.mailtest import free_port
from tests.services import need

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def need_fault_pass() -> None:
    """The MariaDB pass, and the binaries of the services these tests start and kill."""
    mariadb_pass_only()
    need(os.access(MARIADBD, os.X_OK), f"mariadbd ({MARIADBD})")
    need(os.access(REDIS_SERVER, os.X_OK), f"redis-server ({REDIS_SERVER})")


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


# --- answers while a service is down -------------------------------------------------------

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

def start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    """The production worker command (``env``: tests.live.app_env), in a process group of its own
    (the worker and its horse)."""
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

"""Test harness: one schema and one app per run (SQLite or TEST_DATABASE_URL), empty tables per test.

No app context stays pushed while the test client runs requests (see docs/decisions.md):
``db_ctx`` opens one only around direct database work.
"""
import hashlib
import os
import re
import tempfile
from contextlib import contextmanager

import sqlite3


def _per_worker_services() -> None:
    """Under pytest-xdist each worker gets its own MariaDB database (``test_gw1``…) and its own
    Redis database (15, 14, …): tables are emptied per test and rate-limit counters reset, which
    must not reach another worker's test. Runs before ``app`` (and config) is imported."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    index = int(worker.removeprefix("gw"))
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("mysql"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        name = f"{parsed.database}_{worker}"
        server = create_engine(parsed.set(database=None))
        with server.begin() as conn:
            conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{name}` "
                              "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        server.dispose()
        os.environ["TEST_DATABASE_URL"] = parsed.set(database=name).render_as_string(hide_password=False)
    redis = os.environ.get("REDIS_URL")
    if redis:
        base, _, db_index = redis.rpartition("/")
        number = int(db_index) if db_index.isdigit() else 15
        os.environ["REDIS_URL"] = f"{base}/{max(number - index, 0)}"


_per_worker_services()

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app import create_app
from app.core.db import db
from tests.live import token_in

# Shared fixtures: a real SMTP server on 127.0.0.1 and apps that use it (e-mail area); a private
# MariaDB and Redis that fault tests may kill (tests/faults.py).
pytest_plugins = ("tests.mailtest", "tests.faults")

REQUIRE_SERVICES = os.environ.get("PWS_REQUIRE_SERVICES") == "1"
_SQLITE_DIR = tempfile.mkdtemp(prefix="pws-tests-")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_SQLITE_DIR}/test.db"
# Tables FAB's permission seeding fills once per run; every other table is emptied per test.
KEEP_TABLES = {"ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
               "ab_permission_view_role", "alembic_version"}

TEST_CONFIG = {
    "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PWS_BASE_URL": "http://portal.test",
    "RATELIMIT_ENABLED": False,
    "FAB_UPDATE_PERMS": False,
    "SERVER_NAME": None,
    "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


@event.listens_for(Engine, "connect")
def _fast_sqlite(dbapi_connection, _record):
    """Test databases are throwaway: skip SQLite's fsyncs."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.close()


def make_app(**overrides):
    storage = tempfile.mkdtemp(prefix="pws-storage-")
    return create_app({**TEST_CONFIG, "PWS_STORAGE_DIR": storage, **overrides})


@pytest.fixture(scope="session")
def _schema():
    """Create every table and seed the roles once for the run; the app that did it serves the
    tests that take ``app`` (see there)."""
    app = make_app()
    with app.app_context():
        from flask_appbuilder import Model

        from app.accounts.seeding import sync_roles

        Model.metadata.drop_all(db.engine)
        Model.metadata.create_all(db.engine)
        sync_roles(app.appbuilder)
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables(app):
    with app.app_context():
        from flask_appbuilder import Model

        engine = db.engine
        tables = [t for t in reversed(Model.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with engine.begin() as conn:
            if engine.dialect.name == "mysql":
                conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in tables:
                conn.execute(table.delete())
            if engine.dialect.name == "mysql":
                conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        db.session.remove()


@pytest.fixture
def app(_schema):
    """The worker's app (building one costs 0.15 s; a worker runs hundreds of tests), with
    empty tables, a storage folder of its own, and its settings put back after each test. Like
    a production process it keeps its per-process caches between requests; a write to the
    cached tables empties them (app/core/cache.py). Tests that need an app of their own (other
    settings at start-up, request hooks) build it with make_app."""
    app = _schema
    config = dict(app.config)
    app.config["PWS_STORAGE_DIR"] = tempfile.mkdtemp(prefix="pws-storage-")
    _empty_tables(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.config.clear()
    app.config.update(config)


@pytest.fixture(scope="session")
def _peer_apps(_schema):
    """In the Galera cluster pass, an app on each other node (tests/services.node_urls)."""
    from tests.services import node_urls

    apps = [make_app(SQLALCHEMY_DATABASE_URI=url) for url in node_urls(DATABASE_URL)[1:]]
    yield apps
    for peer in apps:
        with peer.app_context():
            db.engine.dispose()


@pytest.fixture
def peer_app(app, _peer_apps):
    """A second app server on the same data: in the Galera pass it writes through another node
    (its writes meet this app's only at commit); otherwise it is the worker's app itself."""
    return _peer_apps[0] if _peer_apps else app


@pytest.fixture
def node_apps(app, _peer_apps):
    """One app per Galera node, the worker's app first (the cluster pass only)."""
    from tests.services import need_galera

    need_galera(DATABASE_URL)
    return [app, *_peer_apps]


@pytest.fixture
def db_ctx(app):
    """``with db_ctx():`` — an app context for direct database work, closed afterwards."""

    @contextmanager
    def ctx():
        with app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    return ctx


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client):
    """A valid CSRF token for this client's session, as Flask-WTF would render it."""
    from itsdangerous import URLSafeTimedSerializer

    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
    return URLSafeTimedSerializer(client.application.secret_key, salt="wtf-csrf-token").dumps(raw)


def form_csrf_token(client, url):
    """The CSRF token exactly as a page renders it (for flows driven like a browser)."""
    return token_in(client.get(url).get_data(as_text=True))


def hidden_value(html, name):
    """The value of a form's hidden input (the row version of an edit form, its form token)."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    raise AssertionError(f"no hidden {name} in the page")


def form_fields(client, url, *names):
    """The CSRF token and the named hidden inputs exactly as the page at ``url`` renders them."""
    html = client.get(url).get_data(as_text=True)
    return {"csrf_token": token_in(html), **{name: hidden_value(html, name) for name in names}}


def login_as(client, user_id):
    """Open a session for a user without the password round trip (route × role test)."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def login(client, email, password="senha-demo"):
    token = form_csrf_token(client, "/login/")
    response = client.post("/login/", data={"username": email, "password": password,
                                            "csrf_token": token})
    assert response.status_code == 302, "login failed"
    return client

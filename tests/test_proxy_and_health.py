"""Behind a reverse proxy: ``PWS_PROXY_COUNT`` and the ``/saude`` health check (docs/deployment.md)."""
import pytest

from tests.conftest import _empty_tables, csrf_token, make_app
from tests.live import token_in
from tests.mailtest import dispose

ATTEMPTS = "3 per minute"


def _limited_app(**overrides):
    app = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT=ATTEMPTS, **overrides)
    _empty_tables(app)
    with app.app_context():
        app.appbuilder.sm.limiter.reset()  # counters live in Redis when it is configured
    return app


@pytest.fixture
def behind_proxy(_schema):
    app = _limited_app(PWS_PROXY_COUNT=1)
    yield app
    dispose(app)


@pytest.fixture
def direct(_schema):
    app = _limited_app(PWS_PROXY_COUNT=0)
    yield app
    dispose(app)


def _login_attempts(app, forwarded_for, times):
    client = app.test_client()
    token = csrf_token(client)
    return [client.post("/login/", headers={"X-Forwarded-For": forwarded_for}, data={
        "csrf_token": token, "username": "ninguem@x.test", "password": "errada"}).status_code
        for _ in range(times)]


def test_behind_a_proxy_the_login_limit_counts_each_client_apart(behind_proxy):
    assert _login_attempts(behind_proxy, "203.0.113.7", 4) == [302, 302, 302, 429]
    assert _login_attempts(behind_proxy, "198.51.100.9", 1) == [302], "another client is not blocked"
    # the proxy appends the real peer: a client cannot pick his own address
    assert _login_attempts(behind_proxy, "10.9.9.9, 203.0.113.7", 1) == [429]


def test_without_a_proxy_forwarded_headers_are_ignored(direct):
    statuses = [_login_attempts(direct, f"203.0.113.{n}", 1)[0] for n in range(4)]
    assert statuses == [302, 302, 302, 429], "a forged X-Forwarded-For must not dodge the limit"


def test_behind_a_proxy_https_comes_from_x_forwarded_proto(_schema):
    app = make_app(ENV_NAME="production", PWS_PROXY_COUNT=1)
    try:
        client = app.test_client()
        response = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert client.get("/login/").status_code == 301
    finally:
        dispose(app)


def test_health_check_is_public_and_reports_the_database(app, client):
    response = client.get("/saude")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["redis"] == ("ok" if app.config["REDIS_URL"] else "off")
    assert response.headers["Cache-Control"] == "no-store"


def test_health_check_answers_plain_http_in_production(_schema):
    """The proxy polls each server directly; every other page still goes to HTTPS."""
    app = make_app(ENV_NAME="production")
    try:
        client = app.test_client()
        assert client.get("/saude").status_code == 200
        assert client.get("/login/").status_code == 301
    finally:
        dispose(app)


def test_health_check_fails_when_the_database_is_unreachable(_schema, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI="mysql+pymysql://pws@127.0.0.1:1/pws",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
                   REDIS_URL="redis://127.0.0.1:1/0")
    try:
        response = app.test_client().get("/saude")
        assert response.status_code == 503
        assert response.get_json() == {"status": "error", "database": "error", "redis": "error"}
    finally:
        dispose(app)


def test_behind_a_proxy_forms_need_the_public_host(_schema):
    """On HTTPS a form's Referer must match the Host: nginx passes the public one (deployment.md)."""
    app = make_app(ENV_NAME="production", PWS_PROXY_COUNT=1)
    try:
        client = app.test_client()
        proxied = {"X-Forwarded-Proto": "https"}
        page = client.get("/login/", base_url="http://portal.test", headers=proxied).get_data(as_text=True)
        token = token_in(page)
        # the same browser session, whatever Host the proxy forwards
        client.set_cookie("session", client.get_cookie("session", domain="portal.test").value, domain="10.0.0.11")

        def post(host, referrer="https://portal.test/login/"):
            return client.post("/login/", base_url="http://portal.test", data={
                "csrf_token": token, "username": "ninguem@x.test", "password": "errada"}, headers={
                **proxied, "Host": host, "Referer": referrer}).status_code

        assert post("portal.test") == 302
        assert post("10.0.0.11:8000") == 400, "the browser's Referer names the public host"
        assert post("10.0.0.11:8000", "https://10.0.0.11:8000/login/") == 302, "only the Host was wrong"
    finally:
        dispose(app)

"""Login, API login and reset requests are rate-limited (Redis storage when REDIS_URL is set)."""
import pytest

from tests.conftest import _empty_tables, csrf_token, make_app
from tests.mailtest import dispose

LIMIT = "3 per minute"
TOO_MANY = "Muitas tentativas. Aguarde alguns minutos e tente novamente."


@pytest.fixture
def limited_app(_schema):
    app = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT=LIMIT, PWS_API_LOGIN_RATE_LIMIT=LIMIT,
                   PWS_RESET_RATE_LIMIT=LIMIT, REDIS_URL=None)
    _empty_tables(app)
    with app.app_context():
        app.appbuilder.sm.limiter.reset()  # counters live in Redis when it is configured
    yield app
    dispose(app)


def _statuses(send, times=4):
    return [send().status_code for _ in range(times)]


def test_login_form_is_limited(limited_app):
    client = limited_app.test_client()
    token = csrf_token(client)
    statuses = _statuses(lambda: client.post("/login/", data={
        "csrf_token": token, "username": "ninguem@x.test", "password": "errada"}))
    assert statuses[:3] == [302, 302, 302] and statuses[3] == 429
    response = client.post("/login/", data={"csrf_token": token, "username": "x", "password": "y"})
    assert response.status_code == 429 and TOO_MANY in response.get_data(as_text=True)
    assert client.get("/login/").status_code == 200  # only attempts are counted


def test_api_login_is_limited(limited_app):
    client = limited_app.test_client()
    payload = {"username": "ninguem@x.test", "password": "errada", "provider": "db"}
    statuses = _statuses(lambda: client.post("/api/v1/security/login", json=payload))
    assert statuses[:3] == [401, 401, 401] and statuses[3] == 429
    assert client.post("/api/v1/security/login", json=payload).get_json() == {"message": TOO_MANY}


def test_reset_requests_are_limited(limited_app):
    client = limited_app.test_client()
    token = csrf_token(client)
    statuses = _statuses(lambda: client.post("/redefinir-senha/", data={
        "csrf_token": token, "email": "ninguem@x.test"}))
    assert statuses == [200, 200, 200, 429]


def test_the_contacts_thread_link_is_limited(_schema):
    """A guessed or leaked pré atendimento link can not be hammered: per address, whatever the token."""
    app = make_app(RATELIMIT_ENABLED=True, PWS_CONTACT_LINK_RATE_LIMIT=LIMIT, REDIS_URL=None)
    _empty_tables(app)
    try:
        with app.app_context():
            app.appbuilder.sm.limiter.reset()
        client = app.test_client()
        statuses = [client.get(f"/pre-atendimento/token-{n}").status_code for n in range(4)]
        assert statuses == [404, 404, 404, 429]
        assert TOO_MANY in client.get("/pre-atendimento/outro").get_data(as_text=True)
    finally:
        dispose(app)


def test_only_failed_logins_count(limited_app):
    """An office behind one address logs in all morning; the attempts that fail are limited."""
    from tests import factories as f
    from tests.conftest import form_csrf_token

    with limited_app.app_context():
        f.user("Operador de Chamados", [f.company()], email="operador@revenda.test")
    for _ in range(6):  # twice the limit, every one a good login (a new session each time)
        office = limited_app.test_client()
        response = office.post("/login/", data={"csrf_token": form_csrf_token(office, "/login/"),
                                                "username": "operador@revenda.test", "password": "senha-demo"})
        assert response.status_code == 302 and "/login" not in response.headers["Location"]
    api = limited_app.test_client()
    good = {"username": "operador@revenda.test", "password": "senha-demo", "provider": "db"}
    assert [api.post("/api/v1/security/login", json=good).status_code for _ in range(5)] == [200] * 5
    intruder = limited_app.test_client()
    token = csrf_token(intruder)
    statuses = _statuses(lambda: intruder.post("/login/", data={
        "csrf_token": token, "username": "operador@revenda.test", "password": "errada"}))
    assert statuses == [302, 302, 302, 429]
    bad = {**good, "password": "errada"}
    assert [api.post("/api/v1/security/login", json=bad).status_code for _ in range(4)] == [401, 401, 401, 429]

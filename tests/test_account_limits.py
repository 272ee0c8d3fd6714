"""Per-account limits (docs/security.md): failed logins and reset e-mails are counted per
account whatever address they come from, in Redis (shared by the servers) or in memory; a
browser that logged in to the account before is never refused by the account's limit."""
import pytest
from sqlalchemy import func, select

from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.conftest import _empty_tables, form_csrf_token, make_app
from tests.mailtest import dispose
from tests.services import need_redis

OWNER = "operador@revenda.test"
TOO_MANY = "Muitas tentativas. Aguarde alguns minutos e tente novamente."
LIMITS = {"RATELIMIT_ENABLED": True, "AUTH_RATE_LIMIT": "100 per minute",
          "PWS_API_LOGIN_RATE_LIMIT": "100 per minute", "PWS_RESET_RATE_LIMIT": "100 per minute",
          "PWS_ACCOUNT_LOGIN_LIMIT": "5 per 5 minutes;10 per hour", "PWS_RESET_ACCOUNT_LIMIT": "3 per hour",
          "REDIS_URL": None}


def _app(storage_uri):
    app = make_app(**LIMITS, RATELIMIT_STORAGE_URI=storage_uri)
    _empty_tables(app)
    with app.app_context():
        app.appbuilder.sm.limiter.reset()
        f.user("Operador de Chamados", [f.company()], email=OWNER)
    return app


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, _schema):
    app = _app("memory://" if request.param == "memory" else need_redis())
    yield app
    dispose(app)


def _from(address):
    return {"REMOTE_ADDR": address}


def _login(client, password, address, username=OWNER):
    token = form_csrf_token(client, "/login/")
    return client.post("/login/", data={"csrf_token": token, "username": username, "password": password},
                       environ_base=_from(address))


def _logged_in(response) -> bool:
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def test_wrong_passwords_from_many_addresses_meet_the_account_limit_not_its_owner(limited_app):
    owners_browser = limited_app.test_client()
    assert _logged_in(_login(owners_browser, "senha-demo", "192.0.2.1"))
    statuses = [_login(limited_app.test_client(), "errada", f"198.51.100.{n}").status_code
                for n in range(1, 26)]
    assert statuses[:5] == [302] * 5 and set(statuses[5:]) == {429}, statuses
    refused = _login(limited_app.test_client(), "senha-demo", "198.51.100.99")
    assert refused.status_code == 429 and TOO_MANY in refused.get_data(as_text=True), \
        "a browser new to the account waits, even with the right password"
    api = limited_app.test_client().post("/api/v1/security/login", environ_base=_from("198.51.100.98"), json={
        "username": OWNER, "password": "senha-demo", "provider": "db"})
    assert api.status_code == 429 and api.get_json() == {"message": TOO_MANY}
    owners_browser.post("/logout/", data={"csrf_token": form_csrf_token(owners_browser, "/logout/")})
    assert _logged_in(_login(owners_browser, "senha-demo", "192.0.2.1")), \
        "the owner's browser (it logged in before) is not kept out"


def test_an_unknown_account_meets_the_same_limit(limited_app):
    """Known or not, the same answers: the limit tells no one which e-mails are registered."""
    statuses = [_login(limited_app.test_client(), "errada", f"198.51.100.{n}", "ninguem@revenda.test").status_code
                for n in range(1, 8)]
    assert statuses == [302] * 5 + [429] * 2


def test_reset_emails_per_account_per_hour(limited_app):
    for n in range(1, 13):
        client = limited_app.test_client()
        token = form_csrf_token(client, "/redefinir-senha/")
        response = client.post("/redefinir-senha/", data={"csrf_token": token, "email": OWNER},
                               environ_base=_from(f"198.51.100.{n}"))
        assert response.status_code == 200
        response.close()  # the e-mail is prepared after the answer
    with limited_app.app_context():
        from app.core.db import db

        sent = db.session.execute(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.recipients == OWNER)).scalar_one()
    assert sent == 3


def test_the_account_limit_is_shared_by_every_server(_schema):
    """Two app processes on one Redis: the failures counted by one refuse on the other."""
    url = need_redis()
    first, second = _app(url), make_app(**LIMITS, RATELIMIT_STORAGE_URI=url)
    try:
        for n in range(1, 6):
            server = first if n % 2 else second
            assert _login(server.test_client(), "errada", f"198.51.100.{n}").status_code == 302
        assert _login(second.test_client(), "errada", "198.51.100.50").status_code == 429
        assert _login(first.test_client(), "senha-demo", "198.51.100.51").status_code == 429
    finally:
        dispose(first)
        dispose(second)

"""Security checklist 11: no redirect leaves the site, whatever ``next=`` or Host says."""
from urllib.parse import quote, urlsplit

import pytest

from app.accounts.roles import ADMIN
from tests import factories as f
from tests.conftest import csrf_token, form_csrf_token, login

HOSTILE = ["http://evil.example/x", "https://evil.example", "//evil.example", "///evil.example",
           "/\\evil.example", "\\\\evil.example", " //evil.example", "\t//evil.example",
           "https:evil.example", "javascript:alert(1)", "http://portal.test@evil.example/"]


def assert_on_site(response):
    assert response.status_code in (301, 302, 303), response.status_code
    location = response.headers["Location"]
    cleaned = location.lstrip("".join(map(chr, range(33)))).replace("\\", "/")
    parts = urlsplit(cleaned)
    assert parts.scheme in ("", "http", "https") and parts.netloc in ("", "portal.test"), location


@pytest.fixture
def admin(db_ctx):
    with db_ctx():
        f.user(ADMIN, email="admin@revenda.test")


@pytest.mark.parametrize("target", HOSTILE)
@pytest.mark.parametrize("host", [None, "evil.example"])
def test_login_never_redirects_off_site(app, admin, target, host):
    client = app.test_client()
    if host:
        client.environ_base["HTTP_HOST"] = host  # every request, the login form's included
    url = f"/login/?next={quote(target, safe='')}"
    token = form_csrf_token(client, url)
    response = client.post(url, data={"username": "admin@revenda.test", "password": "senha-demo",
                                      "csrf_token": token})
    assert_on_site(response)
    assert_on_site(client.get(url))  # already logged in


def test_login_keeps_an_on_site_next(app, admin):
    client = app.test_client()
    url = "/login/?next=%2Fchamados%2Flist%2F"
    response = client.post(url, data={"username": "admin@revenda.test", "password": "senha-demo",
                                      "csrf_token": form_csrf_token(client, url)})
    assert response.headers["Location"] == "/chamados/list/"


@pytest.mark.parametrize("target", HOSTILE)
def test_consent_form_next_never_leaves_the_site(app, admin, target):
    client = login(app.test_client(), "admin@revenda.test")
    response = client.post("/lgpd/consentimento", data={
        "csrf_token": csrf_token(client), "acao": "agora-nao", "next": target})
    assert_on_site(response)


def test_referrer_based_redirects_stay_on_site(app, admin, db_ctx):
    with db_ctx():
        outbox = f.outbox_message(status="failed").id
    client = login(app.test_client(), "admin@revenda.test")
    response = client.post(f"/emails/action/retry/{outbox}", data={"csrf_token": csrf_token(client)},
                           headers={"Referer": "https://evil.example/"})
    assert_on_site(response)

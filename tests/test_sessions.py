"""Sessions end on the server: a cookie replayed after logout, deactivation or a new password is
refused; logout is a POST and ends this device's session only; "Sair de todos os dispositivos"
ends every session and app token; app tokens (access and refresh) expire and die with a
password change, a deactivation and the logout from every device."""
import time

import jwt
import pytest

from app.accounts.models import PortalUser
from app.accounts.roles import ADMIN, TECHNICIAN
from tests import factories as f
from tests.conftest import form_csrf_token, form_fields, login
from tests.field_support import build_field, jwt_headers

TECH_API = "/api/v1/tecnico/chamados"


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


@pytest.fixture
def users(db_ctx):
    with db_ctx():
        company = f.company()
        admin = f.user(ADMIN, email="admin@revenda.test")
        operator = f.user("Operador de Chamados", [company], email="operador@revenda.test")
        return {"admin": admin.id, "operator": operator.id, "company": company.id}


def _logout(client):
    return client.post("/logout/", data={"csrf_token": form_csrf_token(client, "/logout/")})


def test_cookie_replayed_after_logout_is_refused_and_other_devices_stay(app, users):
    other_device = login(app.test_client(), "admin@revenda.test")
    client = login(app.test_client(), "admin@revenda.test")
    cookie = _cookie(client)
    assert _replay(app, cookie).get("/chamados/list/").status_code == 200
    assert _replay(app, cookie).get("/api/v1/menu/").status_code == 200
    assert _logout(client).status_code == 302
    page = _replay(app, cookie).get("/chamados/list/")
    assert page.status_code == 302 and "/login/" in page.location
    assert _replay(app, cookie).get("/api/v1/menu/").status_code == 401
    assert other_device.get("/chamados/list/").status_code == 200, "only this device logged out"
    assert login(app.test_client(), "admin@revenda.test").get("/chamados/list/").status_code == 200


def test_logout_is_a_post_with_csrf(app, users):
    """A cross-site image or link (GET) or a forged form (no token) logs nobody out."""
    client = login(app.test_client(), "admin@revenda.test")
    menu = client.get("/chamados/list/").get_data(as_text=True)
    assert 'class="pws-logout-form" method="post" action="/logout/"' in menu
    page = client.get("/logout/")
    assert page.status_code == 200 and "Deseja sair do portal neste dispositivo?" in page.get_data(as_text=True)
    assert client.post("/logout/").status_code == 400
    assert client.get("/chamados/list/").status_code == 200
    assert _logout(client).status_code == 302
    assert client.get("/chamados/list/").status_code == 302
    assert app.test_client().get("/logout/").status_code == 302  # a visitor: the login page


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, users):
    elsewhere = _cookie(login(app.test_client(), "operador@revenda.test"))
    client = login(app.test_client(), "operador@revenda.test")
    token = form_csrf_token(client, "/resetmypassword/form")
    response = client.post("/resetmypassword/form", data={
        "csrf_token": token, "current_password": "senha-demo",
        "password": "nova-senha-123", "conf_password": "nova-senha-123"})
    assert response.status_code == 302
    assert client.get("/chamados/list/").status_code == 200
    assert _replay(app, elsewhere).get("/chamados/list/").status_code == 302


def test_logout_from_every_device_ends_every_session_and_app_token(app, db_ctx):
    with db_ctx():
        field = build_field()
    phone = app.test_client()
    tokens = _app_tokens(phone, field.tech_email)
    laptop = login(app.test_client(), field.tech_email)
    client = login(app.test_client(), field.tech_email)
    assert _logout(laptop).status_code == 302
    assert phone.get(TECH_API, headers=_bearer(tokens["access_token"])).status_code == 200, \
        "a browser's logout leaves the phone's app logged in"
    page = client.get("/userinfoeditview/form").get_data(as_text=True)
    assert "Sair de todos os dispositivos" in page
    response = client.post("/userinfoeditview/sair-de-todos",
                           data={"csrf_token": form_csrf_token(client, "/userinfoeditview/form")})
    assert response.status_code == 302 and "/login/" in response.location
    assert client.get("/chamados/list/").status_code == 302
    assert phone.get(TECH_API, headers=_bearer(tokens["access_token"])).status_code == 401
    assert _refresh(phone, tokens).status_code == 401


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _app_tokens(client, email, password="senha-demo"):
    response = client.post("/api/v1/security/login", json={
        "username": email, "password": password, "provider": "db", "refresh": True})
    assert response.status_code == 200
    return response.get_json()


def _refresh(client, tokens):
    return client.post("/api/v1/security/refresh", headers=_bearer(tokens["refresh_token"]))


def test_refresh_tokens_live_seven_days_by_default_and_expire(app, db_ctx):
    with db_ctx():
        field = build_field()
    client = app.test_client()
    tokens = _app_tokens(client, field.tech_email)
    claims = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
    fresh = _refresh(client, tokens)
    assert fresh.status_code == 200
    assert client.get(TECH_API, headers=_bearer(fresh.get_json()["access_token"])).status_code == 200
    app.config["JWT_REFRESH_TOKEN_EXPIRES"] = 1
    short = _app_tokens(client, field.tech_email)
    time.sleep(1.2)
    assert _refresh(client, short).status_code == 401


def test_password_change_and_deactivation_kill_the_refresh_token(app, db_ctx):
    with db_ctx():
        field = build_field()
    phone = app.test_client()
    tokens = _app_tokens(phone, field.tech_email)
    web = login(app.test_client(), field.tech_email)
    response = web.post("/resetmypassword/form", data={
        "csrf_token": form_csrf_token(web, "/resetmypassword/form"), "current_password": "senha-demo",
        "password": "outra-senha-forte", "conf_password": "outra-senha-forte"})
    assert response.status_code == 302
    assert _refresh(phone, tokens).status_code == 401
    assert phone.get(TECH_API, headers=_bearer(tokens["access_token"])).status_code == 401
    tokens = _app_tokens(phone, field.tech_email, "outra-senha-forte")
    assert _refresh(phone, tokens).status_code == 200
    with db_ctx() as session:
        session.query(PortalUser).filter_by(email=field.tech_email).one().active = False
        session.commit()
    assert _refresh(phone, tokens).status_code == 401


def test_reactivated_user_does_not_get_his_old_sessions_back(app, users, db_ctx):
    cookie = _cookie(login(app.test_client(), "operador@revenda.test"))
    admin = login(app.test_client(), "admin@revenda.test")
    for active in (None, "y"):  # deactivate, then activate again, through the user screen
        data = {**form_fields(admin, f"/usuarios/edit/{users['operator']}", "row_version"),
                "first_name": "Operador", "email": "operador@revenda.test",
                "profile": "Operador de Chamados", "companies": [str(users["company"])]}
        if active:
            data["active"] = active
        assert admin.post(f"/usuarios/edit/{users['operator']}", data=data).status_code == 302
        assert _replay(app, cookie).get("/chamados/list/").status_code == 302
    with db_ctx() as session:
        user = session.get(PortalUser, users["operator"])
        assert user.active and user.session_version == 2


def test_app_api_token_is_refused_once_the_technician_is_deactivated(app, db_ctx):
    with db_ctx():
        field = build_field()
    client = app.test_client()
    headers = jwt_headers(client, field.tech_email)
    assert client.get(TECH_API, headers=headers).status_code == 200
    with db_ctx() as session:
        user = session.query(PortalUser).filter_by(email=field.tech_email).one()
        assert user.profile == TECHNICIAN
        user.active = False
        session.commit()
    assert client.get(TECH_API, headers=headers).status_code == 401


def test_a_page_loaded_again_keeps_its_session_cookie(app, users):
    """FAB's "back" history changes only with a new page: the same page again sends no cookie."""
    client = login(app.test_client(), "admin@revenda.test")
    first = client.get("/defeitos/list/")
    assert "session=" in first.headers.get("Set-Cookie", "")  # the history gained this page
    again = client.get("/defeitos/list/")
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    assert "session=" in client.get("/empresas/list/").headers.get("Set-Cookie", "")

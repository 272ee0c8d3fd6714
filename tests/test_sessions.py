"""Sessions end on the server: a cookie replayed after logout, deactivation or a new password is
refused; app API tokens stop working when the user is deactivated."""
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


def test_cookie_replayed_after_logout_is_refused(app, users):
    client = login(app.test_client(), "admin@revenda.test")
    cookie = _cookie(client)
    assert _replay(app, cookie).get("/chamados/list/").status_code == 200
    assert _replay(app, cookie).get("/api/v1/menu/").status_code == 200
    client.get("/logout/")
    page = _replay(app, cookie).get("/chamados/list/")
    assert page.status_code == 302 and "/login/" in page.location
    assert _replay(app, cookie).get("/api/v1/menu/").status_code == 401
    assert login(app.test_client(), "admin@revenda.test").get("/chamados/list/").status_code == 200


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, users):
    elsewhere = _cookie(login(app.test_client(), "operador@revenda.test"))
    client = login(app.test_client(), "operador@revenda.test")
    token = form_csrf_token(client, "/resetmypassword/form")
    response = client.post("/resetmypassword/form", data={
        "csrf_token": token, "password": "nova-senha-123", "conf_password": "nova-senha-123"})
    assert response.status_code == 302
    assert client.get("/chamados/list/").status_code == 200
    assert _replay(app, elsewhere).get("/chamados/list/").status_code == 302


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

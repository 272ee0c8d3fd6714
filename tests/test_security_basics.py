"""CSRF on every cookie-authenticated state change, none on GET; the company selector."""
from collections import defaultdict

import pytest

from app.accounts.models import PortalUser
from app.catalog.models import DefectType
from tests import factories as f
from tests.conftest import csrf_token, login
from tests.routes import all_routes


@pytest.fixture
def admin(app, client, db_ctx):
    with db_ctx():
        f.user("Admin Revenda", email="admin@revenda.test")
        target = f.user("Operador de Chamados", [f.company()], email="alvo@revenda.test")
        defect = f.defect(listed=False)
        ids = {"user": target.id, "defect": defect.id}
    login(client, "admin@revenda.test")
    return client, ids


# The one exemption: RFC 8058's one-click unsubscribe is POSTed by the mail program, without a
# form token; its signed link is the authority and all it can do is turn one choice off
# (tests/test_mail_unsubscribe.py). A link that is not genuine changes nothing.
CSRF_EXEMPT = {"/email/descadastrar/{unsubscribe_token}"}
POST_ROUTES = sorted(path for method, path in all_routes() if method == "POST"
                     and not path.startswith("/api/"))


@pytest.mark.parametrize("path", POST_ROUTES)
def test_every_form_post_without_csrf_token_is_refused(admin, path):
    client, ids = admin
    url = path.partition("#")[0].format_map(defaultdict(lambda: 1, ids))  # CSRF runs before the view
    response = client.post(url, data={})
    if path in CSRF_EXEMPT:
        assert response.status_code == 404, f"{path}: a link that is not genuine must change nothing"
        return
    assert response.status_code == 400, f"{path} accepted a POST without CSRF token"


def test_get_delete_changes_nothing(admin, db_ctx):
    client, ids = admin
    assert client.get(f"/usuarios/delete/{ids['user']}").status_code == 405
    with db_ctx() as session:
        assert session.get(PortalUser, ids["user"]) is not None


def test_post_delete_with_token_deletes(admin, db_ctx):
    client, ids = admin
    response = client.post(f"/usuarios/delete/{ids['user']}", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    with db_ctx() as session:
        assert session.get(PortalUser, ids["user"]) is None


def test_defect_listing_toggle_is_a_post_action(admin, db_ctx):
    client, ids = admin
    assert client.get(f"/defeitos/action/list_on_portal/{ids['defect']}").status_code == 405
    client.post("/defeitos/action_post", data={"csrf_token": csrf_token(client),
                                               "action": "list_on_portal", "rowid": [ids["defect"]]})
    with db_ctx() as session:
        assert session.get(DefectType, ids["defect"]).listed_on_portal is True


def test_company_selector_narrows_and_never_widens(app, db_ctx):
    with db_ctx():
        matriz, filial, foreign = f.company("MATRIZ SC"), f.company("FILIAL SP"), f.company("OUTRA")
        f.client(matriz, "CLIENTE DA MATRIZ")
        f.client(filial, "CLIENTE DA FILIAL")
        f.client(foreign, "CLIENTE ALHEIO")
        f.user("Operador de Atendimento", [matriz, filial], email="op@revenda.test")
        ids = {"matriz": matriz.id, "foreign": foreign.id}
    client = app.test_client()
    login(client, "op@revenda.test")
    html = client.get("/clientes/list/").get_data(as_text=True)
    assert "CLIENTE DA MATRIZ" in html and "CLIENTE DA FILIAL" in html
    assert "CLIENTE ALHEIO" not in html
    assert 'name="company_id"' in client.get("/").get_data(as_text=True)

    client.post("/empresa/selecionar", data={"csrf_token": csrf_token(client), "company_id": ids["matriz"]})
    html = client.get("/clientes/list/").get_data(as_text=True)
    assert "CLIENTE DA MATRIZ" in html and "CLIENTE DA FILIAL" not in html

    client.post("/empresa/selecionar", data={"csrf_token": csrf_token(client), "company_id": ids["foreign"]})
    html = client.get("/clientes/list/").get_data(as_text=True)
    assert "CLIENTE ALHEIO" not in html
    assert "CLIENTE DA MATRIZ" in html and "CLIENTE DA FILIAL" in html, "an unlinked choice means Todas"


def test_open_redirect_after_login_is_refused(app, db_ctx):
    with db_ctx():
        f.user("Cliente", [f.company()], email="cli@x.test")
    client = app.test_client()
    from tests.conftest import form_csrf_token

    token = form_csrf_token(client, "/login/?next=https://evil.example/")
    response = client.post("/login/?next=https://evil.example/",
                           data={"username": "cli@x.test", "password": "senha-demo", "csrf_token": token})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]

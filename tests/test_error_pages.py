"""Security checklist 15: errors in pt-BR (page or JSON), never a traceback or SQL."""
import pytest

from app.accounts.roles import ADMIN
from tests import factories as f
from tests.conftest import login, make_app


@pytest.fixture
def admin(app, db_ctx):
    with db_ctx():
        f.user(ADMIN, email="admin@revenda.test")
    return login(app.test_client(), "admin@revenda.test")


def test_browser_errors_are_portuguese_pages(app, admin, db_ctx):
    with db_ctx():
        operator = f.user("Operador de Chamados", [f.company()], email="op@revenda.test")
    page = admin.get("/nao-existe")
    assert page.status_code == 404 and "Página não encontrada" in page.get_data(as_text=True)
    assert "navbar" in page.get_data(as_text=True)  # the base layout
    assert admin.get("/emails/action/retry/1").status_code == 405
    assert "Operação não permitida" in admin.get("/emails/action/retry/1").get_data(as_text=True)
    other = login(app.test_client(), "op@revenda.test")
    denied = other.get("/usuarios/list/")
    assert operator and denied.status_code == 403
    assert "Acesso negado" in denied.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/nao-existe")
    assert response.status_code == 404
    assert response.get_json() == {
        "message": "O endereço não existe ou o registro não está disponível para você."}


def test_unexpected_error_shows_no_traceback():
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/api/teste-falha")
    @app.route("/teste-falha")
    def boom():  # test-only route: a database error with SQL in its text
        raise RuntimeError("SELECT password FROM ab_user WHERE 1=1 Traceback")

    for path, is_json in (("/teste-falha", False), ("/api/teste-falha", True)):
        response = app.test_client().get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "SELECT" not in body and "Traceback" not in body and "RuntimeError" not in body
        assert ("Ocorreu um erro inesperado" in body) and (response.is_json == is_json)


def test_database_unavailable_is_503_without_the_layout():
    from sqlalchemy.exc import OperationalError

    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/api/teste-banco")
    @app.route("/teste-banco")
    def database_down():  # test-only route: what a stopped database raises
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("Connection refused"))

    page = app.test_client().get("/teste-banco")
    body = page.get_data(as_text=True)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "Serviço indisponível" in body and "Tente novamente em alguns instantes" in body
    assert "navbar" not in body  # the layout would query the user again
    assert "SELECT" not in body and "Connection refused" not in body
    api = app.test_client().get("/api/teste-banco")
    assert api.status_code == 503 and api.get_json()["message"].startswith("O portal está temporariamente")


HUGE_ID = "99999999999999999999"  # more than any integer column holds (SQLite: OverflowError)


def test_an_id_too_large_for_the_database_is_not_found(admin):
    """<int:pk> routes, FAB's <pk> routes and the API: 404, never a 500."""
    for path in (f"/chamados/show/{HUGE_ID}", f"/clientes/show/{HUGE_ID}",
                 f"/usuarios/show/{HUGE_ID}", f"/clientes/show/-{HUGE_ID}",
                 f"/atendimentos/show/{HUGE_ID}", f"/api/v1/tecnico/atendimentos/{HUGE_ID}"):
        assert admin.get(path).status_code == 404, path

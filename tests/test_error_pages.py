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


def _portuguese_page(response, code, *texts):
    body = response.get_data(as_text=True)
    assert response.status_code == code, (code, response.status_code)
    assert "navbar" in body, "the portal's frame"
    for text in texts:
        assert text in body, text
    for english in ("Bad Request", "Request Entity Too Large", "Too Many Requests", "The CSRF token"):
        assert english not in body, english


def test_every_error_page_is_portuguese_in_the_portal_frame():
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=True)
    app.config["MAX_CONTENT_LENGTH"] = 1000

    @app.route("/teste-status/<int:code>", methods=["GET", "POST"])
    def status(code):  # test-only route: werkzeug's own exceptions, as the app raises them
        from flask import abort
        abort(code)

    client = app.test_client()
    _portuguese_page(client.get("/teste-status/400"), 400, "Requisição inválida")
    _portuguese_page(client.get("/teste-status/403"), 403, "Acesso negado")
    _portuguese_page(client.get("/nao-existe"), 404, "Página não encontrada")
    _portuguese_page(client.put("/teste-status/400"), 405, "Operação não permitida")
    _portuguese_page(client.get("/teste-status/413"), 413, "Envio grande demais")
    _portuguese_page(client.post("/teste-status/200", data={"texto": "x" * 5000}), 413, "Envio grande demais")
    _portuguese_page(client.get("/teste-status/429"), 429, "Muitas tentativas")
    _portuguese_page(client.get("/teste-status/500"), 500, "Ocorreu um erro inesperado")
    unavailable = client.get("/teste-status/503")
    assert unavailable.status_code == 503 and "Serviço indisponível" in unavailable.get_data(as_text=True)
    # The CSRF failure: a form posted without its token (werkzeug's bare English page before).
    _portuguese_page(client.post("/login/", data={"username": "a", "password": "b"}), 400,
                     "O formulário expirou")


def test_api_errors_stay_json_in_portuguese():
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/api/teste-status/<int:code>")
    def api_status(code):  # test-only route
        from flask import abort
        abort(code)

    client = app.test_client()
    for code, text in ((400, "não aceita"), (403, "permissão"), (413, "tamanho"), (429, "Muitas tentativas"),
                       (500, "erro inesperado")):
        response = client.get(f"/api/teste-status/{code}")
        assert response.status_code == code and response.is_json, code
        assert text in response.get_json()["message"], (code, response.get_json())


def test_a_database_error_of_the_request_is_not_an_outage(caplog):
    """Only a lost or refused connection (and the server's own busy answers) is a 503: an
    unknown column (MariaDB 1054) or SQLite's "no such column" is a bug, answered 500, and
    never logged as "database unavailable"."""
    from sqlalchemy.exc import OperationalError

    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    errors = {
        "coluna": (OperationalError("SELECT x", {}, _DriverError(1054, "Unknown column 'x'")), 500),
        "sqlite": (OperationalError("SELECT x", {}, _DriverError("no such column: x")), 500),
        "perdida": (OperationalError("SELECT 1", {}, _DriverError(2013, "Lost connection")), 503),
        "recusada": (OperationalError("SELECT 1", {}, _DriverError(2003, "Can't connect")), 503),
        "travado": (OperationalError("UPDATE", {}, _DriverError("database is locked")), 503),
    }

    @app.route("/teste-banco/<name>")
    def database_error(name):  # test-only route: what the driver raises
        raise errors[name][0]

    for name, (_error, code) in errors.items():
        caplog.clear()
        response = app.test_client().get(f"/teste-banco/{name}")
        assert response.status_code == code, name
        assert ("Retry-After" in response.headers) == (code == 503), name
        assert ("database unavailable" in caplog.text) == (code == 503), name


class _DriverError(Exception):
    """What PyMySQL (code, message) and sqlite3 (message) put in ``error.orig``."""

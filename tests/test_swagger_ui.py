"""Swagger UI (/swagger/v1): on in development and working under the CSP, off in production."""
from app.accounts.roles import ADMIN
from tests import factories as f
from tests.conftest import make_app
from tests.test_field_browser import browser, live_server  # noqa: F401  shared fixtures
from tests.test_field_browser import ARTIFACTS, new_page


def test_swagger_ui_renders_the_spec_in_chromium_without_csp_violations(app, db_ctx, browser,
                                                                         live_server):
    with db_ctx():
        f.user(ADMIN, email="admin@revenda.test")
    context, page = new_page(browser, live_server, "admin@revenda.test")
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text
            and violations.append(message.text))
    page.on("pageerror", lambda error: violations.append(str(error)))
    response = page.goto("/swagger/v1")
    assert response.status == 200
    # Swagger UI fetched the spec, drew every tag's operations, and "Try it out" calls the API
    # (with the admin's session: the technicians' app answers 403 to him).
    page.get_by_text("/api/sync/v1/batch").first.wait_for()
    page.locator("[id$=get_api_v1_tecnico_chamados] .opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table tbody .response-col_status")
    status.wait_for()
    assert status.inner_text().strip() == "403"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "swagger_ui.png"), full_page=False)
    context.close()
    assert not violations, "\n".join(violations)


def test_swagger_ui_and_the_spec_are_off_in_production(monkeypatch, _schema):
    """Unregistered, not merely guarded: 404 where development answers 302 (login) and 401."""
    monkeypatch.delenv("FAB_API_SWAGGER_UI", raising=False)
    for env, expected in (("development", (302, 401)), ("production", (404, 404))):
        monkeypatch.setenv("PWS_ENV", env)
        app = make_app(PWS_BASE_URL="https://portal.test")
        assert app.config["FAB_API_SWAGGER_UI"] is (env == "development")
        client = app.test_client()
        answers = tuple(client.get(path, base_url="https://portal.test").status_code
                        for path in ("/swagger/v1", "/api/v1/_openapi"))
        assert answers == expected, env

"""The CSP does not break the main screens: Chromium loads them with no CSP violation."""
from tests.field_support import build_field
from tests.browser import browser, live_server, new_page  # noqa: F401  shared fixtures

PAGES = ("/", "/chamados/list/", "/chamados/abrir/", "/atendimentos/registrar/")


def test_main_screens_load_without_csp_violations(app, db_ctx, browser, live_server):
    with db_ctx():
        field = build_field()
    context, page = new_page(browser, live_server, field.tech_email)
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text
            and violations.append(f"{page.url}: {message.text}"))
    for path in PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.jQuery") == "function", f"{path}: FAB's scripts did not run"
    context.close()
    assert not violations, "\n".join(violations)

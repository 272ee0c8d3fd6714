"""Indicadores in Chromium: every chart is drawn by the vendored library, with no console error
or CSP violation, and the page fits a phone."""
from datetime import datetime, timedelta

from app.accounts.roles import ADMIN
from tests import factories as f
from tests.browser import browser, live_server, new_context, log_in, watch_console  # noqa: F401


def test_the_charts_are_drawn_without_errors_on_a_phone(app, db_ctx, browser, live_server):
    with db_ctx():
        client = f.client(f.company())
        contract = f.contract(client)
        equipment = f.equipment(client, contract=contract)
        opened = datetime.now() - timedelta(days=20)
        for n in range(3):
            f.call(client, equipment, status="O", contract_id=contract.id, technician=f.technician(),
                   opened_at=opened + timedelta(days=n), closed_at=opened + timedelta(days=n, hours=5),
                   priority_due=opened + timedelta(days=n, hours=3 + n))
        email = f.user(ADMIN, email="indicadores@revenda.com.br").email
    context = new_context(browser, live_server)
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, email)
    problems = []
    watch_console(page, problems)
    assert page.goto("/indicadores/").status == 200
    page.wait_for_load_state("load")
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() >= 4
    drawn = page.evaluate("Array.from(document.querySelectorAll('canvas[data-chart]'))"
                          ".every(canvas => window.Chart.getChart(canvas) !== undefined)")
    assert drawn
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    context.close()
    assert not problems, "\n".join(problems)

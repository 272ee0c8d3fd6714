"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright against the app
served on 127.0.0.1, a login through the form, and a watch on console errors."""
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD
from tests.services import need

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 15_000


@contextmanager
def chromium():
    """Headless Chromium, skipped (or failed in CI) when it or Playwright is missing."""
    need(os.path.exists(CHROMIUM), f"Chromium ({CHROMIUM}; apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "Playwright (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(app):
    """The app on 127.0.0.1 and a free port, served by a thread of the test process. That
    address is its PWS_BASE_URL, as in production: e-mailed links and the redirects the
    off-site net lets through (referrers included) point to it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config.update(PWS_BASE_URL=base_url, FAB_SAFE_REDIRECT_HOSTS=[urlsplit(base_url).netloc],
                      PWS_MAP_TILE_URL="",  # no tiles from the internet in tests
                      SEND_FILE_MAX_AGE_DEFAULT=3600)  # static files cached, not revalidated per page
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def live_server(app):
    with serving(app) as base_url:
        yield base_url


def new_context(browser, base_url, geolocation=None, **options):
    options = {"viewport": {"width": 412, "height": 915}, **options}
    context = browser.new_context(base_url=base_url, locale="pt-BR",
                                  timezone_id="America/Sao_Paulo", **options)
    if geolocation:
        context.grant_permissions(["geolocation"], origin=base_url)
        context.set_geolocation(geolocation)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def log_in(page, email, password=PASSWORD):
    """The login form, as a user fills it; waits for the dashboard."""
    page.goto("/login/")
    page.fill("#username", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def new_page(browser, base_url, email, geolocation=None):
    context = new_context(browser, base_url, geolocation)
    page = context.new_page()
    log_in(page, email)
    return context, page


def watch_console(page, problems: list):
    """Collect console errors (CSP violations included) and uncaught page errors."""
    page.on("console", lambda message: message.type == "error" and problems.append(
        f"{page.url}: {message.text} ({message.location.get('url', '')})"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))

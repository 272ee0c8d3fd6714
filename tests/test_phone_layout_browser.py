"""Every page a client-side user, a technician or a carrier reaches fits a 390 px phone.

Each profile (a user of the demo dealer, then one of the route test's world) logs in on a
390×844 Chromium, takes the pages its own menu offers and then the links those pages lead to
(one page per kind: `/chamados/show/1` and `/chamados/show/2` are one page), and each page must
not scroll sideways (`scrollWidth > clientWidth`). The client's pages
are also photographed for docs/phone.md (`PWS_DOC_SCREENSHOTS=1` writes them to docs/img/).
On the way, each page must have a `<title>` of its own and its maps' buttons speak Portuguese.
"""
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from app.accounts.roles import BILLING_OPERATOR, CALL_OPENER, CARRIER, CLIENT, TECHNICIAN
from app.core.db import db
from app.demo import load_demo
from tests.browser import ARTIFACTS, browser, log_in, new_context, serving, watch_console  # noqa: F401
from tests.conftest import _empty_tables, make_app
from tests.factories import PASSWORD
from tests.world import build_world

PHONE = {"width": 390, "height": 844}
APP_NAME = "PWS - Portal Web de Serviços"
DEMO_PASSWORD = "senha-demo"  # docs/demo.md
PROFILES = (CLIENT, CALL_OPENER, TECHNICIAN, CARRIER, BILLING_OPERATOR)
DEMO_USERS = {CLIENT: "cliente@alimentosboavista.example", CALL_OPENER: "abertura@alimentosboavista.example",
              TECHNICIAN: "tecnico@imagemsul.example", CARRIER: "transportador@rodosul.example",
              BILLING_OPERATOR: "faturamento@alimentosboavista.example"}  # docs/demo.md
DEPTH = 2  # the menu's pages, the pages they link to, and one step further (e.g. Abrir chamado's form)
MAX_PAGES = 60
# Links that leave the page without showing one: the session's end, files.
SKIP = re.compile(r"/logout|/baixar/|/anexo|/arquivo/|/pdf|/foto|/download|\.pdf$")
DOC_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "img"
# The client's pages shown in docs/phone.md: the picture's name and what to scroll to first.
DOC_PAGES = {"/": ("painel", None), "/chamados/list/": ("chamados", "table"),
             "/chamados/show/N": ("chamado", None), "/chamados/show/N?aba=historico": ("historico", "table"),
             "/suprimentos/solicitar/": ("solicitar-suprimentos", "table"),
             "/suprimentos/acompanhar/list/": ("suprimentos", ".pws-cards")}


@pytest.fixture(scope="module", params=("demo", "world"))
def served_app(request, _schema):
    """One server per data set: the demo dealer (real names, full lists) and the route test's
    small world (rows that reach every kind of page). Returns the app and each profile's login."""
    app = make_app()
    _empty_tables(app)
    with app.app_context():
        if request.param == "demo":
            load_demo("small", echo=lambda *_: None)
            logins = {profile: (email, DEMO_PASSWORD) for profile, email in DEMO_USERS.items()}
        else:
            users = build_world()["users"]
            logins = {profile: (users[profile], PASSWORD) for profile in PROFILES}
        db.session.remove()
    yield request.param, app, logins
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(served_app):
    with serving(served_app[1]) as base_url:
        yield base_url


def page_kind(url: str) -> str:
    """Pages of one kind share a layout: the path with its ids blanked, and the call's tab."""
    parts = urlsplit(url)
    tab = dict(parse_qsl(parts.query)).get("aba", "")
    return re.sub(r"/\d+(?=/|$)", "/N", parts.path) + (f"?aba={tab}" if tab else "")


def links(page, selector: str, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        selector, "els => els.filter(e => !e.hasAttribute('download')).map(e => e.href)")
    return [href.split("#")[0] for href in hrefs
            if href.startswith(origin) and not SKIP.search(urlsplit(href).path)]


def is_page(context, url: str) -> bool:
    """A page to look at: it answers HTML (not a file or a redirect elsewhere)."""
    response = context.request.get(url, max_redirects=0)
    return response.status == 200 and response.headers.get("content-type", "").startswith("text/html")


def overflow(page) -> str:
    """'' when the page fits; otherwise its widths and the widest elements that stick out."""
    return page.evaluate("""() => {
        const root = document.documentElement;
        if (root.scrollWidth <= root.clientWidth) return "";
        const wide = [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                + (typeof e.className === "string" && e.className ? "." + e.className.trim().replace(/\\s+/g, ".") : "")
                + " " + Math.round(e.getBoundingClientRect().right) + "px");
        return root.scrollWidth + " > " + root.clientWidth + ": " + wide.join(", ");
    }""")


@pytest.mark.parametrize("profile", PROFILES)
def test_every_page_of_the_profile_fits_a_390_px_phone(browser, served_app, live_server, profile):
    data, _app, logins = served_app
    context = new_context(browser, live_server, viewport=PHONE)
    page = context.new_page()
    problems: list[str] = []
    watch_console(page, problems)
    try:
        log_in(page, *logins[profile])
        seen, walked, wide, untitled, english = set(), [], [], [], []
        consent = page.locator("#pws-consent")
        if consent.count():  # the LGPD panel on top of the first page fits too; then "Agora não"
            if problem := overflow(page):
                wide.append(f"/ (LGPD): {problem}")
            consent.get_by_role("button", name="Agora não").click()
            page.locator(".alert", has_text="O aviso continua no topo da página").wait_for()
        menu = links(page, ".navbar a[href]", live_server)
        assert menu, "the menu offers no page"
        queue = [(url, 0) for url in [live_server + "/", *menu]]
        while queue and len(walked) < MAX_PAGES:
            url, depth = queue.pop(0)
            kind = page_kind(url)
            if kind in seen or not is_page(context, url):
                continue
            seen.add(kind)
            page.goto(url)
            walked.append(kind)
            if problem := overflow(page):
                wide.append(f"{kind}: {problem}")
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"phone-{len(wide)}-{profile[:8]}.png"), full_page=True)
            if (data, profile) == ("demo", CLIENT) and os.environ.get("PWS_DOC_SCREENSHOTS") and kind in DOC_PAGES:
                name, scroll_to = DOC_PAGES[kind]
                if scroll_to:
                    page.locator(scroll_to).first.evaluate("e => e.scrollIntoView()")
                DOC_IMAGES.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(DOC_IMAGES / f"celular-{name}.png"))
            if page.title() == APP_NAME:
                untitled.append(kind)
            english += [f"{kind}: {title}" for title in page.eval_on_selector_all(
                ".leaflet-control-zoom a", "els => els.map(e => e.title)") if title.startswith("Zoom")]
            if depth < DEPTH:
                queue += [(link, depth + 1) for link in links(page, ".container a[href]", live_server)]
        assert len(walked) > len(set(map(page_kind, menu))) // 2, walked
        assert not wide, "pages wider than the phone:\n" + "\n".join(wide)
        assert not untitled, f"pages without a <title> of their own: {untitled}"
        assert not english, english
        assert not problems, "\n".join(problems)
    finally:
        context.close()

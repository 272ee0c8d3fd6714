"""Security checklist 12: CSP with a nonce, nosniff, no framing, Referrer-Policy and no-store on
every response an authenticated user (or a token link) gets — walked over the route table."""
import re

import pytest

from app.accounts.models import PortalUser
from tests.access import ANONYMOUS
from tests.conftest import login_as
from tests.routes import area_modules
from tests.world import build_world

PAGES_PER_AREA = 3


def _samples():
    """A few GET routes per area that some role opens with 200 (pages, APIs, public links)."""
    samples = []
    for module in area_modules():
        taken = 0
        for (method, path), expected in sorted(module.ROUTES.items()):
            role = next((r for r, status in sorted(expected.items(), key=lambda i: i[0] != ANONYMOUS)
                         if status == 200), None)
            if method == "GET" and role and "<" not in path and taken < PAGES_PER_AREA:
                samples.append((module.__name__.rsplit(".", 1)[-1], path, role))
                taken += 1
    return samples


SAMPLES = _samples()


def assert_secure_headers(response, referrer="strict-origin-when-cross-origin"):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    script_src = (re.search(r"script-src ([^;]+)", csp) or re.search(r"default-src ([^;]+)", csp))[1]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == referrer
    assert "no-store" in headers["Cache-Control"]


@pytest.mark.parametrize("area,path,role", SAMPLES, ids=[f"{a} {p}" for a, p, _ in SAMPLES])
def test_sampled_routes_carry_security_headers(app, db_ctx, area, path, role):
    with db_ctx():
        world = build_world()
        user_id = (PortalUser.query.filter_by(email=world["users"][role]).one().id
                   if role != ANONYMOUS else None)
    client = app.test_client()
    if user_id:
        login_as(client, user_id)
    response = client.get(path.format(**world).partition("#")[0])
    assert response.status_code == 200
    # Pages opened by a token in their URL (e-mailed and shared links) never send it onwards.
    public_token_page = role == ANONYMOUS and "_token}" in path
    assert_secure_headers(response, "no-referrer" if public_token_page else
                          "strict-origin-when-cross-origin")


def test_page_scripts_carry_the_response_nonce(app, db_ctx):
    with db_ctx():
        world = build_world()
        user_id = PortalUser.query.filter_by(email=world["users"]["Admin Revenda"]).one().id
    client = login_as(app.test_client(), user_id)
    response = client.get("/chamados/list/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script(?![^>]*application/json)[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag or "src=" in tag for tag in scripts)
    assert not re.search(r"\son(change|click|submit|load)=", html)
    assert client.get("/chamados/list/").headers["Content-Security-Policy"] != \
        response.headers["Content-Security-Policy"], "the nonce changes per response"


def test_login_page_json_api_and_404_carry_headers(client):
    assert_secure_headers(client.get("/login/"))
    assert_secure_headers(client.get("/nao-existe"))
    api = client.post("/api/v1/security/login", json={})
    assert api.is_json
    assert_secure_headers(api)


def test_img_src_allows_data_blob_and_the_tile_server(app, client):
    app.config["PWS_MAP_TILE_URL"] = "https://{s}.tiles.example.com/{z}/{x}/{y}.png"
    img_src = re.search(r"img-src ([^;]+)", client.get("/login/").headers["Content-Security-Policy"])
    assert img_src.group(1).split() == ["'self'", "data:", "blob:", "https://*.tiles.example.com"]


def test_outbox_preview_keeps_its_sandbox_policy(app, db_ctx):
    from app.notifications.views import HTML_PREVIEW_CSP

    with db_ctx():
        world = build_world()
        admin_id = PortalUser.query.filter_by(email=world["users"]["Admin Revenda"]).one().id
    response = login_as(app.test_client(), admin_id).get(f"/emails/html/{world['outbox']}")
    assert response.headers["Content-Security-Policy"] == HTML_PREVIEW_CSP
    assert "no-store" in response.headers["Cache-Control"]


def test_https_only_in_production():
    from tests.conftest import make_app

    app = make_app(ENV_NAME="production")
    response = app.test_client().get("/login/")
    assert response.status_code == 301 and response.location == "https://portal.test/login/"
    secure = app.test_client().get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    dev = make_app().test_client().get("/login/")
    assert dev.status_code == 200 and "Strict-Transport-Security" not in dev.headers


def test_templates_have_no_inline_handlers_nor_unnonced_scripts():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "app" / "templates"
    found = []
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text:
            found.append(f"{path.name}: inline handler")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "nonce=" not in tag and "application/json" not in tag:
                found.append(f"{path.name}: {tag}")
    assert not found, found

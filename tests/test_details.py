"""The details a new user trips over (issue 17 item 6), through HTTP: no English on the screens,
Brazilian numbers, a title per page, no menu entry that leads to "Acesso negado", Abrir chamado
listing the equipment like Solicitar suprimentos, the drawn signature kept across an error, and
the card labels apart from the QR label."""
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from app.catalog.models import Client, Equipment
from app.accounts.roles import ADMIN, BILLING_OPERATOR, CALL_OPENER, CARRIER, CLIENT, TECHNICIAN
from app.core.numbers import format_integer, format_size
from tests import factories as f
from tests.conftest import csrf_token, login
from tests.test_deliveries import _png_data_url
from tests.world import build_world

APP_NAME = "PWS - Portal Web de Serviços"
CSS = Path(__file__).resolve().parents[1] / "app" / "static" / "pws.css"


@pytest.fixture
def world(db_ctx):
    with db_ctx():
        return build_world()


def as_profile(app, world, profile):
    client = app.test_client()
    login(client, world["users"][profile])
    return client


def title(html: str) -> str | None:
    """The page's <title>; None for a fragment (an e-mail's HTML preview)."""
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    return found.group(1).strip() if found else None


def test_brazilian_number_formats(app):
    with app.test_request_context(), force_locale("pt_BR"):
        assert format_integer(126000) == "126.000" and format_integer(None) == ""
        assert format_size(812) == "812 bytes"
        assert format_size(3686) == "3,6 KB" and format_size(1024) == "1 KB"
        assert format_size(1_258_291) == "1,2 MB" and format_size(5 * 1024 ** 4) == "5.120 GB"
        rendered = app.jinja_env.from_string("{{ 1234 | numero }} · {{ 3686 | tamanho }}").render()
        assert rendered == "1.234 · 3,6 KB"


def test_billing_sizes_and_counters_read_as_brazilian_numbers(app, db_ctx, world):
    with db_ctx() as session:
        f.billing_file(session.get(Client, world["client"]), size=3686)
    html = as_profile(app, world, BILLING_OPERATOR).get("/faturamento/list/").get_data(as_text=True)
    assert "3,6 KB" in html and "3.6 KB" not in html


def test_every_page_names_itself_in_the_title(app, world):
    pages = {
        CLIENT: {"/": "Dashboard", "/chamados/list/": "Acompanhar chamados", "/chamados/abrir/": "Abrir chamado",
                 f"/chamados/show/{world['call']}": f"Chamado Nº {world['call']}",
                 "/suprimentos/solicitar/": "Solicitar suprimentos",
                 "/lgpd/meus-dados": "Meus dados (LGPD)"},
        ADMIN: {"/tecnicos/list/": "Técnicos", "/usuarios/list/": None},
    }
    for profile, paths in pages.items():
        client = as_profile(app, world, profile)
        for path, expected in paths.items():
            response = client.get(path)
            assert response.status_code == 200, path
            shown = title(response.get_data(as_text=True))
            assert shown.endswith(f" – {APP_NAME}"), (path, shown)
            if expected:
                assert shown.startswith(expected), (path, shown)


def test_no_english_in_the_technicians_search_nor_in_the_lgpd_file_names(app, db_ctx, world):
    html = as_profile(app, world, ADMIN).get("/tecnicos/list/").get_data(as_text=True)
    for english in ("Last Latitude", "Last Longitude", "Last Accuracy", "Last Position"):
        assert english not in html
    with db_ctx():
        document = f.consent_document("privacy").id
    download = as_profile(app, world, CLIENT).get(f"/lgpd/documento/{document}")
    assert re.fullmatch(r'attachment; filename="politica-de-privacidade-v\d+\.txt"',
                        download.headers["Content-Disposition"])


def test_every_search_column_of_a_generated_screen_has_a_portuguese_label(app):
    """FAB's search form labels a column it was not told about in English ("Last Latitude")."""
    from flask_appbuilder import ModelView

    from app.core.filters import FilterFormMixin

    unlabelled = [
        (type(view).__name__, column) for view in app.appbuilder.baseviews
        if isinstance(view, ModelView) and not isinstance(view, FilterFormMixin)
        for column in view.search_columns or () if column not in view.label_columns
        or str(view.label_columns[column]) == column.replace("_", " ").title()]
    assert not unlabelled


def test_registrar_atendimento_is_offered_only_to_a_linked_technician(app, world):
    for profile, offered in ((ADMIN, False), (TECHNICIAN, True)):
        client = as_profile(app, world, profile)
        html = client.get("/").get_data(as_text=True)  # the menu and the dashboard's tiles
        assert html.count('href="/atendimentos/registrar/"') == (2 if offered else 0), profile
    assert as_profile(app, world, ADMIN).get("/atendimentos/registrar/").status_code == 403


@pytest.mark.parametrize("profile", (CLIENT, CALL_OPENER))
def test_abrir_chamado_lists_the_equipment_before_any_search(app, db_ctx, world, profile):
    with db_ctx() as session:
        serial = session.get(Equipment, world["equipment"]).serial
    client = as_profile(app, world, profile)
    for path in ("/chamados/abrir/", "/suprimentos/solicitar/")[:2 if profile == CLIENT else 1]:
        html = client.get(path).get_data(as_text=True)
        assert serial in html, path
    assert f"equipamento={world['equipment']}" in client.get("/chamados/abrir/").get_data(as_text=True)
    assert serial not in client.get("/chamados/abrir/?busca=NAOEXISTE").get_data(as_text=True)


def test_a_validation_error_on_confirmar_entrega_keeps_the_drawn_signature(app, world):
    client = as_profile(app, world, CARRIER)
    signature = _png_data_url()
    response = client.post(f"/entregas/confirmar/{world['invoice']}", data={
        "csrf_token": csrf_token(client), "situacao": "delivered", "recebido_por": "",
        "data_entrega": "2026-11-05T10:00", "assinatura": signature})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="pws-signature-data" value="{signature}"' in html


def test_the_qr_label_and_the_card_labels_have_their_own_classes(app, world):
    css = CSS.read_text()
    assert len(re.findall(r"^\.pws-label\s*\{", css, re.M)) == 1  # the card field's name only
    html = as_profile(app, world, ADMIN).get(f"/etiquetas/{world['equipment']}").get_data(as_text=True)
    assert 'class="pws-qr-label"' in html and 'class="pws-label"' not in html
    cards = as_profile(app, world, CLIENT).get("/suprimentos/acompanhar/list/").get_data(as_text=True)
    assert 'class="pws-label"' in cards


# Pages outside the portal frame's naming: FAB's API explorer.
UNNAMED = ("/swagger/",)


def test_every_html_page_of_the_route_tables_names_itself(app, world):
    """Every GET route of tests/routes, as the first profile it answers 200: its <title> is more
    than the portal's name (public pages use their own frame and title)."""
    from tests.routes import all_routes

    placeholders = {key: value for key, value in world.items() if key != "users"}
    clients, bare = {}, []
    for (method, path), expected in sorted(all_routes().items()):
        allowed = [role for role, status in expected.items() if status == 200 and role in world["users"]]
        if method != "GET" or not allowed or path.startswith(UNNAMED):
            continue
        if allowed[0] not in clients:
            clients[allowed[0]] = as_profile(app, world, allowed[0])
        response = clients[allowed[0]].get(path.format(**placeholders))
        if response.status_code == 200 and response.mimetype == "text/html":
            if title(response.get_data(as_text=True)) == APP_NAME:
                bare.append(path)
    assert not bare

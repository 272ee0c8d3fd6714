"""The UI speaks pt-BR: no English Flask-AppBuilder string is left on the main screens."""
import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests import factories as f
from tests.conftest import login

PO = Path(__file__).resolve().parent.parent / "babel/translations/pt_BR/LC_MESSAGES/messages.po"


def _english_strings():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    english = set()
    for message in catalog:
        if isinstance(message.id, str) and message.id != message.string and len(message.id) > 3:
            if any(loc[0].startswith("flask_appbuilder/") for loc in message.locations):
                english.add(message.id)
    return english


ENGLISH = _english_strings()


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def english_left(html: str) -> list[str]:
    text = visible_text(html)
    return sorted(s for s in ENGLISH if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text))


def _catalog_builder():
    spec = importlib.util.spec_from_file_location("pws_catalog", PO.parents[3] / "catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


def test_catalog_is_complete_and_current():
    catalog, untranslated = _catalog_builder()()
    assert untranslated == [], "run `make catalog` and translate these"
    with PO.open("rb") as handle:
        on_disk = {m.id for m in read_po(handle) if m.id}
    missing = {m.id for m in catalog if m.id} - on_disk
    assert not missing, f"babel catalog out of date (run `make catalog`): {sorted(missing)[:10]}"


def test_login_page_is_portuguese(client):
    html = client.get("/login/").get_data(as_text=True)
    assert english_left(html) == []
    assert "Entrar" in visible_text(html)


@pytest.mark.parametrize("url", [
    "/", "/clientes/list/", "/usuarios/list/", "/usuarios/add", "/defeitos/list/",
    "/usuarios/userinfo/", "/chamados/list/", "/chamados/abrir/",
    "/suprimentos/acompanhar/list/", "/suprimentos/solicitar/", "/entregas/list/",
    "/faturamento/list/", "/atendimentos/list/", "/rastreamento/", "/sincronismo/",
    "/perfis/", "/registro-alteracoes/list/",
])
def test_admin_screens_are_portuguese(app, client, db_ctx, url):
    with db_ctx():
        company = f.company()
        f.client(company)
        f.defect()
        f.user("Admin Revenda", email="admin@revenda.test")
    login(client, "admin@revenda.test")
    response = client.get(url)
    assert response.status_code == 200
    assert english_left(response.get_data(as_text=True)) == []

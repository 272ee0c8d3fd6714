"""The dealer's admin in Chromium: Perfis e funções read in Portuguese, and a new user who
receives his invitation over real SMTP, chooses his password through the link and logs in."""
import re

import pytest
from sqlalchemy import select

from app.accounts.models import PortalUser
from app.accounts.roles import ADMIN, CALLS_OPERATOR, FUNCTIONS, PROFILES
from tests import factories as f
from tests.browser import browser, live_server, log_in, new_context  # noqa: F401  fixtures
from tests.mailtest import text_of
from tests.test_journeys_browser import DESKTOP, Journey, choose


@pytest.fixture
def app(mail_app):
    """The app sends its e-mail through the test's SMTP server (tests/mailtest.py)."""
    return mail_app


@pytest.fixture
def admin(browser, live_server, db_ctx):
    with db_ctx():
        f.company("REVENDA MATRIZ")
        f.user(ADMIN, email="admin@revenda.test")
    journey = Journey(browser, live_server, "admin-perfis")
    journey.start("admin@revenda.test")
    yield journey
    if journey.context is not None:
        journey.shot("falha")
        journey.context.close()


def test_the_admin_reads_profiles_and_functions_in_portuguese(admin):
    page = admin.page
    admin.menu("Configurações", "Perfis e funções")
    matrix = page.locator("table.pws-profile-matrix")
    headers = matrix.locator("thead th").all_inner_texts()
    assert headers[:4] == ["Perfil ou função", "Chamados", "Pré atendimento", "Atendimentos técnicos"]
    assert "Suprimentos" in headers and "Configurações" in headers
    rows = [name.strip() for name in matrix.locator("tbody th").all_inner_texts()]
    assert rows == [*(str(p.label) for p in PROFILES), *FUNCTIONS]
    client = matrix.locator("tr[data-role='Cliente'] td").all_inner_texts()
    assert client[headers.index("Chamados") - 1] == "alterar"
    assert client[headers.index("Configurações") - 1] == "—"
    carrier = matrix.locator("tr[data-role='Transportador'] td").all_inner_texts()
    assert carrier[headers.index("Entregas") - 1] == "alterar" and carrier.count("—") == len(carrier) - 1
    text = page.locator("body").inner_text()
    assert not re.search(r"can (read|write)|menu access|Public\b", text)
    assert page.get_by_role("link", name=re.compile("Editar|Excluir")).count() == 0
    admin.shot("matriz")
    admin.close()


def test_a_new_user_receives_the_invitation_chooses_his_password_and_logs_in(
        admin, browser, live_server, smtp, db_ctx):
    page = admin.page
    admin.menu("Configurações", "Administrar usuários")
    page.get_by_role("link", name="Adicionar").click()
    page.get_by_placeholder("E-mail", exact=True).fill("novo.operador@revenda.test")
    page.get_by_placeholder("Nome", exact=True).fill("Novo Operador")
    choose(page, "profile", CALLS_OPERATOR)
    choose(page, "companies", "REVENDA MATRIZ")
    page.get_by_role("button", name="Salvar").click()
    admin.flash("Convite enviado para novo.operador@revenda.test")
    admin.close()

    assert smtp.envelopes == [["novo.operador@revenda.test"]]
    message = smtp.messages[0]
    assert "Convite de acesso ao portal" in message["Subject"]
    link = re.search(r"http://127\.0\.0\.1:\d+/redefinir-senha/\S+", text_of(message)).group(0)

    context = new_context(browser, live_server, viewport=DESKTOP)
    invited = context.new_page()
    invited.goto(link)
    invited.get_by_label("Nova senha", exact=True).fill("Senha-forte-do-operador-1")
    invited.get_by_label("Confirmar nova senha").fill("Senha-forte-do-operador-1")
    invited.get_by_role("button", name="Salvar nova senha").click()
    invited.get_by_text("Senha alterada. Entre com a nova senha.").wait_for()
    log_in(invited, "novo.operador@revenda.test", "Senha-forte-do-operador-1")
    assert invited.locator(".navbar").get_by_role("link", name="Chamados").is_visible()
    invited.goto(link)  # the link worked once
    assert invited.get_by_role("button", name="Salvar nova senha").count() == 0
    context.close()
    with db_ctx() as session:
        user = session.execute(select(PortalUser).where(PortalUser.email == "novo.operador@revenda.test")).scalar_one()
        assert user.active and user.last_login is not None

"""Browser journeys: one per profile, driven like a user in Chromium — the login form, the menu
and the buttons by their Portuguese labels — asserting what the user sees and what the database
keeps. One live server and one browser for the module, a fresh context and fresh tables per
journey; any console error, CSP violation or page error fails the journey. Screenshots of the
main screens go to tests/artifacts/<journey>-<step>.png."""
import re

import pytest
from sqlalchemy import select

from app.accounts.models import ConsentDecision, PortalUser
from app.accounts.roles import PROFILES
from app.billing.models import BillingDownload, BillingFile
from app.calls.models import CallAttachment, CallStatusChange, PreServiceMessage, ServiceCall
from app.catalog.models import Client, DefectType, Equipment, SupplyItem, Technician
from app.core.db import db
from app.core.files import area_dir, store_bytes
from app.deliveries.models import Delivery
from app.field.models import Attendance
from app.notifications.models import OutboxMessage
from app.supplies.models import SupplyRequest
from tests import factories as f
from tests.browser import ARTIFACTS, browser, log_in, new_context, serving, watch_console  # noqa: F401
from tests.conftest import _empty_tables, make_app
from tests.factories import PASSWORD, pdf_bytes
from tests.field_support import step
from tests.world import build_world

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 412, "height": 915}


@pytest.fixture(scope="module")
def served_app(_schema):
    app = make_app()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(served_app):
    """The module's one app (and server); every journey starts from empty tables."""
    _empty_tables(served_app)
    return served_app


@pytest.fixture(scope="module")
def live_server(served_app):
    with serving(served_app) as base_url:
        yield base_url


@pytest.fixture
def world(db_ctx):
    with db_ctx():
        return build_world()


class Journey:
    """One user's visit: a fresh browser context, the screenshots, the console watch."""

    def __init__(self, browser, base_url, name):
        self.browser, self.base_url, self.name = browser, base_url, name
        self.problems: list[str] = []
        self.context = None

    def start(self, email, password=PASSWORD, viewport=DESKTOP, geolocation=None):
        self.context = new_context(self.browser, self.base_url, geolocation, viewport=viewport)
        self.page = self.context.new_page()
        watch_console(self.page, self.problems)
        log_in(self.page, email, password)
        return self.page

    def shot(self, step):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{step}.png"), full_page=True)

    def menu(self, category, entry):
        """Open a menu category of the top bar (the collapsed one on a phone) and an entry."""
        navbar = self.page.locator(".navbar")
        toggle = navbar.locator(".navbar-toggle")
        if toggle.is_visible():
            toggle.click()
            # Bootstrap slides the menu open (".collapsing"); a click during the slide can be lost
            navbar.locator(".navbar-collapse.in").wait_for()
        navbar.get_by_role("link", name=category).click()
        navbar.locator(".dropdown.open").get_by_role("link", name=entry).click()

    def flash(self, text):
        """The message FAB and the portal flash after an action."""
        self.page.locator(".alert", has_text=text).first.wait_for()

    def postpone_consent(self):
        """The LGPD panel at the top of every page: "Agora não" (accepted in the client's journey)."""
        self.page.locator("#pws-consent").get_by_role("button", name="Agora não").click()
        self.flash("O aviso continua no topo da página")

    def close(self):
        if self.context is not None:
            self.context.close()
            self.context = None
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def journey(browser, live_server, request):
    journeys = []

    def start(name, email, **options):
        journey = Journey(browser, live_server, name)
        journeys.append(journey)
        journey.start(email, **options)
        return journey

    yield start
    for journey in journeys:
        if journey.context is not None:  # the journey stopped half-way: keep its last screen
            journey.shot("falha")
            journey.context.close()


def choose(page, field_id, option):
    """Pick an option of a Select2 box (FAB's forms) as a user does: open it, click the option."""
    page.locator(f"#{field_id} + .select2-container").click()
    page.locator(".select2-results__option", has_text=re.compile(f"^{re.escape(option)}$")).click()


def open_call(page, number):
    """Acompanhar chamados: the "Ver" button of the call's row (the number is its first cell)."""
    row = page.locator("table tbody tr").filter(has=page.get_by_role("cell", name=str(number), exact=True))
    row.get_by_role("link", name="Ver").click()


# --- Admin Revenda ------------------------------------------------------------------------

def test_admin_configures_defects_and_creates_a_user_of_each_profile(journey, db_ctx, world, browser,
                                                                     live_server):
    with db_ctx():
        stain = f.defect(listed=False, name="TONER MANCHANDO").id
        noise = f.defect(DefectType.WITHOUT_CONTRACT, listed=False, name="RUÍDO NO FUSOR").id
    j = journey("admin", world["users"]["Admin Revenda"])
    page = j.page
    j.postpone_consent()

    j.menu("Configurações", "Tabela de defeitos")
    row = page.locator("table tr", has_text="TONER MANCHANDO")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Ações").click()
    page.get_by_role("link", name=re.compile(r"^\W*Listar no portal$")).click()
    j.flash("1 defeito(s) atualizado(s).")
    assert "Sim" in page.locator("table tr", has_text="TONER MANCHANDO").inner_text()
    j.shot("defeitos")

    page.get_by_role("link", name="Equipamentos Sem Contrato").click()
    page.locator("table tr", has_text="RUÍDO NO FUSOR").locator("a[href*='/defeitos/edit/']").click()
    page.get_by_label("Listar no portal").check()
    page.get_by_role("button", name="Salvar").click()
    assert "Sim" in page.locator("table tr", has_text="RUÍDO NO FUSOR").inner_text()
    with db_ctx() as session:
        assert session.get(DefectType, stain).listed_on_portal
        assert session.get(DefectType, noise).listed_on_portal

    j.menu("Configurações", "Administrar usuários")
    created = {}
    for number, profile in enumerate(PROFILES, start=1):
        email = f"novo{number}@revenda.test"
        page.get_by_role("link", name="Adicionar").click()
        assert page.locator("#profile").input_value() == ""  # no profile chosen for the admin
        assert page.get_by_label("Ativo", exact=True).is_checked()
        assert page.get_by_placeholder("Senha", exact=True).count() == 0  # the user chooses it
        page.get_by_placeholder("E-mail", exact=True).fill(email)
        page.get_by_placeholder("Nome", exact=True).fill(f"Novo {profile.label}")
        choose(page, "profile", str(profile.label))
        if not profile.all_companies:
            choose(page, "companies", "REVENDA MATRIZ")
        if profile.client_side:
            choose(page, "clients", "JAYOB COMPANY")
        if profile.own_orders:
            choose(page, "technician", "TECNICO01")
        if profile.own_carrier:
            choose(page, "carrier", "TRANSPORTES SUL")
        if number == 1:
            clear = page.locator("#profile + .select2-container .select2-selection__clear")
            assert clear.get_attribute("title") == "Remover todos os itens"  # Select2 in pt-BR
            j.shot("novo-usuario")
        page.get_by_role("button", name="Salvar").click()
        j.flash("Registro incluído")
        page.locator("table tr", has_text=email).wait_for()
        created[email] = profile
    j.shot("usuarios")
    j.close()

    with db_ctx() as session:
        users = {u.email: u for u in session.execute(
            select(PortalUser).where(PortalUser.email.in_(created))).scalars()}
        assert set(users) == set(created)
        for email, profile in created.items():
            user = users[email]
            assert user.active and user.profile == profile.name
            assert [r.name for r in user.roles] == [profile.name]
            assert [c.name for c in user.companies] == ([] if profile.all_companies else ["REVENDA MATRIZ"])
            assert [c.name for c in user.clients] == (["JAYOB COMPANY"] if profile.client_side else [])
            assert (user.technician.name if user.technician else None) == (
                "TECNICO01" if profile.own_orders else None)
            assert (user.carrier.name if user.carrier else None) == (
                "TRANSPORTES SUL" if profile.own_carrier else None)

    # the new technician opens his invitation, chooses his password and logs in with it
    with db_ctx() as session:
        body = session.execute(select(OutboxMessage.body_text).where(
            OutboxMessage.kind == "invitation", OutboxMessage.recipients == "novo6@revenda.test")).scalar_one()
    link = re.search(r"https?://\S+/redefinir-senha/\S+", body).group(0)
    context = new_context(browser, live_server, viewport=DESKTOP)
    invited = context.new_page()
    invited.goto(link)
    invited.get_by_label("Nova senha", exact=True).fill("Senha-forte-123")
    invited.get_by_label("Confirmar nova senha").fill("Senha-forte-123")
    invited.get_by_role("button", name="Salvar nova senha").click()
    invited.get_by_text("Senha alterada. Entre com a nova senha.").wait_for()
    log_in(invited, "novo6@revenda.test", "Senha-forte-123")
    assert invited.locator(".navbar").get_by_role("link", name="Atendimentos").is_visible()
    invited.goto(link)  # single use
    assert invited.get_by_role("button", name="Salvar nova senha").count() == 0
    context.close()


# --- Cliente ------------------------------------------------------------------------------

def test_client_accepts_lgpd_opens_a_call_answers_pre_service_and_requests_toner(
        journey, db_ctx, world, tmp_path):
    with db_ctx() as session:
        f.consent_document("privacy")
        f.consent_document("consent")
        equipment = session.get(Equipment, world["equipment"])
        serial, defect = equipment.serial, session.get(DefectType, world["defect"]).name
        supply = session.get(SupplyItem, world["supply_item"]).name
        session.get(Client, world["client"]).phone = "(48) 3333-0000"
        session.commit()
    email = world["users"]["Cliente"]
    j = journey("cliente", email)
    page = j.page

    # LGPD: every current document confirmed, one by one
    panel = page.locator("#pws-consent")
    for document in ("Política de privacidade", "Termos e condições gerais de uso", "Termo de consentimento"):
        panel.get_by_label(document).check()
    j.shot("lgpd")
    panel.get_by_role("button", name="Salvar").click()
    j.flash("Obrigado! Todos os documentos foram confirmados.")
    assert page.locator("#pws-consent").count() == 0
    with db_ctx() as session:
        user_id = session.execute(select(PortalUser.id).where(PortalUser.email == email)).scalar_one()
        choices = session.execute(select(ConsentDecision.choice).where(ConsentDecision.user_id == user_id)).scalars()
        assert sorted(choices) == ["accepted"] * 3

    # Abrir chamado, with a PDF attached
    j.menu("Chamados", "Abrir chamado")
    page.get_by_label("Série ou patrimônio").fill(serial)
    page.get_by_role("button", name="Localizar").click()
    page.locator("table tr", has_text=serial).get_by_role("link", name="Selecionar").click()
    page.get_by_label("Tipo de defeito").select_option(label=defect)
    page.get_by_label("Descrição do problema").fill("Impressora mancha as folhas na lateral.")
    page.get_by_label("E-mail do contato").fill("compras@jayob.com.br")  # .test is no valid domain
    attachment = tmp_path / "laudo da impressora.pdf"
    attachment.write_bytes(pdf_bytes())
    page.get_by_label("Anexos (imagens ou PDF)").set_input_files(str(attachment))
    j.shot("abrir-chamado")
    page.get_by_role("button", name="Abrir chamado").click()
    j.flash("aberto com sucesso.")
    number = int(re.search(r"Chamado Nº (\d+) aberto", page.locator(".alert-success").inner_text()).group(1))
    page.get_by_role("link", name=re.compile("Anexos")).click()
    page.get_by_role("link", name="laudo da impressora.pdf").wait_for()
    j.shot("chamado-aberto")
    with db_ctx() as session:
        call = session.get(ServiceCall, number)
        assert (call.status, call.equipment_id, call.description) == (
            "A", world["equipment"], "Impressora mancha as folhas na lateral.")
        stored = session.execute(select(CallAttachment).where(CallAttachment.call_id == number)).scalar_one()
        assert stored.original_name == "laudo da impressora.pdf"
        assert (area_dir("calls") / stored.stored_name).read_bytes() == attachment.read_bytes()

    # Pré atendimento: the dealer asked for a photo of the panel; the client answers
    j.menu("Chamados", "Acompanhar chamados")
    open_call(page, world["call_open"])
    page.get_by_role("link", name="Pré atendimento").click()
    page.get_by_text("Pode enviar uma foto do painel?").wait_for()
    page.get_by_label("Insira o conteúdo").fill("O painel mostra o erro E-045.")
    page.get_by_role("button", name="Enviar resposta").click()
    j.flash("Mensagem enviada.")
    page.get_by_text("O painel mostra o erro E-045.").wait_for()
    j.shot("pre-atendimento")
    with db_ctx() as session:
        answer = session.execute(select(PreServiceMessage).where(
            PreServiceMessage.call_id == world["call_open"], PreServiceMessage.direction == "client")).scalar_one()
        assert (answer.body, answer.author_id) == ("O painel mostra o erro E-045.", user_id)

    # Solicitar suprimentos: one toner for the equipment, with the counter
    j.menu("Suprimentos", "Solicitar suprimentos")
    page.get_by_label("Série ou patrimônio").fill(serial)
    page.get_by_role("button", name="Buscar").first.click()
    page.locator("table tr", has_text=serial).get_by_role("link", name="Solicitar").click()
    page.get_by_label(supply).fill("1")
    page.get_by_label("Contador atual").fill("48210")
    page.get_by_label("Observação relatada pelo cliente").fill("Toner acabando.")
    j.shot("solicitar-suprimentos")
    page.get_by_role("button", name="Enviar solicitação").click()
    j.flash("registrada.")
    j.shot("solicitacao")
    j.close()
    with db_ctx() as session:
        request = session.execute(select(SupplyRequest)).scalars().all()[-1]
        assert (request.equipment_id, request.requested_by_id, request.note) == (
            world["equipment"], user_id, "Toner acabando.")
        assert [(i.supply_item_id, i.quantity, i.counter) for i in request.items] == [
            (world["supply_item"], 1, 48210)]


# --- Operador de Atendimento --------------------------------------------------------------

def test_operator_dispatches_a_call_to_a_technician(journey, db_ctx, world):
    j = journey("operador", world["users"]["Operador de Atendimento"])
    page = j.page
    j.postpone_consent()
    j.menu("Chamados", "Acompanhar chamados")
    j.shot("chamados")
    open_call(page, world["call_open"])
    page.get_by_label("Técnico (ao despachar)").select_option(label="TECNICO01")
    page.get_by_label("Observação").fill("Levar kit de fusor.")
    j.shot("chamado")
    page.get_by_role("button", name="Passar para E – Despachado").click()
    j.flash("status alterado para Despachado.")
    page.locator("#aba-historico", has_text="Levar kit de fusor.").wait_for()
    j.shot("despachado")
    j.close()
    with db_ctx() as session:
        call = session.get(ServiceCall, world["call_open"])
        assert (call.status, call.technician_id) == ("E", world["technician"])
        change = session.execute(select(CallStatusChange).where(
            CallStatusChange.call_id == call.id).order_by(CallStatusChange.id.desc())).scalars().first()
        assert (change.from_status, change.to_status, change.note) == ("A", "E", "Levar kit de fusor.")


# --- Técnico ------------------------------------------------------------------------------

def test_technician_records_an_attendance_on_the_phone(journey, db_ctx, world):
    with db_ctx() as session:
        customer, equipment = session.get(Client, world["client"]), session.get(Equipment, world["equipment"])
        tech = session.get(Technician, world["technician"])
        order = f.call(customer, equipment, status="E", technician=tech, erp_id="1500200").id
    j = journey("tecnico", world["users"]["Técnico"], viewport=PHONE,
                geolocation={"latitude": -27.59, "longitude": -48.55})
    page = j.page
    j.postpone_consent()
    j.menu("Atendimentos", "Registrar atendimento")
    order_card = page.locator(".pws-order", has_text="1500200")
    j.shot("ordens")
    order_card.get_by_role("button", name="Selecionar").click()
    page.locator("#pws-timeline li", has_text="Atendimento selecionado").wait_for()
    for label in ("Viagem iniciada", "Chegada no cliente", "Início do atendimento", "Fim do atendimento"):
        step(page, label)
    page.get_by_label("Serviços executados").fill("Limpeza do fusor e troca do cilindro.")
    page.get_by_label("Contador total").fill("48300")
    page.get_by_role("button", name="Enviar relatório").click()
    page.locator("#pws-message", has_text="Relatório registrado.").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())  # "Concluir este atendimento? …"
    page.get_by_role("button", name="Concluir atendimento").click()
    page.locator("#pws-attendance-status", has_text="Concluído").wait_for()
    page.locator("#pws-queue[data-pending='0']").wait_for()  # everything reached the server
    j.shot("concluido")
    j.close()
    with db_ctx() as session:
        attendance = session.execute(select(Attendance).where(Attendance.call_id == order)).scalar_one()
        assert (attendance.status, attendance.services) == ("concluded", "Limpeza do fusor e troca do cilindro.")
        assert attendance.counters == [{"name": "Total", "value": 48300}]
        assert session.get(ServiceCall, order).status == "O"


# --- Transportador ------------------------------------------------------------------------

def test_carrier_confirms_a_delivery_on_the_phone(journey, db_ctx, world):
    j = journey("transportador", world["users"]["Transportador"], viewport=PHONE,
                geolocation={"latitude": -27.60, "longitude": -48.52})
    page = j.page
    j.postpone_consent()
    j.menu("Transporte", "Entregas")
    j.shot("entregas")
    card = page.locator(".pws-card", has=page.get_by_role("link", name="Confirmar entrega"))
    invoice_number = card.locator(".pws-card-head strong").inner_text()
    card.get_by_role("link", name="Confirmar entrega").click()
    page.get_by_label("Entregue para (nome de quem recebeu)").fill("JOÃO DA SILVA")
    pad = page.locator("#pws-signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for x in range(30, int(box["width"]) - 20, 20):
        page.mouse.move(box["x"] + x, box["y"] + 30 + (x % 40))
    page.mouse.up()
    page.locator("#pws-location-status", has_text="Localização registrada.").wait_for()
    j.shot("confirmar")
    page.get_by_role("button", name=re.compile("Confirmar$")).click()  # after the icon's glyph
    j.flash("confirmada.")
    page.get_by_text("JOÃO DA SILVA").first.wait_for()
    j.shot("entregue")
    j.close()
    with db_ctx() as session:
        delivery = session.execute(select(Delivery).where(Delivery.invoice_id == world["invoice"])).scalar_one()
        assert (delivery.outcome, delivery.received_by) == ("delivered", "JOÃO DA SILVA")
        assert (delivery.latitude, delivery.longitude) == (-27.60, -48.52)
        assert (area_dir("deliveries") / delivery.signature_stored_name).read_bytes().startswith(b"\x89PNG")
    assert invoice_number.startswith("NF ")


# --- Operador Faturamento -----------------------------------------------------------------

def test_billing_user_downloads_a_file(journey, db_ctx, world):
    content = pdf_bytes()
    with db_ctx() as session:
        customer = session.get(Client, world["client"])
        wanted = f.billing_file(customer, stored_name=store_bytes("billing", content, ".pdf"),
                                original_name="fatura novembro.pdf", size=len(content)).id
    j = journey("faturamento", world["users"]["Operador Faturamento"])
    page = j.page
    j.postpone_consent()
    j.menu("Faturamento", "Arquivos")
    card = page.locator(".pws-card", has_text="fatura novembro.pdf")
    j.shot("arquivos")
    with page.expect_download() as download_info:
        card.get_by_role("link", name="Baixar").click()
    download = download_info.value
    assert download.suggested_filename == "fatura novembro.pdf"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == content
    j.close()
    with db_ctx() as session:
        billing_user = session.execute(select(PortalUser.id).where(
            PortalUser.email == world["users"]["Operador Faturamento"])).scalar_one()
        log = session.execute(select(BillingDownload.file_id, BillingDownload.user_id)).all()
        assert log == [(wanted, billing_user)]
        assert session.get(BillingFile, wanted).original_name == "fatura novembro.pdf"

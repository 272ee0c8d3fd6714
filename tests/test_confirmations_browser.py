"""Irreversible actions ask first, in Portuguese, through the one `data-pws-confirm` mechanism
(app/static/pws.js, allowed by the CSP): a "no" leaves everything as it was, a "yes" acts.
Chromium, as the users who have these buttons."""
from sqlalchemy import func, select

from app.accounts.roles import ATTENDANCE_OPERATOR, CLIENT, TECHNICIAN
from app.calls.models import ServiceCall
from app.field.models import Attendance, AttendanceEvent
from tests import factories as f
from tests.browser import browser, live_server, new_page, watch_console  # noqa: F401  fixtures


class Dialogs:
    """Answers the page's confirm() boxes and keeps their texts."""

    def __init__(self, page):
        self.texts: list[str] = []
        self.answer = False
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog):
        self.texts.append(dialog.message)
        dialog.accept() if self.answer else dialog.dismiss()


def desk(db_ctx):
    with db_ctx():
        company = f.company("REVENDA MATRIZ")
        customer = f.client(company, "JAYOB COMPANY")
        equipment = f.equipment(customer)
        tech = f.technician("TECNICO01")
        f.user(ATTENDANCE_OPERATOR, [company], email="operador@revenda.test")
        f.user(CLIENT, [company], [customer], email="cliente@jayob.test", client_manager=True)
        f.user(TECHNICIAN, [company], email="tecnico@revenda.test", technician=tech)
        calls = {name: f.call(customer, equipment, status=status, technician=tech).id
                 for name, status in (("cancel", "A"), ("resolve", "A"), ("conclude", "M"), ("client", "A"))}
        calls["field"] = f.call(customer, equipment, status="E", technician=tech, erp_id="1500300").id
    return calls


def status(db_ctx, call_id):
    with db_ctx() as session:
        return session.get(ServiceCall, call_id).status


def test_closing_a_call_asks_first_and_a_no_changes_nothing(db_ctx, browser, live_server):
    calls = desk(db_ctx)
    problems: list[str] = []
    context, page = new_page(browser, live_server, "operador@revenda.test")
    watch_console(page, problems)
    dialogs = Dialogs(page)
    moves = (("cancel", "Passar para C – Cancelado", "C", "Cancelar o chamado? Ele passa para C – Cancelado"),
             ("conclude", "Passar para O – Concluído", "O", "Concluir o chamado? Ele passa para O – Concluído"),
             ("resolve", "Resolvido no pré atendimento", "O",
              "Encerrar o chamado como resolvido no pré atendimento? Ele passa para O – Concluído sem visita"))
    for name, button, target, question in moves:
        before = status(db_ctx, calls[name])
        page.goto(f"/chamados/show/{calls[name]}")
        dialogs.answer = False
        page.locator(".pws-status-form").get_by_role("button", name=button).click()
        assert dialogs.texts[-1].startswith(question) and "não poderá" in dialogs.texts[-1]
        assert status(db_ctx, calls[name]) == before
        dialogs.answer = True
        page.locator(".pws-status-form").get_by_role("button", name=button).click()
        page.locator(".alert-success").first.wait_for()
        assert status(db_ctx, calls[name]) == target
    # a move the flow can undo asks nothing
    page.goto(f"/chamados/show/{calls['client']}")
    asked = len(dialogs.texts)
    page.locator(".pws-status-form").get_by_role("button", name="Passar para E – Despachado").click()
    page.locator(".alert-success").first.wait_for()
    assert len(dialogs.texts) == asked and status(db_ctx, calls["client"]) == "E"
    context.close()
    assert not problems, problems


def test_resolving_in_pre_service_and_the_clients_cancel_ask_first(db_ctx, browser, live_server):
    calls = desk(db_ctx)
    context, page = new_page(browser, live_server, "operador@revenda.test")
    dialogs = Dialogs(page)
    page.goto(f"/chamados/show/{calls['resolve']}?aba=pre-atendimento")
    resolve = page.locator(".pws-resolve-form").get_by_role("button", name="Resolvido no pré atendimento")
    resolve.click()
    assert "resolvido no pré atendimento" in dialogs.texts[-1] and status(db_ctx, calls["resolve"]) == "A"
    context.close()

    context, page = new_page(browser, live_server, "cliente@jayob.test")
    dialogs = Dialogs(page)
    page.goto(f"/chamados/show/{calls['client']}")
    page.get_by_role("button", name="Passar para C – Cancelado").click()
    assert dialogs.texts[-1].startswith("Cancelar o chamado?") and status(db_ctx, calls["client"]) == "A"
    context.close()


def test_the_technicians_conclude_and_cancel_ask_first(db_ctx, browser, live_server):
    calls = desk(db_ctx)
    context, page = new_page(browser, live_server, "tecnico@revenda.test", {"latitude": -27.6, "longitude": -48.5})
    dialogs = Dialogs(page)
    page.goto("/atendimentos/registrar/")
    page.locator(".pws-order", has_text="1500300").get_by_role("button", name="Selecionar").click()
    page.locator("#pws-timeline li", has_text="Atendimento selecionado").wait_for()
    page.locator("#pws-queue[data-pending='0']").wait_for()  # the start reached the server

    def events():
        with db_ctx() as session:
            return session.execute(select(func.count()).select_from(AttendanceEvent)).scalar_one()

    before = events()
    page.get_by_role("button", name="Cancelar atendimento").click()
    assert dialogs.texts[-1].startswith("Cancelar este atendimento?") and "volta para o despacho" in dialogs.texts[-1]
    page.get_by_role("button", name="Concluir atendimento").click()
    assert dialogs.texts[-1].startswith("Concluir este atendimento?")
    assert events() == before and status(db_ctx, calls["field"]) == "E"

    dialogs.answer = True
    page.get_by_role("button", name="Cancelar atendimento").click()
    page.locator("#pws-attendance-status", has_text="cancelado").wait_for()
    page.locator("#pws-queue[data-pending='0']").wait_for()
    with db_ctx() as session:
        assert session.execute(select(Attendance.status)).scalar_one() == "cancelled"
    context.close()

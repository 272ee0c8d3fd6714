"""The technician's page without a signal (docs/field.md "Offline"), in Debian's Chromium: a
whole visit recorded offline and the page reopened offline (the service worker serves it), then
the queue reaches the server exactly once, in order, with the device's times; an order
reassigned meanwhile is reported and its refused items kept; and the queue under a connection
that drops requests (and answers) at random."""
import random

from PIL import Image
from sqlalchemy import select

from app.calls.models import PartsRequest, ServiceCall
from app.field import images
from app.field.models import Attendance, AttendanceEvent, AttendancePhoto
from tests.browser import browser, live_server, log_in, new_context, new_page  # noqa: F401  fixtures
from tests.factories import PASSWORD
from tests.field_support import build_field, png_bytes, sign, step

GPS = {"latitude": -27.60, "longitude": -48.50}
VISIT = ["Viagem iniciada", "Chegada no cliente", "Início do atendimento", "Fim do atendimento"]


def open_ready(page):
    """The page, once its worker has kept it and its files for offline use."""
    page.goto("/atendimentos/registrar/")
    page.locator("body[data-pws-offline-ready]").wait_for(state="attached")
    page.locator(".pws-order").first.wait_for()


def choose(page, call_id):
    page.locator(f".pws-order button[data-call='{call_id}']").click()
    page.locator("#pws-timeline li", has_text="Atendimento selecionado").wait_for()


def timeline(session, attendance_id):
    return list(session.execute(select(AttendanceEvent).where(AttendanceEvent.attendance_id == attendance_id)
                                .order_by(AttendanceEvent.id)).scalars())


def test_a_whole_visit_offline_reaches_the_server_once_in_order(app, db_ctx, browser, live_server, tmp_path):
    with db_ctx():
        field = build_field()
    context, page = new_page(browser, live_server, field.tech_email, GPS)
    open_ready(page)

    context.set_offline(True)
    reopened = page.reload()
    assert reopened.from_service_worker
    page.locator("#pws-orders-age", has_text="Sem conexão").wait_for()
    choose(page, field.call)
    for label in VISIT[:3]:
        step(page, label)
    photo = tmp_path / "equipamento.png"
    photo.write_bytes(png_bytes((3200, 2400), (90, 120, 200)))
    page.set_input_files("#pws-photo", str(photo))
    page.fill("#pws-caption", "Fusor novo")
    page.get_by_role("button", name="Enviar foto").click()
    page.locator("#pws-message", has_text="Foto registrada.").wait_for()
    page.set_input_files("#pws-photo", str(photo))  # the same picture again: kept once
    page.get_by_role("button", name="Enviar foto").click()
    page.locator("#pws-message", has_text="Esta foto já foi registrada.").wait_for()
    step(page, VISIT[3])
    page.fill("#pws-services", "Troca do fusor")
    page.fill("#pws-counter-total", "125430")
    page.get_by_role("button", name="Enviar relatório").click()
    page.locator("#pws-timeline li", has_text="Formulário preenchido").wait_for()
    sign(page, "Maria Souza")
    page.locator("#pws-message", has_text="Assinatura registrada.").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Concluir atendimento").click()
    page.locator("#pws-attendance-status", has_text="Concluído").wait_for()
    page.locator("#pws-sync", has_text="Sem conexão").wait_for()

    # closed and reopened without a signal: the queue is still there, nothing was sent
    assert page.reload().from_service_worker
    page.locator("#pws-queue-list li").first.wait_for()
    # the start, 7 steps, one photo, the report and the signature, all waiting
    assert page.locator("#pws-queue-list li.pws-queue-pending").count() == 11
    with db_ctx() as session:
        assert session.execute(select(Attendance)).first() is None

    context.set_offline(False)
    page.locator("#pws-queue[data-pending='0']").wait_for()
    page.locator("#pws-sync", has_text="Tudo o que foi registrado").wait_for()
    context.close()

    with db_ctx() as session:
        attendance = session.execute(select(Attendance)).scalar_one()
        events = timeline(session, attendance.id)
        assert [e.kind for e in events] == [  # each once, sent in the order they were made
            "selected", "travel_started", "arrived", "service_started", "service_finished",
            "form_filled", "concluded"]
        assert [e.device_time for e in events] == sorted(e.device_time for e in events)
        # the device's times are kept: every step was made before the first one arrived
        assert max(e.device_time for e in events) <= min(e.received_at for e in events)
        assert attendance.status == "concluded" and attendance.signer_name == "Maria Souza"
        assert attendance.counters == [{"name": "Total", "value": 125430}]
        stored = session.execute(select(AttendancePhoto)).scalar_one()
        assert stored.caption == "Fusor novo"
        with Image.open(images.path_of(stored.stored_name)) as picture:
            assert max(picture.size) == 1600  # reduced on the device before queueing
        assert session.get(ServiceCall, field.call).status == "O"


def test_an_order_reassigned_while_offline_is_reported_and_its_items_kept(app, db_ctx, browser, live_server):
    with db_ctx():
        field = build_field()
    context, page = new_page(browser, live_server, field.tech_email, GPS)
    open_ready(page)
    context.set_offline(True)
    choose(page, field.other_call)
    step(page, "Viagem iniciada")
    with db_ctx() as session:  # the dispatcher gives the order to another technician meanwhile
        call = session.get(ServiceCall, field.other_call)
        call.technician_id = session.get(ServiceCall, field.foreign_call).technician_id
        session.commit()

    context.set_offline(False)
    page.locator("#pws-queue[data-pending='0']").wait_for()
    page.locator("#pws-conflicts", has_text=f"O chamado {field.other_call} não está mais na sua lista").wait_for()
    refused = page.locator("#pws-queue-list li.pws-queue-refused")
    assert refused.count() == 3  # the start, "selected" and the trip: none of it is lost
    assert "Não encontrado." in refused.first.inner_text()  # the server's answer
    assert "a abertura deste atendimento foi recusada" in refused.last.inner_text()
    page.locator("#pws-sync", has_text="O servidor recusou").wait_for()

    page.reload()  # still there after a reload, until he discards them
    page.locator("#pws-queue-list li.pws-queue-refused").nth(2).wait_for()
    page.locator("#pws-queue-list li.pws-queue-refused").first.get_by_role("button", name="Descartar").click()
    from playwright.sync_api import expect  # here: without Playwright the fixtures skip the test

    expect(page.locator("#pws-queue-list li.pws-queue-refused")).to_have_count(2)
    context.close()
    with db_ctx() as session:
        assert session.execute(select(Attendance)).first() is None


def test_a_session_over_while_offline_asks_for_the_login_and_keeps_the_queue(app, db_ctx, browser, live_server):
    with db_ctx():
        field = build_field()
    context, page = new_page(browser, live_server, field.tech_email, GPS)
    open_ready(page)
    context.set_offline(True)
    choose(page, field.call)
    step(page, "Viagem iniciada")
    page.fill("#pws-request-description", "Cilindro do fusor")
    page.fill("#pws-request-quantity", "2")
    page.get_by_role("button", name="Solicitar peças").click()  # parts the order still needs
    page.locator("#pws-message", has_text="Solicitação de peças registrada.").wait_for()
    context.clear_cookies()  # the session ended while he had no signal
    context.set_offline(False)
    page.locator("#pws-sync", has_text="Sua sessão terminou").get_by_role("link", name="Entrar").click()
    assert page.locator("#pws-queue-list li.pws-queue-pending").count() == 0  # the login page
    page.fill("#username", field.tech_email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.goto("/atendimentos/registrar/")
    page.locator("#pws-queue[data-pending='0']").wait_for()
    context.close()
    with db_ctx() as session:
        attendance = session.execute(select(Attendance)).scalar_one()
        assert [e.kind for e in timeline(session, attendance.id)] == ["selected", "travel_started"]
        request = session.execute(select(PartsRequest)).scalar_one()
        assert request.attendance_id == attendance.id
        assert [(i.description, i.quantity) for i in request.items] == [("Cilindro do fusor", 2)]


def test_the_queue_under_a_flaky_connection_arrives_once_and_in_order(app, db_ctx, browser, live_server):
    """Requests fail at random, before reaching the server or after (the answer lost): the
    queue retries with the same ids until everything is in, each event once."""
    with db_ctx():
        field = build_field()
    context = new_context(browser, live_server, GPS, service_workers="block")
    page = context.new_page()
    log_in(page, field.tech_email)
    chance = random.Random(20)
    lost = {"request": 0, "answer": 0}

    def flaky(route):
        if route.request.method != "POST":
            route.continue_()
            return
        luck = chance.random()
        if luck < 0.35:
            lost["request"] += 1
            route.abort("internetdisconnected")  # never reached the server
        elif luck < 0.7:
            lost["answer"] += 1
            route.fetch()  # reached it; the answer is lost on the way back
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/tecnico/**", flaky)
    page.goto("/atendimentos/registrar/")
    choose(page, field.call)
    for label in VISIT:
        page.get_by_role("button", name=label).click()
        page.locator("#pws-timeline li", has_text=label).wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Concluir atendimento").click()
    page.locator("#pws-attendance-status", has_text="Concluído").wait_for()
    for _attempt in range(200):  # the signal comes and goes until the queue is empty
        if page.locator("#pws-queue").get_attribute("data-pending") == "0":
            break
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_timeout(100)
    assert page.locator("#pws-queue").get_attribute("data-pending") == "0"
    assert lost["request"] and lost["answer"]
    context.close()

    with db_ctx() as session:
        attendance = session.execute(select(Attendance)).scalar_one()
        kinds = [e.kind for e in sorted(timeline(session, attendance.id), key=lambda e: e.device_time)]
        assert kinds == ["selected", "travel_started", "arrived", "service_started", "service_finished",
                         "concluded"]
        assert attendance.status == "concluded"

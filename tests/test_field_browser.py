"""The technician's web page in a real browser: Chromium (Debian's) driven by Playwright against
a live server, with a fake geolocation, a photo, a drawn signature and the report; then the
operator sees the timeline and the map, and the client contact rates the attendance from the
e-mailed link. Screenshots go to tests/artifacts/."""
import re

from sqlalchemy import select

from app.calls.models import ServiceCall
from app.field.models import Attendance, AttendanceEvent, AttendancePhoto, Survey
from app.notifications.models import OutboxMessage
from tests.browser import ARTIFACTS, browser, live_server, new_context, new_page  # noqa: F401  fixtures
from tests.field_support import build_field, png_bytes, sign, step


def test_a_technician_records_an_attendance_in_the_phone_browser(app, db_ctx, browser, live_server, tmp_path):
    with db_ctx():
        field = build_field()
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = new_page(browser, live_server, field.tech_email, {"latitude": -27.60, "longitude": -48.50})
    page.goto("/atendimentos/registrar/")
    page.locator(".pws-order", has_text="1407318").get_by_role("button", name="Selecionar").click()
    page.locator("#pws-timeline li", has_text="Atendimento selecionado").wait_for()
    page.screenshot(path=str(ARTIFACTS / "registrar-atendimento.png"), full_page=True)

    step(page, "Viagem iniciada")
    context.set_geolocation({"latitude": -27.57, "longitude": -48.50})
    step(page, "Chegada no cliente")
    step(page, "Início do atendimento")

    photo = tmp_path / "equipamento.png"
    photo.write_bytes(png_bytes((320, 240), (90, 120, 200)))
    page.set_input_files("#pws-photo", str(photo))
    page.fill("#pws-caption", "Fusor novo")
    page.get_by_role("button", name="Enviar foto").click()
    page.locator("#pws-message", has_text="Foto registrada.").wait_for()

    step(page, "Fim do atendimento")
    page.fill("#pws-services", "Troca do fusor <e> limpeza")
    page.fill("#pws-counter-total", "125430")
    page.fill("#pws-notes", "Cliente orientado")
    page.get_by_role("button", name="Enviar relatório").click()
    page.locator("#pws-timeline li", has_text="Formulário preenchido").wait_for()
    page.locator("#pws-message", has_text="Relatório registrado.").wait_for()

    sign(page, "Maria Souza")
    page.locator("#pws-message", has_text="Assinatura registrada.").wait_for()

    page.once("dialog", lambda dialog: dialog.accept())  # "Concluir este atendimento? …"
    page.get_by_role("button", name="Concluir atendimento").click()
    page.locator("#pws-attendance-status", has_text="Concluído").wait_for()
    page.locator("#pws-queue[data-pending='0']").wait_for()  # every step reached the server
    page.screenshot(path=str(ARTIFACTS / "registrar-concluido.png"), full_page=True)
    context.close()

    with db_ctx() as session:
        attendance = session.execute(select(Attendance)).scalar_one()
        assert attendance.status == "concluded" and attendance.signer_name == "Maria Souza"
        assert attendance.services == "Troca do fusor <e> limpeza"
        assert attendance.counters == [{"name": "Total", "value": 125430}]
        located = {e.kind: (e.latitude, e.longitude) for e in session.execute(select(AttendanceEvent)).scalars()}
        assert located["travel_started"] == (-27.60, -48.50) and located["arrived"] == (-27.57, -48.50)
        assert session.execute(select(AttendancePhoto)).scalar_one().caption == "Fusor novo"
        assert session.get(ServiceCall, field.call).status == "O"
        assert {m.kind for m in session.execute(select(OutboxMessage)).scalars()} == {
            "technician_on_the_way", "survey_invitation", "call_changed"}
        attendance_id = attendance.id

    context, page = new_page(browser, live_server, field.operator_email)
    page.goto("/atendimentos/list/")
    page.get_by_role("link", name="Ver").first.click()
    page.locator("#pws-timeline", has_text="Chegada no cliente").wait_for()
    page.locator("#pws-map[data-ready]").wait_for()
    assert int(page.locator("#pws-map").get_attribute("data-ready")) >= 7
    assert page.locator(".leaflet-marker-icon").count() == 7  # every step carried the position
    assert page.locator(".pws-signature img").evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(ARTIFACTS / "atendimento-ver.png"), full_page=True)
    assert page.url.endswith(f"/atendimentos/show/{attendance_id}")
    page.goto("/atendimentos/list/")
    page.screenshot(path=str(ARTIFACTS / "atendimentos-app.png"), full_page=True)
    page.goto("/rastreamento/")
    page.locator("#pws-map[data-ready='1']").wait_for()
    assert page.locator("#pws-tracking", has_text="TECNICO APP").count() == 1
    page.screenshot(path=str(ARTIFACTS / "rastreamento.png"), full_page=True)
    context.close()

    # the client contact follows the link of the e-mail and rates the attendance
    with db_ctx() as session:
        links = {m.kind: re.search(re.escape(live_server) + r"(\S+)", m.body_text).group(1)
                 for m in session.execute(select(OutboxMessage)).scalars()}
    context = new_context(browser, live_server)
    page = context.new_page()
    page.goto(links["technician_on_the_way"])
    page.locator("#pws-eta-arrived").wait_for()
    page.goto(links["survey_invitation"])
    page.get_by_label("5", exact=True).check()
    page.fill("#comment", "Atendimento rápido e cuidadoso.")
    page.screenshot(path=str(ARTIFACTS / "avaliacao.png"), full_page=True)
    page.get_by_role("button", name="Enviar avaliação").click()
    page.get_by_role("heading", name="Obrigado!").wait_for()
    context.close()
    with db_ctx() as session:
        survey = session.execute(select(Survey)).scalar_one()
        assert (survey.rating, survey.comment) == (5, "Atendimento rápido e cuidadoso.")

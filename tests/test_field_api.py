"""The technicians' app API, driven as the app would: JWT login, then /api/v1/tecnico/…"""
import threading
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from app.calls.models import CallStatusChange, ServiceCall
from app.catalog.models import Technician
from app.field import images
from app.field.models import Attendance, AttendanceEvent, AttendancePhoto, TrackPoint
from app.notifications.models import OutboxMessage
from app.feed.models import ChangeFeedEntry
from tests import factories as f
from tests.conftest import csrf_token, login
from tests.services import need_mysql
from tests.field_support import (
    API, build_field, event, iso, jpeg_with_gps_exif, jwt_headers, png_bytes, post_events, start, uid,
)


@pytest.fixture
def field(app, db_ctx):
    with db_ctx():
        return build_field()


@pytest.fixture
def tech(client, field):
    return jwt_headers(client, field.tech_email)


def count(db_ctx, model, *where):
    with db_ctx() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def call_status(db_ctx, call_id):
    with db_ctx() as session:
        return session.get(ServiceCall, call_id).status


def test_only_a_technician_with_a_token_reaches_the_api(client, field, tech, db_ctx):
    from tests import factories as f

    assert client.get(f"{API}/chamados").status_code == 401
    operator = jwt_headers(client, field.operator_email)
    assert client.get(f"{API}/chamados", headers=operator).status_code == 403
    with db_ctx():
        f.user("Admin Revenda", email="admin@revenda.test")
    admin = jwt_headers(client, "admin@revenda.test")  # has every permission, is no technician
    response = client.get(f"{API}/chamados", headers=admin)
    assert response.status_code == 403
    assert response.get_json()["message"] == "Acesso restrito a técnicos."
    assert client.get(f"{API}/chamados", headers={"Authorization": "Bearer lixo"}).status_code == 422


def test_open_orders_are_his_own_with_what_a_visit_needs(client, field, tech, db_ctx):
    """The JWT user's scope applies inside the API: the other technician's order never shows."""
    with db_ctx() as session:
        call = session.get(ServiceCall, field.call)
        f.meter_reading(call.equipment, 120000, datetime(2026, 6, 1, 12, 0))
        f.meter_reading(call.equipment, 125430, datetime(2026, 7, 1, 12, 0))  # the last one
        f.meter_reading(call.equipment, 110000, datetime(2026, 5, 1, 12, 0))
        session.get(ServiceCall, field.other_call).status = "O"  # closed: not open anymore
        session.commit()
    orders = client.get(f"{API}/chamados", headers=tech).get_json()
    assert [order["id"] for order in orders["result"]] == [field.call]
    order = orders["result"][0]
    assert order["erp_id"] == "1407318" and order["status"] == "E"
    assert order["client"]["address"] == "Rua das Flores, 100"
    assert order["client"]["district"] == "Centro"
    assert order["equipment"]["model"] == "KYOCERA M3655"
    assert order["equipment"]["last_counter"] == {"value": 125430, "read_at": "2026-07-01T09:00:00-03:00"}
    assert order["defect"]["name"] == "ATOLAMENTO"
    assert order["contact"] == {"name": "Maria", "phone": "(48) 99999-0000", "email": "contato@cliente.test"}
    assert order["attendance_id"] is None


def test_foreign_order_and_attendance_are_404_everywhere(client, field, tech, db_ctx):
    response = client.post(f"{API}/atendimentos", headers=tech,
                           json={"uid": uid(), "call_id": field.foreign_call})
    assert response.status_code == 404 and response.get_json()["message"] == "Não encontrado."
    other = jwt_headers(client, "outro@revenda.test")
    theirs = start(client, other, field.foreign_call)["id"]
    base = f"{API}/atendimentos/{theirs}"
    assert client.get(base, headers=tech).status_code == 404
    assert client.get(f"{base}/pdf", headers=tech).status_code == 404
    assert post_events(client, tech, theirs, event("arrived", iso())).status_code == 404
    assert client.post(f"{base}/relatorio", headers=tech, json={"services": "x"}).status_code == 404
    photo = {"uid": uid(), "file": (BytesIO(png_bytes()), "f.png")}
    assert client.post(f"{base}/fotos", headers=tech, data=photo).status_code == 404
    points = {"points": [{"uid": uid(), "recorded_at": iso(), "latitude": -27.6, "longitude": -48.5,
                          "attendance_id": theirs}]}
    assert client.post(f"{API}/posicoes", headers=tech, json=points).status_code == 404
    listed = client.get(f"{API}/atendimentos", headers=tech).get_json()["result"]
    assert theirs not in [a["id"] for a in listed]
    assert count(db_ctx, AttendanceEvent) == 0 and count(db_ctx, TrackPoint) == 0


def test_a_full_attendance_moves_the_call_and_reaches_the_erp(client, field, tech, db_ctx):
    attendance_uid = uid()
    created = client.post(f"{API}/atendimentos", headers=tech,
                          json={"uid": attendance_uid, "call_id": field.call, "started_at": iso(-60)})
    assert created.status_code == 201
    attendance = created.get_json()["result"]["id"]
    again = client.post(f"{API}/atendimentos", headers=tech,
                        json={"uid": attendance_uid, "call_id": field.call, "started_at": iso(-60)})
    assert again.status_code == 200 and again.get_json()["result"]["id"] == attendance
    second = client.post(f"{API}/atendimentos", headers=tech, json={"uid": uid(), "call_id": field.call})
    assert second.status_code == 409 and second.get_json()["attendance_id"] == attendance

    assert post_events(client, tech, attendance, event("selected", iso(-60), -27.60, -48.50)).status_code == 200
    assert call_status(db_ctx, field.call) == "E"
    post_events(client, tech, attendance, event("travel_started", iso(-50), -27.60, -48.50))
    assert call_status(db_ctx, field.call) == "M"
    track = [{"uid": uid(), "recorded_at": iso(-50 + i * 5), "latitude": -27.60 + i * 0.01,
              "longitude": -48.50, "accuracy_m": 8, "attendance_id": attendance} for i in range(5)]
    assert client.post(f"{API}/posicoes", headers=tech, json={"points": track}).status_code == 200
    response = post_events(client, tech, attendance,
                           event("arrived", iso(-30), -27.56, -48.50),
                           event("service_started", iso(-29)), event("service_finished", iso(-10)))
    body = response.get_json()
    assert len(body["accepted"]) == 3 and body["duplicates"] == []
    assert body["result"]["travel_seconds"] == 20 * 60
    assert body["result"]["distance_m"] == pytest.approx(4 * 1111.95, rel=1e-3)

    photo = client.post(f"{API}/atendimentos/{attendance}/fotos", headers=tech, data={
        "uid": uid(), "caption": "Fusor trocado", "file": (BytesIO(jpeg_with_gps_exif()), "foto.jpg")})
    assert photo.status_code == 201
    signature = client.post(f"{API}/atendimentos/{attendance}/assinatura", headers=tech, data={
        "uid": uid(), "signer_name": "Maria Souza", "file": (BytesIO(png_bytes()), "a.png")})
    assert signature.status_code == 201
    report = {"services": "Troca do fusor e limpeza", "notes": "Cliente orientado",
              "parts": [{"code": "FU-1", "description": "Fusor", "quantity": 1}],
              "counters": [{"name": "Total", "value": 125430}, {"name": "P&B", "value": 120000}],
              "pending": False}
    assert client.post(f"{API}/atendimentos/{attendance}/relatorio", headers=tech, json=report).status_code == 200
    post_events(client, tech, attendance, event("form_filled", iso(-5)), event("concluded", iso(-4)))

    assert call_status(db_ctx, field.call) == "O"
    with db_ctx() as session:
        row = session.get(Attendance, attendance)
        assert row.status == "concluded" and row.signer_name == "Maria Souza"
        history = [(c.from_status, c.to_status, c.source) for c in session.execute(
            select(CallStatusChange).where(CallStatusChange.call_id == field.call)
            .order_by(CallStatusChange.id)).scalars()]
        assert history == [("E", "M", "app"), ("M", "O", "app")]
        feed = session.execute(select(ChangeFeedEntry).where(ChangeFeedEntry.entity == "attendance")).scalars().all()
        assert [(e.op, e.web_id) for e in feed] == [("create", attendance)]
        data = feed[0].data
        assert data["call_web_id"] == field.call and data["call_erp_id"] == "1407318"
        assert data["counters"] == report["counters"] and data["services"] == report["services"]
        assert [step["kind"] for step in data["timeline"]] == [
            "selected", "travel_started", "arrived", "service_started", "service_finished",
            "form_filled", "concluded"]
        kinds = sorted(m.kind for m in session.execute(select(OutboxMessage)).scalars())
        # one survey and one "técnico a caminho"; each status change also sends "Alteração de chamado"
        assert kinds.count("survey_invitation") == 1 and kinds.count("technician_on_the_way") == 1
        assert set(kinds) == {"survey_invitation", "technician_on_the_way", "call_changed"}
        assert session.get(Technician, field.technician).last_latitude == pytest.approx(-27.56)

    pdf = client.get(f"{API}/atendimentos/{attendance}/pdf", headers=tech)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.data)).pages)
    assert "1407318" in text and "Troca do fusor e limpeza" in text and "125.430" in text


def test_only_open_orders_can_be_attended(client, field, tech, db_ctx):
    with db_ctx() as session:
        session.get(ServiceCall, field.call).status = "A"
        session.commit()
    response = client.post(f"{API}/atendimentos", headers=tech, json={"uid": uid(), "call_id": field.call})
    assert response.status_code == 422 and "não está aberto" in response.get_json()["message"]
    assert count(db_ctx, Attendance) == 0


def test_retried_ids_never_duplicate(client, field, tech, db_ctx):
    attendance = start(client, tech, field.call)["id"]
    travel = event("travel_started", iso(-5), -27.6, -48.5)
    first = post_events(client, tech, attendance, travel, travel).get_json()
    assert first["accepted"] == [travel["uid"]] and first["duplicates"] == [travel["uid"]]
    again = post_events(client, tech, attendance, travel).get_json()
    assert again["accepted"] == [] and again["duplicates"] == [travel["uid"]]
    assert count(db_ctx, AttendanceEvent) == 1

    point = {"uid": uid(), "recorded_at": iso(-4), "latitude": -27.6, "longitude": -48.5}
    for _ in range(2):
        assert client.post(f"{API}/posicoes", headers=tech, json={"points": [point, point]}).status_code == 200
    assert client.post(f"{API}/posicao", headers=tech, json=point).get_json()["duplicates"] == [point["uid"]]
    assert count(db_ctx, TrackPoint) == 1

    photo_uid = uid()
    statuses = [client.post(f"{API}/atendimentos/{attendance}/fotos", headers=tech, data={
        "uid": photo_uid, "file": (BytesIO(png_bytes()), "f.png")}).status_code for _ in range(2)]
    assert statuses == [201, 200]
    assert count(db_ctx, AttendancePhoto) == 1

    reused = post_events(client, tech, attendance, {**travel, "kind": "arrived"})
    assert reused.status_code == 409
    assert reused.get_json()["errors"][0]["field"] == "events.0.uid"


def test_late_and_out_of_order_events_keep_device_time_and_order(client, field, tech, db_ctx):
    attendance = start(client, tech, field.call)["id"]
    post_events(client, tech, attendance, event("concluded", iso(-10)))
    assert call_status(db_ctx, field.call) == "O"
    # sent hours later by an app that was offline: they join the timeline in device order
    late = post_events(client, tech, attendance, event("arrived", iso(-40)), event("travel_started", iso(-70)),
                       event("service_started", iso(-35))).get_json()["result"]
    assert [e["kind"] for e in late["timeline"]] == ["travel_started", "arrived", "service_started", "concluded"]
    assert late["status"] == "concluded"
    assert late["travel_seconds"] == 30 * 60
    assert call_status(db_ctx, field.call) == "O"  # not moved back to M by the late events
    with db_ctx() as session:
        arrived = session.execute(select(AttendanceEvent).where(AttendanceEvent.kind == "arrived")).scalar_one()
        assert (arrived.received_at - arrived.device_time).total_seconds() > 35 * 60
        ops = [e.op for e in session.execute(select(ChangeFeedEntry).where(
            ChangeFeedEntry.entity == "attendance").order_by(ChangeFeedEntry.seq)).scalars()]
        assert ops == ["create", "update"]
        assert session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "technician_on_the_way")).scalar_one() == 0


def test_pending_report_leaves_the_call_pending_and_cancel_returns_it(client, field, tech, db_ctx):
    attendance = start(client, tech, field.call)["id"]
    post_events(client, tech, attendance, event("service_started", iso(-20)))
    report = {"services": "Aguardando peça", "pending": True}
    client.post(f"{API}/atendimentos/{attendance}/relatorio", headers=tech, json=report)
    post_events(client, tech, attendance, event("concluded", iso(-1)))
    assert call_status(db_ctx, field.call) == "P"
    unchanged = client.post(f"{API}/atendimentos/{attendance}/relatorio", headers=tech, json=report).get_json()
    assert unchanged["changed"] is False
    client.post(f"{API}/atendimentos/{attendance}/relatorio", headers=tech, json={**report, "pending": False})
    assert call_status(db_ctx, field.call) == "O"  # a corrected report settles the call

    other = start(client, tech, field.other_call)["id"]
    post_events(client, tech, other, event("travel_started", iso(-3)))
    assert call_status(db_ctx, field.other_call) == "M"
    post_events(client, tech, other, event("cancelled", iso(-2)))
    assert call_status(db_ctx, field.other_call) == "E"
    with db_ctx() as session:
        assert session.get(Attendance, other).status == "cancelled"


@pytest.mark.parametrize("bad,field_name", [
    ({"latitude": 91, "longitude": -48.5}, "events.0.latitude"),
    ({"latitude": -27.6, "longitude": 181}, "events.0.longitude"),
    ({"latitude": -27.6}, "events.0.latitude"),
    ({"latitude": 0, "longitude": 0}, "events.0.latitude"),
    ({"latitude": "sul", "longitude": -48.5}, "events.0.latitude"),
    ({"device_time": "2026-11-27T10:00:00"}, "events.0.device_time"),
    ({"device_time": "ontem"}, "events.0.device_time"),
    ({"kind": "teleported"}, "events.0.kind"),
])
def test_invalid_events_are_refused_with_json_errors(client, field, tech, db_ctx, bad, field_name):
    attendance = start(client, tech, field.call)["id"]
    body = {**event("arrived", iso(-1)), **bad}
    response = post_events(client, tech, attendance, event("selected", iso(-2)), body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field_name.replace("events.0", "events.1") in [e["field"] for e in errors]
    assert all(e["message"] for e in errors)
    assert count(db_ctx, AttendanceEvent) == 0  # the whole batch is refused


def test_invalid_points_and_bodies_are_refused(client, field, tech, db_ctx):
    bad = {"points": [{"uid": uid(), "recorded_at": iso(), "latitude": -27.6, "longitude": -200}]}
    response = client.post(f"{API}/posicoes", headers=tech, json=bad)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "points.0.longitude"
    future = {"uid": uid(), "recorded_at": iso(3 * 24 * 60), "latitude": -27.6, "longitude": -48.5}
    assert client.post(f"{API}/posicao", headers=tech, json=future).status_code == 422
    assert client.post(f"{API}/posicoes", headers=tech, data="não é json").status_code == 422
    assert client.post(f"{API}/posicoes", headers=tech, json={"points": []}).status_code == 422
    assert count(db_ctx, TrackPoint) == 0


def test_images_are_checked_re_encoded_and_stripped(app, client, field, tech, db_ctx):
    attendance = start(client, tech, field.call)["id"]
    url = f"{API}/atendimentos/{attendance}/fotos"
    for content, name in [(b"%PDF-1.4 not an image", "f.jpg"), (b"GIF89a\x01\x00\x01\x00", "f.gif"),
                          (png_bytes()[:40], "cortada.png")]:
        response = client.post(url, headers=tech, data={"uid": uid(), "file": (BytesIO(content), name)})
        assert response.status_code == 422, name
        assert response.get_json()["errors"][0]["field"] == "file"
    gif = BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    gif_upload = {"uid": uid(), "file": (BytesIO(gif.getvalue()), "g.gif")}
    assert client.post(url, headers=tech, data=gif_upload).status_code == 422
    assert client.post(url, headers=tech, data={"uid": uid()}).status_code == 422
    signature = client.post(f"{API}/atendimentos/{attendance}/assinatura", headers=tech, data={
        "uid": uid(), "signer_name": "Maria", "file": (BytesIO(jpeg_with_gps_exif()), "a.jpg")})
    assert signature.status_code == 422  # a signature is a PNG
    unnamed = client.post(f"{API}/atendimentos/{attendance}/assinatura", headers=tech, data={
        "uid": uid(), "signer_name": "", "file": (BytesIO(png_bytes()), "a.png")})
    assert unnamed.status_code == 422 and unnamed.get_json()["errors"][0]["field"] == "signer_name"

    original = jpeg_with_gps_exif()
    assert Image.open(BytesIO(original)).getexif()
    assert client.post(url, headers=tech, data={"uid": uid(), "file": (BytesIO(original), "f.jpg")}).status_code == 201
    with db_ctx() as session:
        photo = session.execute(select(AttendancePhoto)).scalar_one()
        stored = images.path_of(photo.stored_name)
        assert stored.parent.parent == Path(app.config["PWS_STORAGE_DIR"])  # outside static
        assert photo.content_type == "image/jpeg" and stored.suffix == ".jpg"
        saved = stored.read_bytes()
    assert saved != original and len(Image.open(BytesIO(saved)).getexif()) == 0
    assert b"PhoneCam" not in saved


def test_cookie_writes_need_the_csrf_header_and_tokens_do_not(app, field, db_ctx):
    browser = app.test_client()
    login(browser, field.tech_email)
    attendance = start(browser, {"X-CSRFToken": csrf_token(browser)}, field.call)["id"]
    body = {"events": [event("selected", iso())]}
    url = f"{API}/atendimentos/{attendance}/eventos"
    refused = browser.post(url, json=body)
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["message"]
    assert browser.post(url, json=body, headers={"X-CSRFToken": csrf_token(browser)}).status_code == 200
    assert browser.get(f"{API}/chamados").status_code == 200  # reads need no token
    app_client = app.test_client()
    headers = jwt_headers(app_client, field.tech_email)
    assert post_events(app_client, headers, attendance, event("travel_started", iso())).status_code == 200


def test_the_openapi_spec_documents_the_app_api(client, db_ctx):
    from tests import factories as f

    with db_ctx():
        f.user("Admin Revenda", email="admin@revenda.test")
    spec = client.get("/api/v1/_openapi", headers=jwt_headers(client, "admin@revenda.test")).get_json()
    paths = spec["paths"]
    assert "/api/v1/tecnico/atendimentos/{pk}/eventos" in paths
    assert "/api/v1/tecnico/posicoes" in paths and "/api/v1/tecnico/chamados" in paths
    schemas = spec["components"]["schemas"]
    assert "EventBatchSchema" in schemas and "ReportSchema" in schemas
    assert paths["/api/v1/tecnico/atendimentos"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"].endswith("StartSchema")


def test_the_scoping_principal_is_the_jwt_user(app, client, field):
    """current_principal() inside an API request reads flask_jwt_extended's user."""
    from flask_jwt_extended import verify_jwt_in_request

    from app.core.scoping import current_principal

    headers = jwt_headers(client, field.tech_email)
    with app.test_request_context(f"{API}/chamados", headers=headers):
        app.preprocess_request()
        verify_jwt_in_request()
        principal = current_principal()
    assert principal.user_id is not None and principal.technician_id == field.technician
    assert principal.own_orders and principal.company_ids == frozenset({field.company})


def test_events_and_positions_sent_together_never_deadlock(app, field, db_ctx):
    """The technician's page sends the step and the live position at the same moment; on
    MariaDB both write the technician's last position and must not deadlock (a 500 there
    lost the step)."""
    need_mysql(app)
    clients = [app.test_client(), app.test_client()]
    headers = jwt_headers(clients[0], field.tech_email)
    attendance = start(clients[0], headers, field.call)["id"]
    statuses = []

    def send(index, minute, barrier):
        barrier.wait(timeout=30)
        if index == 0:
            kind = "travel_started" if minute == 0 else "arrived"
            response = post_events(clients[0], headers, attendance,
                                   event(kind, iso(minute), -27.6 + minute / 1000, -48.5))
        else:
            response = clients[1].post(f"{API}/posicao", headers=headers, json={
                "uid": uid(), "recorded_at": iso(minute), "latitude": -27.6, "longitude": -48.5,
                "attendance_id": attendance})
        statuses.append(response.status_code)

    for minute in range(30):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=send, args=(i, minute, barrier)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert statuses == [200] * 60
    assert count(db_ctx, TrackPoint) == 30 and count(db_ctx, AttendanceEvent) == 30

"""Helpers for the field tests: images made in memory, a technician's JWT, a small world."""
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO

from PIL import Image

from app.accounts.roles import ATTENDANCE_OPERATOR, CLIENT, TECHNICIAN
from tests import factories as f
from tests.factories import PASSWORD

API = "/api/v1/tecnico"


def uid() -> str:
    return str(uuid.uuid4())


def png_bytes(size=(60, 30), color=(20, 20, 20)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_gps_exif(size=(80, 60)) -> bytes:
    """A JPEG whose EXIF carries a camera model and a GPS position (as phones write them)."""
    image = Image.new("RGB", size, (200, 50, 50))
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam 3000"  # Model
    exif[0x8825] = {1: "S", 2: (27.0, 35.0, 48.0), 3: "W", 4: (48.0, 32.0, 57.0)}  # GPSInfo
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def jwt_headers(client, email, password=PASSWORD) -> dict:
    response = client.post("/api/v1/security/login", json={
        "username": email, "password": password, "provider": "db", "refresh": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@dataclass
class Field:
    """Ids of one dealer with a technician, his orders, an operator and a client user."""

    company: int
    client: int
    call: int
    other_call: int
    foreign_call: int
    technician: int
    tech_email: str = "tecnico@revenda.test"
    operator_email: str = "operador@revenda.test"
    client_email: str = "cliente@cliente.test"


def build_field(contact_email="contato@cliente.test") -> Field:
    company = f.company("REVENDA SUL")
    customer = f.client(company, "GRAFICA BOA VISTA", address="Rua das Flores, 100",
                        district="Centro", zip="88010-000", phone="(48) 3333-0000")
    equipment = f.equipment(customer, model=f.equipment_model("KYOCERA M3655"))
    tech = f.technician("TECNICO APP")
    other_tech = f.technician("OUTRO TECNICO")
    defect = f.defect(name="ATOLAMENTO")
    call = f.call(customer, equipment, status="E", technician=tech, defect_type_id=defect.id,
                  contact_name="Maria", contact_phone="(48) 99999-0000", contact_email=contact_email,
                  erp_id="1407318")
    other = f.call(customer, equipment, status="E", technician=tech)
    if contact_email:
        f.confirmed_contact(customer, contact_email)
    foreign = f.call(customer, equipment, status="E", technician=other_tech)
    f.user(TECHNICIAN, [company], email="tecnico@revenda.test", technician=tech)
    f.user(TECHNICIAN, [company], email="outro@revenda.test", technician=other_tech)
    f.user(ATTENDANCE_OPERATOR, [company], email="operador@revenda.test")
    f.user(CLIENT, [company], [customer], email="cliente@cliente.test", client_manager=True)
    return Field(company=company.id, client=customer.id, call=call.id, other_call=other.id,
                 foreign_call=foreign.id, technician=tech.id)


def start(client, headers, call_id, attendance_uid=None):
    response = client.post(f"{API}/atendimentos", headers=headers, json={
        "uid": attendance_uid or uid(), "call_id": call_id, "started_at": "2026-11-27T08:00:00-03:00"})
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["result"]


def event(kind, time, lat=None, lon=None, event_uid=None) -> dict:
    body = {"uid": event_uid or uid(), "kind": kind, "device_time": time}
    if lat is not None:
        body.update(latitude=lat, longitude=lon)
    return body


def post_events(client, headers, attendance_id, *events):
    return client.post(f"{API}/atendimentos/{attendance_id}/eventos", headers=headers,
                       json={"events": list(events)})


_NOW = datetime.now(timezone(timedelta(hours=-3))).replace(microsecond=0)


def iso(minutes: float = 0) -> str:
    """A device timestamp ``minutes`` from the start of the run, ISO 8601 with the São Paulo
    offset (one anchor, so differences between timestamps are exact)."""
    return (_NOW + timedelta(minutes=minutes)).isoformat()


# --- the technician's page in a browser (tests/test_field*_browser.py) -------------------------

def step(page, label, expected_message="Registrado."):
    """Tap a step's button; it shows on the timeline at once (sent or waiting in the queue)."""
    page.get_by_role("button", name=label).click()
    page.locator("#pws-timeline li", has_text=label).wait_for()
    page.locator("#pws-message", has_text=expected_message).wait_for()


def sign(page, signer):
    """Draw a signature on the pad, name the signer and save it."""
    page.locator("#pws-pad").scroll_into_view_if_needed()
    pad = page.locator("#pws-pad").bounding_box()
    page.mouse.move(pad["x"] + 20, pad["y"] + 100)
    page.mouse.down()
    for x in range(30, 300, 15):
        page.mouse.move(pad["x"] + x, pad["y"] + 60 + (x % 60))
    page.mouse.up()
    page.fill("#pws-signer", signer)
    page.get_by_role("button", name="Salvar assinatura").click()

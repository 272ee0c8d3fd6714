"""Entregas: the carrier's authorized NFs, confirmation once, proof seen by the client."""
import base64
import io
from datetime import timedelta, UTC
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.roles import ATTENDANCE_OPERATOR, CARRIER, CLIENT
from app.catalog.models import Carrier, Client
from app.core.db import utcnow
from app.deliveries.models import Delivery, Invoice
from app.supplies.models import SupplyRequest, SupplyStatus
from app.feed.models import ChangeFeedEntry
from tests import factories as f
from tests.conftest import csrf_token, login_as
from tests.test_supplies import PAGE_QUERY_LIMIT, count_queries


@pytest.fixture
def world(db_ctx):
    with db_ctx():
        company = f.company("REVENDA SUL")
        customer = f.client(company, "JAYOB COMPANY")
        other = f.client(company, "OUTRO CLIENTE")
        model = f.equipment_model()
        equipment = f.equipment(customer, model=model)
        toner = f.supply_item([model])
        ours, theirs = f.carrier("TRANSPORTES SUL"), f.carrier("RAPIDO NORTE")
        request = f.supply_request(equipment, [(toner, 1, 100)], status=SupplyStatus.INVOICED)
        invoices = {
            "mine": f.invoice(customer, ours, number="4521", supply_request=request),
            "mine_other_client": f.invoice(other, ours, number="4522"),
            "cancelled": f.invoice(customer, ours, number="4523", status=Invoice.CANCELLED),
            "other_carrier": f.invoice(customer, theirs, number="4524"),
            "no_carrier": f.invoice(customer, None, number="4525"),
        }
        users = {
            "carrier": f.user(CARRIER, [company], email="motorista@sul.test", carrier=ours),
            "other_carrier_user": f.user(CARRIER, [company], email="motorista@norte.test", carrier=theirs),
            "client": f.user(CLIENT, [company], [customer], email="cliente@jayob.test", client_manager=True),
            "other_client": f.user(CLIENT, [company], [other], email="cliente@outro.test", client_manager=True),
            "attendance": f.user(ATTENDANCE_OPERATOR, [company], email="atendimento@revenda.test"),
        }
        return {"request": request.id, "carrier_id": ours.id,
                **{name: row.id for name, row in invoices.items()},
                **{name: user.id for name, user in users.items()}}


def _as(app, user_id):
    client = app.test_client()
    login_as(client, user_id)
    return client


def _png_data_url():
    out = io.BytesIO()
    Image.new("RGBA", (300, 100), (255, 255, 255, 0)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _jpeg_with_gps():
    image = Image.new("RGB", (2400, 1800), (200, 120, 40))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"               # Make
    exif[0x8825] = {1: "S", 2: (27.0, 35.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def to_local(value):
    return value.replace(tzinfo=UTC).astimezone(SAO_PAULO)


def _local(delta=timedelta(0)):
    return to_local(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


def _confirm(client, invoice_id, **fields):
    data = {"csrf_token": csrf_token(client), "situacao": "delivered", "recebido_por": "MARIA SILVA",
            "data_entrega": _local(), **fields}
    return client.post(f"/entregas/confirmar/{invoice_id}", data=data, content_type="multipart/form-data")


def _deliveries(db_ctx):
    with db_ctx() as session:
        return session.execute(select(Delivery)).scalars().all()


def _feed(db_ctx, entity):
    with db_ctx() as session:
        return [(e.op, e.erp_id, e.data) for e in session.execute(
            select(ChangeFeedEntry).where(ChangeFeedEntry.entity == entity).order_by(ChangeFeedEntry.seq)).scalars()]


def test_carrier_sees_only_his_authorized_invoices(app, world):
    carrier = _as(app, world["carrier"])
    html = carrier.get("/entregas/list/").get_data(as_text=True)
    assert "NF 4521/" in html and "NF 4522/" in html
    for hidden in ("4523", "4524", "4525"):
        assert f"NF {hidden}/" not in html
    for hidden in ("cancelled", "other_carrier", "no_carrier"):
        assert carrier.get(f"/entregas/show/{world[hidden]}").status_code == 404
        assert carrier.get(f"/entregas/confirmar/{world[hidden]}").status_code == 404
    assert _confirm(carrier, world["other_carrier"]).status_code == 404
    other = _as(app, world["other_carrier_user"]).get("/entregas/list/").get_data(as_text=True)
    assert "NF 4524/" in other and "NF 4521/" not in other


def test_carrier_confirms_with_signature_photo_and_gps(app, db_ctx, world):
    carrier = _as(app, world["carrier"])
    when = _local(-timedelta(minutes=30))
    response = _confirm(carrier, world["mine"], data_entrega=when, assinatura=_png_data_url(),
                        foto=(io.BytesIO(_jpeg_with_gps()), "IMG_0001.jpg"),
                        latitude="-27.594870", longitude="-48.548219")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/entregas/show/{world['mine']}")
    (delivery,) = _deliveries(db_ctx)
    assert (delivery.outcome, delivery.received_by, delivery.latitude, delivery.longitude) == (
        "delivered", "MARIA SILVA", -27.59487, -48.548219)
    assert to_local(delivery.delivered_at).strftime("%Y-%m-%dT%H:%M") == when
    assert delivery.confirmed_by_id == world["carrier"]

    photo = carrier.get(f"/entregas/comprovante/{world['mine']}/foto")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.headers["Content-Disposition"].startswith("attachment")
    with Image.open(io.BytesIO(photo.data)) as image:
        assert max(image.size) == 1600 and not image.getexif()  # re-encoded, EXIF and GPS gone
    signature = carrier.get(f"/entregas/comprovante/{world['mine']}/assinatura")
    assert signature.mimetype == "image/png" and signature.data.startswith(b"\x89PNG")

    ((op, erp_id, data),) = _feed(db_ctx, "delivery")
    with db_ctx() as session:
        invoice = session.get(Invoice, world["mine"])
        assert (op, erp_id, data["invoice_erp_id"]) == ("create", invoice.erp_id, invoice.erp_id)
        assert session.get(SupplyRequest, world["request"]).status == SupplyStatus.DELIVERED
    assert (data["received_by"], data["outcome"], data["signature"], data["photo"]) == (
        "MARIA SILVA", "delivered", True, True)
    assert data["delivered_at"].startswith(when) and data["delivered_at"].endswith("-03:00")
    assert [d["status"] for _op, _id, d in _feed(db_ctx, "supply_request")] == ["delivered"]


def test_confirmation_happens_once_and_a_retry_is_idempotent(app, db_ctx, world):
    carrier = _as(app, world["carrier"])
    when = _local(-timedelta(hours=1))
    assert _confirm(carrier, world["mine"], data_entrega=when).status_code == 302
    retry = _confirm(carrier, world["mine"], data_entrega=when)
    assert retry.status_code == 302  # same payload: answered as the first
    different = _confirm(carrier, world["mine"], data_entrega=when, recebido_por="JOÃO")
    assert different.status_code == 409
    assert "A entrega desta NF já foi confirmada em" in different.get_data(as_text=True)
    (delivery,) = _deliveries(db_ctx)
    assert delivery.received_by == "MARIA SILVA"
    assert len(_feed(db_ctx, "delivery")) == 1
    page = carrier.get("/entregas/list/").get_data(as_text=True)
    assert "NF 4521/" not in page  # no longer pending
    assert "NF 4521/" in carrier.get("/entregas/list/?situacao=entregues").get_data(as_text=True)


def test_refused_or_partial_delivery_needs_a_reason(app, db_ctx, world):
    carrier = _as(app, world["carrier"])
    refused = _confirm(carrier, world["mine"], situacao="refused")
    assert refused.status_code == 422
    assert "Informe o motivo da entrega recusada ou parcial." in refused.get_data(as_text=True)
    assert _confirm(carrier, world["mine"], situacao="refused", motivo="Cliente fechado").status_code == 302
    (delivery,) = _deliveries(db_ctx)
    assert (delivery.outcome, delivery.reason) == ("refused", "Cliente fechado")
    assert _feed(db_ctx, "delivery")[0][2]["reason"] == "Cliente fechado"
    with db_ctx() as session:
        assert session.get(SupplyRequest, world["request"]).status == SupplyStatus.INVOICED


@pytest.mark.parametrize("fields,message", [
    ({"recebido_por": " "}, "Informe o nome de quem recebeu a mercadoria."),
    ({"data_entrega": "amanhã"}, "Informe a data da entrega"),
    ({"data_entrega": "2030-01-01T10:00"}, "A data da entrega não pode estar no futuro."),
    ({"data_entrega": "2026-11-01T10:00"}, "não pode ser anterior à emissão da NF"),
    ({"latitude": "-27.5"}, "Localização GPS inválida."),
    ({"latitude": "abc", "longitude": "1"}, "Localização GPS inválida."),
    ({"assinatura": "data:text/html;base64,PGh0bWw+"}, "assinatura inválida"),
    ({"foto": (io.BytesIO(b"<html>not a photo</html>"), "foto.jpg")}, "Foto: imagem inválida"),
])
def test_bad_proofs_are_refused_with_a_clear_message(app, db_ctx, world, fields, message):
    response = _confirm(_as(app, world["carrier"]), world["mine"], **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _deliveries(db_ctx) == [] and _feed(db_ctx, "delivery") == []


def test_client_sees_the_proof_but_cannot_confirm(app, db_ctx, world):
    _confirm(_as(app, world["carrier"]), world["mine"], assinatura=_png_data_url())
    client = _as(app, world["client"])
    show = client.get(f"/entregas/show/{world['mine']}").get_data(as_text=True)
    assert "MARIA SILVA" in show and f"/entregas/comprovante/{world['mine']}/assinatura" in show
    assert client.get(f"/entregas/comprovante/{world['mine']}/assinatura").status_code == 200
    assert client.get(f"/entregas/comprovante/{world['mine']}/foto").status_code == 404  # none sent
    assert client.get(f"/entregas/confirmar/{world['mine_other_client']}").status_code == 403
    supply = client.get(f"/suprimentos/acompanhar/show/{world['request']}").get_data(as_text=True)
    assert "Ver comprovante" in supply and "Entregue" in supply
    other = _as(app, world["other_client"])
    assert other.get(f"/entregas/show/{world['mine']}").status_code == 404
    assert other.get(f"/entregas/comprovante/{world['mine']}/assinatura").status_code == 404
    attendance = _as(app, world["attendance"])
    assert attendance.get(f"/entregas/show/{world['mine']}").status_code == 200
    assert _confirm(attendance, world["mine_other_client"]).status_code == 403


def test_carrier_list_filters_and_sorts(app, world, monkeypatch):
    carrier = _as(app, world["carrier"])

    def shown(query):
        html = carrier.get("/entregas/list/?" + query).get_data(as_text=True)
        return [n for n in ("4521", "4522") if f"NF {n}/" in html]

    assert shown("_flt_0_number=4522") == ["4522"]
    assert shown("_flt_0_client=OUTRO") == ["4522"]
    assert shown("_flt_1_client=Florian") == ["4521", "4522"]
    assert shown("_flt_0_client=%25") == [], "% taken literally"
    assert shown("_flt_0_issued_at=2030-01-01") == []
    # Past the cap of matching clients the filter stays a subquery on the clients: the same NFs.
    monkeypatch.setattr("app.core.search.IDS_CAP", 0)
    assert shown("_flt_0_client=OUTRO") == ["4522"]
    assert shown("_flt_1_client=Florian") == ["4521", "4522"]
    html = carrier.get("/entregas/list/?_oc_DeliveryView=issued_at&_od_DeliveryView=desc").get_data(as_text=True)
    assert html.index("NF 4522/") < html.index("NF 4521/")  # same date: the newer row first
    # The NF number is a filter, not an order: no index serves it within every scope.
    assert carrier.get("/entregas/list/?_oc_DeliveryView=number&_od_DeliveryView=desc").status_code == 400


def test_carrier_list_runs_a_constant_number_of_queries(app, db_ctx, world):
    def add(n):
        with db_ctx() as session:
            customer = session.execute(select(Client).where(Client.name == "JAYOB COMPANY")).scalar_one()
            carrier = session.get(Carrier, world["carrier_id"])
            for _ in range(n):
                f.invoice(customer, carrier)

    client = _as(app, world["carrier"])
    client.get("/entregas/list/")  # warm-up: per-process reference cache
    counts = []
    for n in (0, 18):
        add(n)
        with count_queries(app) as statements:
            html = client.get("/entregas/list/").get_data(as_text=True)
        counts.append(len(statements))
    assert html.count("pws-card\"") == 20
    assert counts[0] == counts[1] <= PAGE_QUERY_LIMIT, counts

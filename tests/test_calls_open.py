"""Abrir chamado through HTTP: equipment lookup, listed defects, attachments, number, feed, e-mail."""
import io
from datetime import datetime

import pytest
import time_machine

from app.calls.models import CallAttachment, CallSettings, CallStatus, CallStatusChange, ServiceCall
from app.catalog.models import Company, Contract, DefectType, Technician
from app.notifications.models import OutboxMessage
from app.feed.models import ChangeFeedEntry
from tests.calls_desk import (
    ADMIN, ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGISTICS_OPERATOR,
    SUPPLIES_OPERATOR, TECHNICIAN, as_user, make_desk, pdf_bytes, png_bytes, post,
)
from tests import factories as f
from tests.field_support import API, jwt_headers
from tests.sync_support import changes as feed_page, push, rec


@pytest.fixture
def desk(db_ctx):
    with db_ctx():
        return make_desk()


def form(desk, **changes):
    return {"defect_type": desk.defect, "description": "Atolando papel na bandeja 2",
            "contact_name": "Luciano Peçanha", "contact_phone": "(48) 3028-1348",
            "contact_email": "luciano@cliente.com.br", **changes}


def open_url(equipment_id):
    return f"/chamados/abrir/?equipamento={equipment_id}"


def count_calls(db_ctx):
    with db_ctx() as session:
        return session.query(ServiceCall).count()


def test_client_finds_equipment_by_serial_or_asset_tag(app, desk):
    client = as_user(app, desk.users[CLIENT])
    page = client.get(f"/chamados/abrir/?busca={desk.serial}").get_data(as_text=True)
    assert open_url(desk.equipment) in page
    page = client.get("/chamados/abrir/?busca=PAT-00").get_data(as_text=True)
    assert open_url(desk.equipment) in page
    page = client.get("/chamados/abrir/?busca=SER&tipo=sem").get_data(as_text=True)
    assert open_url(desk.loose_equipment) in page and open_url(desk.equipment) not in page
    page = client.get("/chamados/abrir/?busca=SER").get_data(as_text=True)
    assert open_url(desk.foreign_equipment) not in page


def test_form_offers_only_defects_listed_for_the_equipment_category(app, desk):
    client = as_user(app, desk.users[CLIENT])
    page = client.get(open_url(desk.equipment)).get_data(as_text=True)
    assert "ATOLAMENTO DE PAPEL" in page
    assert "DEFEITO INTERNO" not in page and "NÃO LIGA" not in page
    page = client.get(open_url(desk.loose_equipment)).get_data(as_text=True)
    assert "NÃO LIGA" in page and "ATOLAMENTO DE PAPEL" not in page


@time_machine.travel(datetime(2026, 11, 9, 13, 0), tick=False)  # Monday 10:00 in São Paulo
def test_client_opens_a_call(app, db_ctx, desk):
    client = as_user(app, desk.users[CLIENT])
    photo = png_bytes(trailer=b"<script>alert(1)</script>")
    response = post(client, open_url(desk.equipment), {
        **form(desk), "attachments": [(io.BytesIO(photo), "painel.png"),
                                      (io.BytesIO(pdf_bytes()), "manual.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with db_ctx():
        call = ServiceCall.query.one()
        assert response.headers["Location"].endswith(f"/chamados/show/{call.id}")
        assert (call.company_id, call.client_id, call.contract_id, call.equipment_id) == (
            desk.company, desk.client, desk.contract, desk.equipment)
        assert call.status == "A" and call.opened_by_id == desk.users[CLIENT]
        assert call.defect_type_id == desk.defect and call.sla_hours == 8
        # 8 business hours from Monday 10:00 (08:00–18:00) end on Monday 18:00 = 21:00 UTC
        assert call.priority_due == datetime(2026, 11, 9, 21, 0)
        history = CallStatusChange.query.filter_by(call_id=call.id).one()
        assert (history.from_status, history.to_status, history.changed_by_id) == (
            None, "A", desk.users[CLIENT])
        feed = ChangeFeedEntry.query.filter_by(entity="service_order", web_id=call.id).one()
        assert feed.op == "create" and feed.data["status"] == "A"
        mails = OutboxMessage.query.filter_by(kind="call_opened").all()
        # A contact address the client is not known to use gets only the confirmation e-mail.
        assert [m.recipients for m in mails] == [desk.emails[ATTENDANCE_OPERATOR]]
        confirmation = OutboxMessage.query.filter_by(kind="contact_confirmation").one()
        assert confirmation.recipients == "luciano@cliente.com.br"
        for mail in mails:
            assert str(call.id) in mail.subject and desk.serial in mail.body_text
        attachments = {a.original_name: a for a in CallAttachment.query.filter_by(call_id=call.id)}
        assert set(attachments) == {"painel.png", "manual.pdf"}
        image_id, pdf_id = attachments["painel.png"].id, attachments["manual.pdf"].id
        number = call.id
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Chamado Nº {number} aberto com sucesso." in shown
    download = client.get(f"/chamados/anexo/{image_id}")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data.startswith(b"\x89PNG") and b"<script>" not in download.data
    assert client.get(f"/chamados/anexo/{pdf_id}").data == pdf_bytes()


@pytest.mark.parametrize("profile", [CALL_OPENER, TECHNICIAN, CALLS_OPERATOR])
def test_every_opening_profile_opens(app, db_ctx, desk, profile):
    client = as_user(app, desk.users[profile])
    response = post(client, open_url(desk.loose_equipment), form(desk, defect_type=desk.loose_defect))
    assert response.status_code == 302
    with db_ctx():
        call = ServiceCall.query.one()
        assert call.opened_by_id == desk.users[profile]
        assert call.contract_id is None and call.priority_due is None  # no contract, no SLA


@pytest.mark.parametrize("profile", [LOGISTICS_OPERATOR, SUPPLIES_OPERATOR])
def test_profiles_without_the_function_cannot_open(app, db_ctx, desk, profile):
    client = as_user(app, desk.users[profile])
    assert post(client, open_url(desk.equipment), form(desk)).status_code == 403
    assert count_calls(db_ctx) == 0


def test_foreign_or_unknown_equipment_is_404(app, db_ctx, desk):
    client = as_user(app, desk.users[CLIENT])
    for equipment in (desk.foreign_equipment, 999999, "abc"):
        assert client.get(open_url(equipment)).status_code == 404
        assert post(client, open_url(equipment), form(desk)).status_code == 404
    assert count_calls(db_ctx) == 0


INVALID_FORMS = [
    ({"defect_type": "unlisted"}, "Selecione um tipo de defeito da lista."),
    ({"defect_type": "loose"}, "Selecione um tipo de defeito da lista."),
    ({"defect_type": "0"}, "Selecione o tipo de defeito."),
    ({"description": ""}, "Descreva o problema."),
    ({"contact_email": "luciano"}, "Informe um e-mail válido."),
    ({"contact_phone": ""}, "Informe o telefone do contato."),
]
BAD_FILES = [
    ("foto.png", b"isto nao e uma imagem", "Tipo de arquivo não permitido"),
    ("script.html", b"<html><script>alert(1)</script></html>", "Tipo de arquivo não permitido"),
    ("nota.pdf", b"%PDF-1.7 lixo sem estrutura", "não é um PDF válido"),
    ("vazio.pdf", b"", "está vazio"),
]


def test_invalid_forms_are_refused_with_a_clear_message(app, db_ctx, desk):
    defects = {"unlisted": desk.unlisted_defect, "loose": desk.loose_defect}
    client = as_user(app, desk.users[CLIENT])
    for changes, message in INVALID_FORMS:
        changes = {k: defects.get(v, v) for k, v in changes.items()}
        response = post(client, open_url(desk.equipment), form(desk, **changes))
        assert response.status_code == 200, changes
        assert message in response.get_data(as_text=True), changes
    for name, data, message in BAD_FILES:
        response = post(client, open_url(desk.equipment),
                        {**form(desk), "attachments": [(io.BytesIO(data), name)]},
                        content_type="multipart/form-data")
        assert response.status_code == 200, name
        assert message in response.get_data(as_text=True), name
    assert count_calls(db_ctx) == 0


def test_attachments_are_size_and_count_limited(app, db_ctx, desk):
    app.config.update(PWS_CALL_ATTACHMENT_MAX_MB=1, PWS_CALL_ATTACHMENT_MAX_FILES=2)
    client = as_user(app, desk.users[CLIENT])
    big = pdf_bytes() + b"\n%" + b"x" * (1024 * 1024)
    response = post(client, open_url(desk.equipment),
                    {**form(desk), "attachments": [(io.BytesIO(big), "grande.pdf")]},
                    content_type="multipart/form-data")
    assert "excede o limite de 1 MB" in response.get_data(as_text=True)
    files = [(io.BytesIO(png_bytes()), f"foto{i}.png") for i in range(3)]
    response = post(client, open_url(desk.equipment), {**form(desk), "attachments": files},
                    content_type="multipart/form-data")
    assert "Envie no máximo 2 arquivos." in response.get_data(as_text=True)
    assert count_calls(db_ctx) == 0


@pytest.mark.parametrize("status", CallSettings.OPENING_CHOICES)
def test_every_opening_gets_the_companys_default_status(app, db_ctx, desk, status):
    """Configurações → Parâmetros de chamados: the admin's "status padrão para abertura"."""
    admin = as_user(app, desk.users[ADMIN])
    settings = admin.get("/parametros-chamados/").get_data(as_text=True)
    assert 'value="A" selected' in settings  # A until the admin says otherwise
    assert post(admin, f"/parametros-chamados/{desk.company}", {"abertura": status, "pecas": "L"}
                ).status_code == 302
    assert f'value="{status}" selected' in admin.get("/parametros-chamados/").get_data(as_text=True)
    for profile in (CLIENT, TECHNICIAN):
        response = post(as_user(app, desk.users[profile]), open_url(desk.equipment), form(desk))
        assert response.status_code == 302
    with db_ctx():
        for call in ServiceCall.query.all():
            assert call.status == status
            assert (call.sla_paused_at is not None) is (status in CallStatus.PAUSED)
            history = CallStatusChange.query.filter_by(call_id=call.id).one()
            assert (history.from_status, history.to_status) == (None, status)
            feed = ChangeFeedEntry.query.filter_by(entity="service_order", web_id=call.id).one()
            assert feed.data["status"] == status


def test_only_the_offered_statuses_are_saved(app, db_ctx, desk):
    admin = as_user(app, desk.users[ADMIN])
    assert post(admin, f"/parametros-chamados/{desk.company}", {"abertura": "O", "pecas": "L"}).status_code == 302
    assert post(admin, "/parametros-chamados/999999", {"abertura": "E", "pecas": "L"}).status_code == 404
    with db_ctx():
        assert CallSettings.query.filter_by(company_id=desk.company).first() is None


def test_a_call_by_contract_without_equipment_end_to_end(app, db_ctx, desk):
    """§3.1 "Contratos / chamados": choose the contract, then a defect of the third list, then
    the address and contact; the call lists, searches, follows the flow, reaches the app and
    syncs like any other, with equipment_erp_id null."""
    with db_ctx() as session:
        contract = session.get(Contract, desk.contract)
        number, contract_erp = contract.number, contract.erp_id
        company_erp = session.get(Company, desk.company).erp_id
        client_erp = contract.client.erp_id
        technician_erp = session.get(Technician, desk.technician).erp_id
        training = f.defect(DefectType.CONTRACT, name="TREINAMENTO DE USUÁRIOS").id
        f.defect(DefectType.CONTRACT, listed=False, name="REMANEJAMENTO INTERNO")
        plain = f.sync_token()[1]
    client = as_user(app, desk.users[CLIENT])
    found = client.get(f"/chamados/abrir/?tipo=contrato&busca={number}").get_data(as_text=True)
    assert f"/chamados/abrir/?contrato={desk.contract}" in found
    page = client.get(f"/chamados/abrir/?contrato={desk.contract}").get_data(as_text=True)
    assert "TREINAMENTO DE USUÁRIOS" in page and "REMANEJAMENTO INTERNO" not in page
    assert "ATOLAMENTO DE PAPEL" not in page  # the equipment lists are not offered here
    refused = post(client, f"/chamados/abrir/?contrato={desk.contract}",
                   form(desk, defect_type=training, service_address=""))
    assert refused.status_code == 200 and "Informe o endereço do atendimento." in refused.get_data(as_text=True)
    opened = post(client, f"/chamados/abrir/?contrato={desk.contract}",
                  form(desk, defect_type=training, description="Treinar a equipe nova",
                       service_address="Rua das Palmeiras, 20 – Sala 3"))
    assert opened.status_code == 302
    with db_ctx():
        call = ServiceCall.query.one()
        assert call.equipment_id is None and call.contract_id == desk.contract
        assert (call.company_id, call.client_id, call.sla_hours) == (desk.company, desk.client, 8)
        call_id = call.id
    shown = client.get(f"/chamados/show/{call_id}").get_data(as_text=True)
    assert "Rua das Palmeiras, 20 – Sala 3" in shown and "TREINAMENTO DE USUÁRIOS" in shown

    operator = as_user(app, desk.users[CALLS_OPERATOR])
    listing = operator.get(f"/chamados/list/?contrato={number}").get_data(as_text=True)
    assert f"/chamados/show/{call_id}" in listing
    assert f"/chamados/show/{call_id}" in operator.get("/chamados/list/?ordem=prazo").get_data(as_text=True)
    moved = post(operator, f"/chamados/{call_id}/status", {"para": "E", "technician": desk.technician})
    assert moved.status_code == 302
    with db_ctx():
        assert ServiceCall.query.get(call_id).status == CallStatus.DISPATCHED

    tech = jwt_headers(app.test_client(), desk.emails[TECHNICIAN])
    orders = app.test_client().get(f"{API}/chamados", headers=tech).get_json()["result"]
    order = next(o for o in orders if o["id"] == call_id)
    assert order["equipment"] is None and order["service_address"] == "Rua das Palmeiras, 20 – Sala 3"

    sync = app.test_client()
    feed = [c for c in feed_page(sync, plain, limit=500).get_json()["changes"]
            if c["entity"] == "service_order" and c["web_id"] == call_id]
    assert [c["op"] for c in feed] == ["create", "update"]
    assert feed[0]["data"]["equipment_erp_id"] is None and feed[0]["data"]["contract_erp_id"] == contract_erp
    linked = push(sync, plain, [rec("service_order", "OS-CT-1", company_erp_id=company_erp,
                                    client_erp_id=client_erp, contract_erp_id=contract_erp,
                                    equipment_erp_id=None, status="M", technician_erp_id=technician_erp,
                                    opened_at="2026-11-09T10:00:00-03:00", web_id=call_id)])
    assert linked.status_code == 200, linked.get_json()
    with db_ctx():
        call = ServiceCall.query.get(call_id)
        assert (call.erp_id, call.status, call.equipment_id) == ("OS-CT-1", "M", None)

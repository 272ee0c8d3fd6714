"""Abrir chamado through HTTP: equipment lookup, listed defects, attachments, number, feed, e-mail."""
import io
from datetime import datetime

import pytest
import time_machine

from app.calls.models import CallAttachment, CallStatusChange, ServiceCall
from app.notifications.models import OutboxMessage
from app.feed.models import ChangeFeedEntry
from tests.calls_desk import (
    ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGISTICS_OPERATOR,
    SUPPLIES_OPERATOR, TECHNICIAN, as_user, make_desk, pdf_bytes, png_bytes, post,
)


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

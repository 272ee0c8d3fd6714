"""Pré atendimento round trip through the e-mailed links: operator → client → operator."""
import io
from datetime import datetime, timedelta

import pytest
import time_machine

from app.calls.models import CallAttachment, PreServiceMessage, ServiceCall
from app.notifications.models import OutboxMessage
from app.sync.models import ChangeFeedEntry
from tests import factories as f
from tests.calls_desk import (
    ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, as_user, link_in, make_desk,
    pdf_bytes, post,
)
from tests.conftest import login
from app.catalog.models import Client, Equipment
from app.accounts.models import PortalUser


@pytest.fixture
def desk(db_ctx):
    with db_ctx():
        return make_desk()


@pytest.fixture
def call_id(db_ctx, desk):
    with db_ctx() as session:
        opener = session.get(PortalUser, desk.users[CALL_OPENER])
        return f.call(session.get(Client, desk.client), session.get(Equipment, desk.equipment),
                      status="A", opened_by=opener, contact_email="contato@cliente.com.br").id


def write(client, call_id, body, **extra):
    return post(client, f"/chamados/pre-atendimento/{call_id}/mensagem",
                {"body": body, **extra}, content_type="multipart/form-data")


def last_mail(db_ctx, kind):
    with db_ctx():
        mail = OutboxMessage.query.filter_by(kind=kind).order_by(OutboxMessage.id.desc()).first()
        assert mail is not None, f"no {kind} e-mail"
        return mail.recipients.split(","), mail.body_text, mail.body_html


def test_round_trip_through_the_emailed_links(app, db_ctx, desk, call_id):
    operator = as_user(app, desk.users[CALLS_OPERATOR])
    response = write(operator, call_id, "Prezado cliente, envie a foto do painel.",
                     attachments=[(io.BytesIO(pdf_bytes()), "orientacoes.pdf")],
                     headers={"Host": "atacante.example"})
    assert response.status_code == 302
    recipients, text, html = last_mail(db_ctx, "pre_service_message")
    assert set(recipients) == {desk.emails[CALL_OPENER], "contato@cliente.com.br"}
    link = link_in(text)
    assert link.startswith("http://portal.test/chamados/pre-atendimento/")  # PWS_BASE_URL
    assert link in html
    path = link.removeprefix("http://portal.test")

    visitor = app.test_client()
    response = visitor.get(path)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert "painel" not in visitor.get(path, follow_redirects=True).get_data(as_text=True)

    clerk = login(app.test_client(), desk.emails[CALL_OPENER])
    landing = clerk.get(path)
    assert landing.status_code == 302
    assert f"/chamados/show/{call_id}?aba=pre-atendimento" in landing.headers["Location"]
    thread = clerk.get(landing.headers["Location"]).get_data(as_text=True)
    assert "Prezado cliente, envie a foto do painel." in thread
    assert "Aguardando interação" in thread and "orientacoes.pdf" in thread

    assert write(clerk, call_id, "Segue a foto, o painel mostra E-102.").status_code == 302
    recipients, text, _ = last_mail(db_ctx, "pre_service_answer")
    assert recipients == [desk.emails[CALLS_OPERATOR]]
    answer_path = link_in(text).removeprefix("http://portal.test")
    landing = login(app.test_client(), desk.emails[CALLS_OPERATOR]).get(answer_path)
    thread = operator.get(landing.headers["Location"]).get_data(as_text=True)
    assert "Segue a foto, o painel mostra E-102." in thread and "Aguardando resposta" in thread

    with db_ctx():
        directions = [m.direction for m in PreServiceMessage.query.order_by(PreServiceMessage.id)]
        assert directions == ["dealer", "client"]
        assert CallAttachment.query.filter(CallAttachment.message_id.isnot(None)).count() == 1
        feed = ChangeFeedEntry.query.filter_by(entity="pre_service_message").all()
        assert [e.data["direction"] for e in feed] == ["dealer", "client"]
        assert all(e.data["call_web_id"] == call_id for e in feed)


def test_the_first_client_message_goes_to_the_operators_who_follow_calls(app, db_ctx, desk, call_id):
    assert write(as_user(app, desk.users[CLIENT]), call_id, "Alguma novidade?").status_code == 302
    recipients, _, _ = last_mail(db_ctx, "pre_service_answer")
    assert recipients == [desk.emails[ATTENDANCE_OPERATOR]]


def _emailed_path(app, db_ctx, desk, call_id):
    write(as_user(app, desk.users[CALLS_OPERATOR]), call_id, "Qual o contador atual?")
    _, text, _ = last_mail(db_ctx, "pre_service_message")
    return link_in(text).removeprefix("http://portal.test")


def test_links_expire(app, db_ctx, desk, call_id):
    path = _emailed_path(app, db_ctx, desk, call_id)
    with time_machine.travel(datetime.now() + timedelta(days=8)):
        response = as_user(app, desk.users[CALL_OPENER]).get(path)
    assert response.status_code == 410
    assert "expirou ou foi revogado" in response.get_data(as_text=True)


def test_links_can_be_revoked_by_the_dealer_only(app, db_ctx, desk, call_id):
    path = _emailed_path(app, db_ctx, desk, call_id)
    with db_ctx():
        message_id = PreServiceMessage.query.one().id
    revoke = f"/chamados/pre-atendimento/mensagem/{message_id}/revogar"
    assert post(as_user(app, desk.users[CLIENT]), revoke).status_code == 403
    clerk = as_user(app, desk.users[CALL_OPENER])
    assert clerk.get(path).status_code == 302
    assert post(as_user(app, desk.users[CALLS_OPERATOR]), revoke).status_code == 302
    assert clerk.get(path).status_code == 410


def test_links_never_open_a_call_outside_the_user_scope(app, db_ctx, desk, call_id):
    path = _emailed_path(app, db_ctx, desk, call_id)
    with db_ctx() as session:
        stranger = f.user(CLIENT, [session.get(Client, desk.foreign_client).company],
                          [session.get(Client, desk.foreign_client)], client_manager=True).id
    assert as_user(app, stranger).get(path).status_code == 404
    assert as_user(app, desk.users[CALL_OPENER]).get(
        "/chamados/pre-atendimento/token-inventado").status_code == 404


def test_only_calls_in_abertura_take_messages(app, db_ctx, desk, call_id):
    with db_ctx() as session:
        session.get(ServiceCall, call_id).status = "E"
        session.commit()
    response = write(as_user(app, desk.users[CALLS_OPERATOR]), call_id, "Ainda precisa?")
    assert response.status_code == 302
    with db_ctx():
        assert PreServiceMessage.query.count() == 0
        assert OutboxMessage.query.count() == 0


def test_foreign_thread_is_404(app, db_ctx, desk):
    with db_ctx() as session:
        foreign = f.call(session.get(Client, desk.foreign_client), status="A").id
    response = write(as_user(app, desk.users[CLIENT]), foreign, "Olá")
    assert response.status_code == 404
    with db_ctx():
        assert PreServiceMessage.query.count() == 0

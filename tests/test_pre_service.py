"""Pré atendimento round trip through the e-mailed links: operator → client → operator, and the
call's contact answering without an account."""
import io
import re
from datetime import datetime, timedelta

import pytest
import time_machine

from app.calls.models import CallAttachment, PreServiceMessage, ServiceCall
from app.notifications.models import OutboxMessage
from app.feed.models import ChangeFeedEntry
from tests import factories as f
from tests.calls_desk import (
    ADMIN, ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, as_user, make_desk, pdf_bytes,
    post,
)
from tests.conftest import form_csrf_token, login
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


def mails(db_ctx, kind):
    """{address: (text, html)} of the ``kind`` e-mails: one outbox row per recipient."""
    with db_ctx():
        rows = OutboxMessage.query.filter_by(kind=kind).order_by(OutboxMessage.id).all()
        assert rows, f"no {kind} e-mail"
        assert all("," not in row.recipients for row in rows)
        return {row.recipients: (row.body_text, row.body_html) for row in rows}


def contact_link_in(text: str) -> str:
    match = re.search(r"https?://\S+/pre-atendimento/[\w-]+", text)
    assert match, "no contact link in the e-mail"
    return match.group(0).removeprefix("http://portal.test")


def test_round_trip_through_the_emailed_links(app, db_ctx, desk, call_id):
    operator = as_user(app, desk.users[CALLS_OPERATOR])
    response = write(operator, call_id, "Prezado cliente, envie a foto do painel.",
                     attachments=[(io.BytesIO(pdf_bytes()), "orientacoes.pdf")],
                     headers={"Host": "atacante.example"})
    assert response.status_code == 302
    sent = mails(db_ctx, "pre_service_message")
    # The client side who can open the call (the opener, the client's gestor) and the contact.
    assert set(sent) == {desk.emails[CALL_OPENER], desk.emails[CLIENT], "contato@cliente.com.br"}
    text, html = sent[desk.emails[CALL_OPENER]]
    thread_url = f"http://portal.test/chamados/show/{call_id}?aba=pre-atendimento"  # PWS_BASE_URL
    assert thread_url in text and thread_url in html
    assert "/pre-atendimento/" not in text.replace("aba=pre-atendimento", "")  # no token for users
    path = thread_url.removeprefix("http://portal.test")

    visitor = app.test_client()
    response = visitor.get(path)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]

    clerk = login(app.test_client(), desk.emails[CALL_OPENER])
    thread = clerk.get(path).get_data(as_text=True)
    assert "Prezado cliente, envie a foto do painel." in thread
    assert "Aguardando interação" in thread and "orientacoes.pdf" in thread

    assert write(clerk, call_id, "Segue a foto, o painel mostra E-102.").status_code == 302
    answers = mails(db_ctx, "pre_service_answer")
    assert set(answers) == {desk.emails[p] for p in (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR)}
    answer_text, _ = answers[desk.emails[CALLS_OPERATOR]]
    assert thread_url in answer_text
    thread = operator.get(path).get_data(as_text=True)
    assert "Segue a foto, o painel mostra E-102." in thread and "Aguardando resposta" in thread

    with db_ctx():
        directions = [m.direction for m in PreServiceMessage.query.order_by(PreServiceMessage.id)]
        assert directions == ["dealer", "client"]
        assert CallAttachment.query.filter(CallAttachment.message_id.isnot(None)).count() == 1
        feed = ChangeFeedEntry.query.filter_by(entity="pre_service_message").all()
        assert [e.data["direction"] for e in feed] == ["dealer", "client"]
        assert all(e.data["call_web_id"] == call_id for e in feed)


def _contact_path(app, db_ctx, desk, call_id, body="Qual o contador atual?", **extra):
    write(as_user(app, desk.users[CALLS_OPERATOR]), call_id, body, **extra)
    text, html = mails(db_ctx, "pre_service_message")["contato@cliente.com.br"]
    path = contact_link_in(text)
    assert path in html
    return path


def test_the_contact_answers_from_the_email_without_an_account(app, db_ctx, desk, call_id):
    path = _contact_path(app, db_ctx, desk, call_id, "Envie a foto do painel.",
                         attachments=[(io.BytesIO(pdf_bytes()), "orientacoes.pdf")])
    contact = app.test_client()
    page = contact.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    body = page.get_data(as_text=True)
    assert "Envie a foto do painel." in body and "orientacoes.pdf" in body
    assert "/chamados/" not in body  # nothing of the portal: no menu, no call page
    download = re.search(r'href="(/pre-atendimento/[^"]+/anexo/\d+)"', body).group(1)
    assert contact.get(download).status_code == 200

    token = form_csrf_token(contact, path)
    reply = contact.post(path, data={"csrf_token": token, "body": "O painel mostra E-102.",
                                     "attachments": [(io.BytesIO(pdf_bytes()), "painel.pdf")]},
                         content_type="multipart/form-data")
    assert reply.status_code == 302
    assert "O painel mostra E-102." in contact.get(reply.headers["Location"]).get_data(as_text=True)
    with db_ctx():
        answer = PreServiceMessage.query.filter_by(direction="client").one()
        assert answer.author_id is None and answer.author_email == "contato@cliente.com.br"
    assert set(mails(db_ctx, "pre_service_answer")) == {
        desk.emails[p] for p in (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR)}
    thread = as_user(app, desk.users[CALLS_OPERATOR]).get(
        f"/chamados/show/{call_id}?aba=pre-atendimento").get_data(as_text=True)
    assert "O painel mostra E-102." in thread and "contato@cliente.com.br" in thread


def test_the_contact_link_opens_nothing_else(app, db_ctx, desk, call_id):
    path = _contact_path(app, db_ctx, desk, call_id)
    contact = app.test_client()
    assert contact.get(path).status_code == 200
    for url in ("/", f"/chamados/show/{call_id}", "/chamados/list/", "/usuarios/userinfo/",
                "/suprimentos/list/", f"{path}/anexo/999999"):
        assert contact.get(url).status_code in (302, 404), url
    token = form_csrf_token(contact, path)  # the thread page's own form token
    for url in (f"/chamados/pre-atendimento/{call_id}/mensagem", f"/chamados/{call_id}/status"):
        response = contact.post(url, data={"csrf_token": token, "body": "Oi", "para": "C"})
        assert response.status_code == 302 and "/login/" in response.headers["Location"], url
    with db_ctx() as session:
        other = f.call(session.get(Client, desk.client), session.get(Equipment, desk.equipment), status="A")
        other_file = f.call_attachment(other).id
        opening_file = f.call_attachment(session.get(ServiceCall, call_id)).id
    assert contact.get(f"{path}/anexo/{other_file}").status_code == 404  # another call's file
    assert contact.get(f"{path}/anexo/{opening_file}").status_code == 404  # not of the thread
    assert contact.get("/pre-atendimento/token-inventado").status_code == 404


def test_contact_links_expire(app, db_ctx, desk, call_id):
    path = _contact_path(app, db_ctx, desk, call_id)
    with time_machine.travel(datetime.now() + timedelta(days=8)):
        response = app.test_client().get(path)
    assert response.status_code == 410
    assert "expirou ou foi revogado" in response.get_data(as_text=True)


def test_contact_links_can_be_revoked_by_the_dealer_only(app, db_ctx, desk, call_id):
    path = _contact_path(app, db_ctx, desk, call_id)
    with db_ctx():
        message_id = PreServiceMessage.query.one().id
    revoke = f"/chamados/pre-atendimento/mensagem/{message_id}/revogar"
    assert post(as_user(app, desk.users[CLIENT]), revoke).status_code == 403
    contact = app.test_client()
    token = form_csrf_token(contact, path)
    assert post(as_user(app, desk.users[CALLS_OPERATOR]), revoke).status_code == 302
    assert contact.get(path).status_code == 410
    assert contact.post(path, data={"csrf_token": token, "body": "Oi"}).status_code == 410
    with db_ctx():
        assert PreServiceMessage.query.count() == 1


def test_a_contact_with_a_login_who_can_open_the_call_gets_the_portal_link(app, db_ctx, desk, call_id):
    with db_ctx() as session:
        session.get(ServiceCall, call_id).contact_email = desk.emails[CALL_OPENER]
        session.commit()
    write(as_user(app, desk.users[CALLS_OPERATOR]), call_id, "Bom dia")
    sent = mails(db_ctx, "pre_service_message")
    assert set(sent) == {desk.emails[CALL_OPENER], desk.emails[CLIENT]}
    with db_ctx():
        assert PreServiceMessage.query.one().link_token_hash is None


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


def test_a_long_thread_shows_its_newest_messages_and_the_rest_on_demand(app, db_ctx, desk, call_id):
    """A call with 60 messages (one with a file) and 60 changes: its page shows the newest 50 of
    each with a link to the earlier ones; ``?completo=1`` shows them all, each file under its
    own message."""
    from app.calls.models import CallStatusChange
    from app.calls.views import THREAD_NEWEST

    with db_ctx() as session:
        call = session.get(ServiceCall, call_id)
        author = session.get(PortalUser, desk.users[ATTENDANCE_OPERATOR])
        for n in range(60):
            message = f.pre_service_message(call, author, body=f"Mensagem número {n:03d}")
            session.add(CallStatusChange(call_id=call_id, from_status="A", to_status="A", note=f"Nota {n:03d}",
                                         changed_at=datetime(2026, 11, 2, 9) + timedelta(minutes=n)))
        attachment = f.call_attachment(call, name="painel.pdf")
        attachment.message_id = message.id
        session.commit()
    client = as_user(app, desk.users[ATTENDANCE_OPERATOR])
    page = client.get(f"/chamados/show/{call_id}?aba=pre-atendimento").get_data(as_text=True)
    shown = re.findall(r"Mensagem número (\d{3})", page)
    assert shown == [f"{n:03d}" for n in range(60 - THREAD_NEWEST, 60)]
    assert "Mostrar as 10 mensagens anteriores" in page and "Mostrar as 10 alterações anteriores" in page
    assert re.search(r"Mensagem número 059</div></div>\s*<div class=\"panel-footer\">\s*<a [^>]*>"
                     r"<i class=\"fa fa-paperclip\"></i> painel.pdf", page)
    page = client.get(f"/chamados/show/{call_id}?aba=pre-atendimento&completo=1").get_data(as_text=True)
    assert len(re.findall(r"Mensagem número \d{3}", page)) == 60 and len(re.findall(r"Nota \d{3}", page)) == 60
    assert "anteriores" not in page

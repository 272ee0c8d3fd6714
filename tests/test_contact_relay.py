"""The call's contact e-mail is no relay (issue 18.11): an address typed at opening that the
client is not known to use gets one confirmation e-mail (limited per address and per opener)
and the call's e-mails only after its owner confirms; known addresses are told at once.
Over the real SMTP fixture."""
import re

from app.notifications.models import ContactAddress
from tests.calls_desk import (
    ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, as_user, make_desk, post,
)
from tests.conftest import form_csrf_token
from tests.mailtest import app_ctx, html_of, text_of

TARGET = "alvo@externo.com.br"
SPAM = "Promoção imperdível em http://golpe.example"


def open_call(client, desk, contact_email, description=SPAM):
    response = post(client, f"/chamados/abrir/?equipamento={desk.equipment}", {
        "defect_type": desk.defect, "description": description, "contact_name": "Fulano",
        "contact_phone": "(48) 3333-0000", "contact_email": contact_email})
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def to(smtp, address):
    return [m for m in smtp.messages if m["To"] == address]


def test_a_typed_address_gets_mail_only_after_its_owner_confirms(mail_app, smtp):
    with app_ctx(mail_app):
        desk = make_desk()
    client = as_user(mail_app, desk.users[CLIENT])
    call_id = open_call(client, desk, TARGET.upper())
    page = client.get(f"/chamados/show/{call_id}").get_data(as_text=True)
    assert "enviamos a ele um pedido de confirmação" in page

    (confirmation,) = to(smtp, TARGET)  # the address as typed, lower-cased
    assert confirmation["Subject"] == f"Confirme seu e-mail para acompanhar o chamado Nº {call_id}"
    text = text_of(confirmation)
    # Nothing the opener typed travels in it: the portal is no mailer for his text.
    assert SPAM not in text and "golpe.example" not in html_of(confirmation) and "Fulano" not in text
    link = re.search(r"http://portal\.test(/email/confirmar-contato/[\w-]+)", text).group(1)

    open_call(client, desk, TARGET)  # the same address again: no second e-mail within the day
    operator = as_user(mail_app, desk.users[CALLS_OPERATOR])
    assert post(operator, f"/chamados/{call_id}/status", {"para": "C", "note": "Cancelado"}).status_code == 302
    assert len(to(smtp, TARGET)) == 1  # neither the status change nor a second confirmation

    visitor = mail_app.test_client()
    asked = visitor.get(link)
    assert asked.status_code == 200 and "Confirmar meu e-mail" in asked.get_data(as_text=True)
    with app_ctx(mail_app):  # a GET (mail scanners follow links) confirms nothing
        assert ContactAddress.query.filter_by(email=TARGET).one().confirmed_at is None
    done = visitor.post(link, data={"csrf_token": form_csrf_token(visitor, link)})
    assert done.status_code == 200 and "passa a receber" in done.get_data(as_text=True)
    assert "passa a receber" in visitor.get(link).get_data(as_text=True)  # the link stays a receipt

    second = open_call(client, desk, TARGET, description="Toner falhando")
    opened = [m for m in to(smtp, TARGET) if str(second) in m["Subject"]]
    assert len(opened) == 1 and "Toner falhando" in text_of(opened[0])
    assert visitor.get("/email/confirmar-contato/link-forjado").status_code == 404


def test_known_addresses_are_told_at_once_and_openers_are_limited(mail_app, smtp):
    mail_app.config["PWS_CONTACT_CONFIRMATION_LIMIT"] = 2
    with app_ctx(mail_app):
        desk = make_desk()
        from app.catalog.models import Client
        from app.core.db import db

        db.session.get(Client, desk.client).email = "compras@cliente.com.br"
        db.session.commit()
    client = as_user(mail_app, desk.users[CLIENT])
    for known in ("compras@cliente.com.br", desk.emails[CALL_OPENER]):
        call_id = open_call(client, desk, known)
        (mail,) = to(smtp, known)
        assert str(call_id) in mail["Subject"] and "Confirme" not in mail["Subject"]
    for n in range(4):
        open_call(client, desk, f"desconhecido{n}@externo.com.br")
    confirmations = [m["To"] for m in smtp.messages if m["Subject"].startswith("Confirme")]
    assert confirmations == ["desconhecido0@externo.com.br", "desconhecido1@externo.com.br"]
    other = as_user(mail_app, desk.users[ATTENDANCE_OPERATOR])  # another opener has his own count
    open_call(other, desk, "desconhecido3@externo.com.br")
    assert [m["To"] for m in smtp.messages if m["Subject"].startswith("Confirme")][-1] == \
        "desconhecido3@externo.com.br"

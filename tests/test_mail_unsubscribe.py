"""Each message alone in its To:, and the one-click unsubscribe (RFC 8058) it carries."""
import re

from app.accounts.models import EMAIL_PREFERENCES, PortalUser
from app.accounts.principal import principal_for_user_id
from app.accounts.roles import CALLS_OPERATOR, CLIENT
from app.calls import services as calls
from app.core.db import db
from tests import factories as f
from tests.mailtest import app_ctx, html_of, text_of


def _people_and_a_change(app):
    with app_ctx(app) as session:
        company = f.company()
        customer = f.client(company)
        operator = f.user(CALLS_OPERATOR, [company], email="operador@revenda.test", email_call_changed=True,
                          email_call_opened=True)
        client = f.user(CLIENT, [company], [customer], email="gestor@cliente.test", client_manager=True,
                        email_call_changed=True, email_supply_request=True)
        f.confirmed_contact(customer, "contato@cliente.test")
        call = f.call(customer, status="A", contact_email="contato@cliente.test")
        calls.change_status(call, "C", actor=principal_for_user_id(operator.id), note="Cliente desistiu")
        session.commit()
        return operator.id, client.id


def test_every_message_has_one_recipient_and_its_own_unsubscribe_link(mail_app, smtp):
    _people_and_a_change(mail_app)
    assert sorted(smtp.envelopes) == [["contato@cliente.test"], ["gestor@cliente.test"],
                                      ["operador@revenda.test"]]
    by_address = {message["To"]: message for message in smtp.messages}
    assert sorted(by_address) == ["contato@cliente.test", "gestor@cliente.test", "operador@revenda.test"]
    for address in ("gestor@cliente.test", "operador@revenda.test"):
        message = by_address[address]
        assert message["Cc"] is None and message["Bcc"] is None
        link = message["List-Unsubscribe"].strip("<>")
        assert link.startswith("http://portal.test/email/descadastrar/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in text_of(message) and link in html_of(message)
        assert "Cliente desistiu" in text_of(message)
    links = {by_address[a]["List-Unsubscribe"] for a in ("gestor@cliente.test", "operador@revenda.test")}
    assert len(links) == 2  # each his own
    contact = by_address["contato@cliente.test"]
    assert contact["List-Unsubscribe"] is None  # no portal user, no choice to turn off
    assert "Cliente desistiu" not in text_of(contact) and "/chamados/show/" not in text_of(contact)


def _choices(app, user_id):
    with app_ctx(app):
        user = db.session.get(PortalUser, user_id)
        return {name: getattr(user, name) for name in EMAIL_PREFERENCES}


def test_one_click_turns_off_that_kind_only_without_login(mail_app, smtp):
    operator_id, client_id = _people_and_a_change(mail_app)
    message = next(m for m in smtp.messages if m["To"] == "gestor@cliente.test")
    path = message["List-Unsubscribe"].strip("<>").removeprefix("http://portal.test")
    before = _choices(mail_app, client_id)
    operator_before = _choices(mail_app, operator_id)

    visitor = mail_app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "Alteração de Chamado" in page.get_data(as_text=True)
    assert _choices(mail_app, client_id) == before  # a GET (a mail scanner) changes nothing

    response = visitor.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "não receberá mais" in response.get_data(as_text=True)
    assert _choices(mail_app, client_id) == {**before, "email_call_changed": False}
    assert _choices(mail_app, operator_id) == operator_before
    assert visitor.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again: same


def test_a_forged_or_altered_link_does_nothing(mail_app, smtp):
    operator_id, client_id = _people_and_a_change(mail_app)
    message = next(m for m in smtp.messages if m["To"] == "gestor@cliente.test")
    path = message["List-Unsubscribe"].strip("<>").removeprefix("http://portal.test")
    token = path.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    before = (_choices(mail_app, client_id), _choices(mail_app, operator_id))
    from base64 import urlsafe_b64encode

    other_user = urlsafe_b64encode(f'[{operator_id},"email_call_changed"]'.encode()).decode().rstrip("=")
    for forged in (f"{other_user}.{signature}", f"{payload}.{signature[:-2]}xx", "token-inventado"):
        response = mail_app.test_client().post(f"/email/descadastrar/{forged}")
        assert response.status_code == 404, forged
    assert (_choices(mail_app, client_id), _choices(mail_app, operator_id)) == before


def test_each_user_changes_his_own_choices_in_meus_dados(app, db_ctx, client):
    from tests.conftest import form_fields, login_as

    with db_ctx():
        company = f.company()
        customer = f.client(company)
        user = f.user(CLIENT, [company], [customer], email="gestor@cliente.test", client_manager=True)
        user_id = user.id
    login_as(client, user_id)
    page = client.get("/userinfoeditview/form").get_data(as_text=True)
    assert "Recebe e-mail de: Alteração de Chamado" in page
    assert "Recebe e-mail de: Contato" not in page  # a client can not open the contact inbox
    offered = re.findall(r'name="(email_\w+)"', page)
    assert "email_billing_files" in offered and "email_contact" not in offered
    response = client.post("/userinfoeditview/form", data={
        **form_fields(client, "/userinfoeditview/form", "row_version"), "first_name": "Gestora",
        "email_call_changed": "y", "email_contact": "y"})
    assert response.status_code == 302
    with db_ctx():
        saved = db.session.get(PortalUser, user_id)
        assert saved.first_name == "Gestora" and saved.email_call_changed is True
        assert saved.email_contact is False  # not offered: not taken from the form
        assert saved.email_billing_files is False  # offered and left unticked

"""Contato: the form, its validation, and the sender's scope (company and client from him)."""
from sqlalchemy import select

from app.accounts.roles import ADMIN, ATTENDANCE_OPERATOR, CLIENT, FUNCTION_PREFIX
from app.contact.models import ContactMessage
from tests import factories as f
from tests.conftest import csrf_token, login


def _post(http, **fields):
    data = {"csrf_token": csrf_token(http), "kind": "contact", "subject": "Assunto", "message": "Olá", **fields}
    return http.post("/contato/", data=data)


def _messages(db_ctx):
    with db_ctx() as session:
        return [(m.kind, m.subject, m.company_id, m.client_id)
                for m in session.execute(select(ContactMessage).order_by(ContactMessage.id)).scalars()]


def test_a_client_with_several_clients_chooses_among_his_own(app, db_ctx):
    with db_ctx():
        company = f.company()
        mine, branch = f.client(company, "MATRIZ SA"), f.client(company, "FILIAL SA")
        foreign = f.client(company, "ALHEIA SA")
        f.user(CLIENT, [company], [mine, branch], email="cliente@x.test", client_manager=True)
        ids = (company.id, mine.id, branch.id, foreign.id)
    client = app.test_client()
    login(client, "cliente@x.test")
    html = client.get("/contato/").get_data(as_text=True)
    for text in ("Contato", "Oportunidade Comercial", "Assunto", "Mensagem", "Cliente", "MATRIZ SA", "FILIAL SA"):
        assert text in html, text
    assert "ALHEIA SA" not in html
    assert _post(client, client=str(ids[3])).status_code == 404  # another client's id
    assert _post(client, client=str(ids[2]), kind="opportunity", subject="Expansão").status_code == 302
    assert _messages(db_ctx) == [("opportunity", "Expansão", ids[0], ids[2])]
    assert "Mensagem enviada" in client.get("/contato/").get_data(as_text=True)


def test_clear_messages_for_bad_input(app, db_ctx):
    with db_ctx():
        company = f.company()
        f.user(CLIENT, [company], [f.client(company)], email="cliente@x.test")
    client = app.test_client()
    login(client, "cliente@x.test")
    html = _post(client, subject="", message="", kind="outro").get_data(as_text=True)
    for text in ("Informe o assunto.", "Escreva a mensagem.", "Escolha Contato ou Oportunidade Comercial."):
        assert text in html, text
    injected = _post(client, subject="Oi\r\nBcc: todos@x.test")
    assert injected.status_code == 200 and "O assunto deve ter uma linha só." in injected.get_data(as_text=True)
    assert _messages(db_ctx) == []


def test_dealer_staff_with_the_contact_function_write_for_their_company(app, db_ctx):
    with db_ctx():
        company = f.company()
        f.user(ATTENDANCE_OPERATOR, [company], email="staff@x.test", extra_roles=[FUNCTION_PREFIX + "Contato"])
        f.user(ADMIN, email="admin@x.test")
        company_id = company.id
    staff = app.test_client()
    login(staff, "staff@x.test")
    assert "Cliente" not in staff.get("/contato/").get_data(as_text=True).split("<form")[1]
    assert _post(staff, subject="Interno").status_code == 302
    assert _messages(db_ctx) == [("contact", "Interno", company_id, None)]
    admin = app.test_client()
    login(admin, "admin@x.test")
    inbox = admin.get("/contato/mensagens/list/").get_data(as_text=True)
    assert "Mensagens de contato" in inbox and "Interno" in inbox and "staff@x.test" in inbox

"""Routes of Contato: the form (Cliente and "Função: Contato") and the messages (admin and
the attendance desk)."""
from app.catalog.models import Client
from app.core.db import db
from tests import factories as f
from tests.access import ADMIN, ATTENDANCE_OPERATOR, CLIENT, allow

SENDERS = (ADMIN, CLIENT)


def build(ids, users):
    customer = db.session.get(Client, ids["client"])
    return {"contact_message": f.contact_message(customer, users[CLIENT]).id}


ROUTES = {
    ("GET", "/contato/"): allow(*SENDERS),
    ("POST", "/contato/#kind=contact&subject=Teste&message=Bom dia"): allow(*SENDERS, ok=302),
    ("GET", "/contato/mensagens/list/"): allow(ADMIN, ATTENDANCE_OPERATOR),
    ("GET", "/contato/mensagens/show/{contact_message}"): allow(ADMIN, ATTENDANCE_OPERATOR),
}

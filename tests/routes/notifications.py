"""Routes of E-mails enviados (admin only)."""
from tests import factories as f
from tests.access import ADMIN, CLIENT, allow, public


def build(ids, users):
    from app.notifications.unsubscribe import unsubscribe_url

    from datetime import timedelta

    from app.core import tokens
    from app.core.db import db, utcnow
    from app.notifications.models import ContactAddress

    link = unsubscribe_url(users[CLIENT].id, "call_changed")
    token, digest = tokens.new_token()
    db.session.add(ContactAddress(client_id=ids["client"], email="contato-novo@cliente.com.br",
                                  token_hash=digest, expires_at=utcnow() + timedelta(days=7)))
    db.session.commit()
    return {"outbox": f.outbox_message(status="failed").id, "unsubscribe_token": link.rsplit("/", 1)[1],
            "contact_confirmation_token": token}


ROUTES = {
    ("GET", "/emails/list/"): allow(ADMIN),
    ("GET", "/emails/list/?situacao=failed&tipo=contact"): allow(ADMIN),
    ("GET", "/emails/show/{outbox}"): allow(ADMIN),
    ("GET", "/emails/eml/{outbox}"): allow(ADMIN),
    ("GET", "/emails/html/{outbox}"): allow(ADMIN),
    ("POST", "/emails/action/retry/{outbox}"): allow(ADMIN, ok=302),
    ("POST", "/emails/action_post#action=retry&rowid={outbox}"): allow(ADMIN, ok=302),
    # One-click unsubscribe: the signed link is the authority, the same answer for everyone.
    ("GET", "/email/descadastrar/{unsubscribe_token}"): public(),
    ("POST", "/email/descadastrar/{unsubscribe_token}"): public(),
    ("GET", "/email/descadastrar/link-forjado"): public(404),
    # The call contact's confirmation link: the unguessable token is the authority.
    ("GET", "/email/confirmar-contato/{contact_confirmation_token}"): public(),
    ("POST", "/email/confirmar-contato/{contact_confirmation_token}"): public(),
    ("GET", "/email/confirmar-contato/link-forjado"): public(404),
}

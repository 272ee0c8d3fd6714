"""Contato (§1): a message kept, sent by e-mail to the staff who asked for it, and told to the ERP."""
from flask import current_app

from app.accounts.models import PortalUser
from app.contact.models import ContactMessage
from app.core.db import db
from app.core.scoping import check_references
from app.notifications.outbox import queue_email
from app.notifications.recipients import readers
from app.feed.changes import record_change

KINDS = (ContactMessage.CONTACT, ContactMessage.OPPORTUNITY)


def send_contact(sender: PortalUser, *, kind: str, subject: str, message: str,
                 client=None, company_id: int | None = None) -> ContactMessage:
    """Store the message and queue its e-mail in the caller's transaction (the caller commits).

    The company and client come from the sender: his client (and its company), or for
    dealer staff the company he works in; ``check_references`` refuses anything else.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown contact kind {kind!r}")
    row = ContactMessage(
        sender_id=sender.id, kind=kind, subject=subject.strip(), message=message.strip(),
        client_id=client.id if client else None,
        company_id=client.company_id if client else company_id,
    )
    db.session.add(row)
    check_references(db.session, row)
    db.session.flush()
    queue_email(kind, readers(kind, row), {
        "contact": row, "sender": sender, "client": client,
        "url": f"{current_app.config['PWS_BASE_URL']}/contato/mensagens/show/{row.id}",
    })
    record_change("contact", "create", web_id=row.id, company_id=row.company_id, data={
        "kind": kind, "subject": row.subject, "message": row.message,
        "client_id": row.client_id, "sender_name": sender.name, "sender_email": sender.email,
    })
    return row

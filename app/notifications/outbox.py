"""queue_email(): every notification enters the outbox in the caller's transaction.

Each recipient gets his own message, rendered now (HTML + text, pt-BR) with his own links and
delivered after commit by app.notifications.delivery; a rollback discards them with the change
that caused them. Nobody sees another recipient's address.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app, render_template

from app.core.db import db, on_rollback
from app.notifications.models import OutboxMessage
from app.notifications.unsubscribe import unsubscribe_url

PENDING_KEY = "pws_outbox_pending"


@dataclass
class Recipient:
    """One address an e-mail goes to, alone in its To:. ``user_id`` None: the call's contact.
    ``context`` is what differs in his copy (his link, what he may not be told)."""

    address: str
    user_id: int | None = None
    context: dict = field(default_factory=dict)


def queue_email(kind: str, recipients: Iterable[Recipient | str], context: dict) -> list[OutboxMessage]:
    """One outbox row per address, from ``email/<kind>.{subject.txt,txt,html}``.

    A plain string is an address without a portal user. An address listed twice gets the
    first listing's copy: callers list the users who can open the page before the contact.
    """
    base = {"dealer_name": current_app.config["PWS_DEALER_NAME"],
            "base_url": current_app.config["PWS_BASE_URL"], **context}
    messages, seen = [], set()
    for recipient in recipients:
        if isinstance(recipient, str):
            recipient = Recipient(recipient)
        address = (recipient.address or "").strip().lower()
        if not address or address in seen:
            continue
        seen.add(address)
        values = {**base, **recipient.context,
                  "unsubscribe_url": unsubscribe_url(recipient.user_id, kind)}
        message = OutboxMessage(
            kind=kind,
            recipients=address,
            user_id=recipient.user_id,
            # One line, whatever the user typed: no header injection through a subject.
            subject=" ".join(render_template(f"email/{kind}.subject.txt", **values).split())[:255],
            body_text=render_template(f"email/{kind}.txt", **values),
            body_html=render_template(f"email/{kind}.html", **values),
        )
        db.session.add(message)
        deliver_on_commit(message)
        messages.append(message)
    return messages


def deliver_on_commit(message: OutboxMessage) -> None:
    """Deliver this row once the current transaction commits (nothing if it rolls back): the
    hand-off after the commit is app.notifications.delivery's."""
    db.session.info.setdefault(PENDING_KEY, []).append(message)


@on_rollback
def _after_rollback(session):
    session.info.pop(PENDING_KEY, None)

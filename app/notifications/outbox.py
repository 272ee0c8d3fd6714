"""queue_email(): every notification enters the outbox in the caller's transaction.

The message is rendered now (HTML + text, pt-BR) and delivered after commit by
app.notifications.delivery; a rollback discards it with the change that caused it.
"""
from collections.abc import Iterable

from flask import current_app, render_template
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.core.db import db
from app.notifications.models import OutboxMessage

_PENDING_KEY = "pws_outbox_pending"


def queue_email(kind: str, recipients: Iterable[str], context: dict) -> OutboxMessage | None:
    """Render templates ``email/<kind>.{subject.txt,txt,html}`` and add one outbox row."""
    to = sorted({address.strip().lower() for address in recipients if address and address.strip()})
    if not to:
        return None
    context = {
        "dealer_name": current_app.config["PWS_DEALER_NAME"],
        "base_url": current_app.config["PWS_BASE_URL"],
        **context,
    }
    message = OutboxMessage(
        kind=kind,
        recipients=",".join(to),
        # One line, whatever the user typed: no header injection through a subject.
        subject=" ".join(render_template(f"email/{kind}.subject.txt", **context).split())[:255],
        body_text=render_template(f"email/{kind}.txt", **context),
        body_html=render_template(f"email/{kind}.html", **context),
    )
    db.session.add(message)
    deliver_on_commit(message)
    return message


def deliver_on_commit(message: OutboxMessage) -> None:
    """Deliver this row once the current transaction commits (nothing if it rolls back)."""
    db.session.info.setdefault(_PENDING_KEY, []).append(message)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    pending = session.info.pop(_PENDING_KEY, [])
    identities = (inspect(m).identity for m in pending)
    ids = [identity[0] for identity in identities if identity]
    if ids:
        from app.notifications.delivery import deliver_after_commit

        deliver_after_commit(ids)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, _previous_transaction):
    session.info.pop(_PENDING_KEY, None)

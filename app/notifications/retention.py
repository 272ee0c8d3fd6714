"""Retention of E-mails enviados: a sent message older than the retention keeps what the list and
an audit need (kind, recipient, subject, status, attempts, dates) and loses its bodies and its
local .eml copy. The outbox would otherwise grow by every body ever sent."""
from datetime import timedelta

from sqlalchemy import or_, select, update

from app.core.db import db, utcnow
from app.notifications.models import OutboxMessage
from app.notifications.sending import eml_path

CHUNK = 1000


def drop_sent_bodies(days: int, *, chunk: int = CHUNK) -> int:
    """Empty the bodies of messages sent more than ``days`` ago, ``chunk`` rows a transaction
    (short locks on a busy table); returns how many. Running it again finds nothing to do."""
    cutoff, total, after = utcnow() - timedelta(days=days), 0, 0
    while True:
        ids = db.session.execute(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxMessage.SENT, OutboxMessage.sent_at < cutoff,
                   OutboxMessage.id > after,
                   or_(OutboxMessage.body_text != "", OutboxMessage.body_html != ""))
            .order_by(OutboxMessage.id).limit(chunk)).scalars().all()
        if not ids:
            return total
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                           .values(body_text="", body_html=""))
        db.session.commit()
        for pk in ids:
            eml_path(pk).unlink(missing_ok=True)
        total, after = total + len(ids), ids[-1]

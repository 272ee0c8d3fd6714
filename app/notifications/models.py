"""The e-mail outbox: written in the same transaction as the change that causes it."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from app.core.db import IdMixin, exact_string, utcnow
from app.core.scoping import Scope

ADDRESS_LENGTH = 320  # an address's longest: 64 for the local part, @, 255 for the domain


class OutboxMessage(IdMixin, Model):
    __tablename__ = "outbox_message"
    __scope__ = Scope(dealer_only=True)
    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    kind = Column(String(40), nullable=False)
    # One address a row (app.notifications.outbox.queue_email); searched by its distinct values
    # (app.core.search.FilterContainsValues: a few thousand addresses in 500,000 messages).
    recipients = Column(String(ADDRESS_LENGTH), nullable=False, info={"search": "values"})
    # The portal user the message is for (one recipient a row); None for a call's contact.
    user_id = Column(Integer, index=True)
    subject = Column(String(255), nullable=False)
    body_text = Column(Text, nullable=False)
    body_html = Column(Text, nullable=False)
    status = Column(String(10), nullable=False, default=PENDING)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    locked_at = Column(DateTime)
    sent_at = Column(DateTime)


Index("ix_outbox_status_next", OutboxMessage.status, OutboxMessage.next_attempt_at)
# E-mails enviados at 500k rows: an index for each sort, and for each filter with the default
# order (newest first), status + sent_at for the retention, MariaDB FULLTEXT for "Contém" on the subject
# (app.core.search.contains; SQLite gets a plain index it does not use), and the address with the
# date for the address searches.
Index("ix_outbox_created", OutboxMessage.created_at)
Index("ix_outbox_status_created", OutboxMessage.status, OutboxMessage.created_at)
Index("ix_outbox_kind_created", OutboxMessage.kind, OutboxMessage.created_at)
Index("ix_outbox_status_sent", OutboxMessage.status, OutboxMessage.sent_at)
Index("ix_outbox_sent", OutboxMessage.sent_at)
Index("ix_outbox_attempts", OutboxMessage.attempts)
Index("ix_outbox_subject_words", OutboxMessage.subject, mysql_prefix="FULLTEXT")
Index("ix_outbox_recipients_created", OutboxMessage.recipients, OutboxMessage.created_at)


class ContactAddress(IdMixin, Model):
    """An address typed as a call's contact that the client is not known to use (neither the
    client's e-mail from the ERP nor one of its users): the call's e-mails reach it only once
    its owner confirmed it through the one e-mailed link (app.notifications.contacts)."""

    __tablename__ = "contact_address"
    __scope__ = Scope(dealer_only=True)
    client_id = Column(Integer, ForeignKey("client.id", ondelete="CASCADE"), nullable=False)
    email = Column(String(320), nullable=False, index=True)  # stored lower-case
    token_hash = Column(exact_string(64), unique=True)
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    requested_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    confirmed_at = Column(DateTime)
    __table_args__ = (UniqueConstraint("client_id", "email", name="uq_contact_address_client_email"),)

"""ERP synchronisation: tokens and received batches (the change feed is app.feed)."""
from flask_appbuilder import Model
from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from app.core.changelog import Tracked
from app.core.i18n import lazy_gettext as _l
from app.core.db import IdMixin, exact_string, utcnow
from app.core.scoping import Scope


class SyncToken(IdMixin, Model):
    """A synchronizer's bearer token: only its sha256 is kept; revoked tokens stay for history."""

    __tablename__ = "sync_token"
    # Every call of the synchronizer touches these; the admin changes the name and revocation.
    __changelog__ = Tracked(label=_l("Token de sincronismo"), ignore=(
        "last_used_at", "last_heartbeat_at", "agent", "agent_version", "acked_cursor", "acked_at"))
    __scope__ = Scope(dealer_only=True)
    name = Column(String(80), nullable=False, unique=True)
    token_hash = Column(exact_string(64), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    revoked_at = Column(DateTime)
    last_used_at = Column(DateTime, index=True)
    last_heartbeat_at = Column(DateTime)
    agent = Column(String(120))
    agent_version = Column(String(40))
    acked_cursor = Column(BigInteger)
    acked_at = Column(DateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __str__(self) -> str:
        return self.name


class SyncBatch(IdMixin, Model):
    """A batch received from the ERP: applied (replaying its batch_id returns ``result``) or
    rejected (``result`` keeps the errors for the monitor; the same batch_id may be sent again)."""

    __tablename__ = "sync_batch"
    __changelog__ = Tracked(label=_l("Lote do ILUX"))
    __scope__ = Scope(dealer_only=True)
    APPLIED, REJECTED = "applied", "rejected"
    batch_id = Column(exact_string(64), nullable=False, unique=True)
    token_id = Column(Integer, ForeignKey("sync_token.id"), index=True)
    status = Column(String(10), nullable=False, default=APPLIED)
    content_hash = Column(exact_string(64), nullable=False)
    record_count = Column(Integer, nullable=False)
    error_count = Column(Integer, nullable=False, default=0)
    result = Column(JSON, nullable=False)
    received_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    token = relationship("SyncToken")

    def __str__(self) -> str:
        return self.batch_id

"""ERP synchronisation: tokens, applied batches and the portal's change feed."""
from flask_appbuilder import Model
from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from app.core.db import IdMixin, utcnow
from app.core.scoping import Scope


class SyncToken(IdMixin, Model):
    __tablename__ = "sync_token"
    __scope__ = Scope(dealer_only=True)
    name = Column(String(80), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    revoked_at = Column(DateTime)
    last_used_at = Column(DateTime)
    last_heartbeat_at = Column(DateTime)
    agent = Column(String(120))
    agent_version = Column(String(40))
    acked_cursor = Column(BigInteger)
    acked_at = Column(DateTime)

    def __str__(self) -> str:
        return self.name


class SyncBatch(IdMixin, Model):
    """A batch already applied: replaying its batch_id returns the stored result."""

    __tablename__ = "sync_batch"
    __scope__ = Scope(dealer_only=True)
    batch_id = Column(String(64), nullable=False, unique=True)
    token_id = Column(Integer, ForeignKey("sync_token.id"), index=True)
    content_hash = Column(String(64), nullable=False)
    record_count = Column(Integer, nullable=False)
    result = Column(JSON, nullable=False)
    applied_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    token = relationship("SyncToken")


class ChangeFeedEntry(Model):
    """What happened in the portal that the ERP must know, in commit order by seq."""

    __tablename__ = "change_feed"
    __scope__ = Scope(dealer_only=True)
    seq = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    entity = Column(String(30), nullable=False)
    op = Column(String(10), nullable=False)
    web_id = Column(Integer)
    erp_id = Column(String(40))
    company_id = Column(Integer, ForeignKey("company.id"))
    data = Column(JSON, nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)


Index("ix_change_feed_entity_web", ChangeFeedEntry.entity, ChangeFeedEntry.web_id)

"""The change feed: what happened in the portal that the ERP must know, written by the areas in
their own transactions (app.feed.changes.record_change) and read by the sync API."""
from flask_appbuilder import Model
from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer, String

from app.core.db import exact_string, utcnow
from app.core.scoping import Scope


class ChangeFeedEntry(Model):
    """What happened in the portal that the ERP must know.

    ``id`` is the insert order; ``seq`` is the order the ERP reads, given only after the
    entry's transaction committed (app.feed.changes.sequence_committed), so no reader can pass
    an entry that is still invisible to it. See docs/sync.md ("Feed ordering").
    """

    __tablename__ = "change_feed"
    __scope__ = Scope(dealer_only=True)
    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    seq = Column(BigInteger, unique=True)
    entity = Column(String(30), nullable=False)
    op = Column(String(10), nullable=False)
    web_id = Column(Integer)
    erp_id = Column(exact_string(40))
    company_id = Column(Integer, ForeignKey("company.id"))
    data = Column(JSON, nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)


Index("ix_change_feed_entity_web", ChangeFeedEntry.entity, ChangeFeedEntry.web_id)


class SyncFeedState(Model):
    """One row: the last seq handed out and how far retention purged. Locking it serialises
    the sequencer across app servers."""

    __tablename__ = "sync_feed_state"
    __scope__ = Scope(dealer_only=True)
    id = Column(Integer, primary_key=True, autoincrement=False)
    last_seq = Column(BigInteger, nullable=False, default=0)
    purged_through = Column(BigInteger, nullable=False, default=0)
    sequenced_at = Column(DateTime)

"""The one SQLAlchemy handle, bound to FAB's declarative base so Alembic sees every table."""
from datetime import datetime, timezone

from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from sqlalchemy import Boolean, Column, DateTime, Integer, String

db = SQLA(model_class=Model)


def utcnow() -> datetime:
    """Naive UTC: every timestamp is stored in UTC and shown in America/Sao_Paulo."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class TimestampMixin:
    created_at = Column(DateTime, default=utcnow, nullable=False, index=True)
    updated_at = Column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ErpMixin:
    """A row the ERP owns: its id there, and whether it is still active there."""

    erp_id = Column(String(40), unique=True, nullable=True)
    active = Column(Boolean, default=True, nullable=False, index=True)


class IdMixin:
    id = Column(Integer, primary_key=True)

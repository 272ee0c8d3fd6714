"""Registro de alterações: who created, changed or deleted which row, field by field (NetBox's
ObjectChange).

One mechanism: a model declares ``__changelog__ = Tracked(...)`` and every ORM flush that
creates, updates or deletes one of its rows adds an ``ObjectChange`` in the same transaction,
whichever screen (generated or hand-written), service or command made it. The actor is the
request's principal (none outside a request: the system). Writes that bypass the ORM (the
ERP sync's bulk statements) are not seen row by row: the sync records its batch instead, and
``grouped()`` keeps per-row entries out of such a batch.
"""
from __future__ import annotations

import enum
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import (
    JSON, Column, DateTime, ForeignKey, Index, Integer, String, delete, event, insert, inspect, select, update,
)
from sqlalchemy.orm import ONETOMANY, Session, relationship

from app.core.concurrency import VERSION
from app.core.db import IdMixin, on_commit, on_rollback, utcnow
from app.core.scoping import Scope, current_principal

CREATE, UPDATE, DELETE = "create", "update", "delete"
# Bookkeeping every table keeps on its own: never a change someone made.
IGNORED = frozenset({"created_at", "updated_at", "created_on", "changed_on", "created_by_fk",
                     "changed_by_fk", "created_by", "changed_by", VERSION})
# A secret field (a password hash) changed: its values are never written down.
HIDDEN, HIDDEN_NEW = "***", "***new"
_SUSPENDED = "pws_changelog_suspended"
_REDACTED = "pws_changelog_redacted"
_STORED = "pws_changelog_stored"
_WRITTEN = "pws_changelog_written"


@dataclass(frozen=True)
class Tracked:
    """A model's changes go to the log. ``ignore``: columns that change without anyone editing
    the row (last login, counters); ``secret``: recorded as changed, value hidden."""

    label: object = ""
    ignore: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()


def tracked_models() -> dict[str, Tracked]:
    """Model name -> its declaration, for every model whose changes are logged."""
    return {mapper.class_.__name__: mapper.class_.__changelog__ for mapper in Model.registry.mappers
            if "__changelog__" in vars(mapper.class_)}


class ObjectChange(IdMixin, Model):
    __tablename__ = "object_change"
    __scope__ = Scope(dealer_only=True)
    __table_args__ = (Index("ix_object_change_object", "object_type", "object_id"),)
    CREATE, UPDATE, DELETE = CREATE, UPDATE, DELETE
    changed_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    action = Column(String(10), nullable=False)
    object_type = Column(String(60), nullable=False)
    object_id = Column(Integer)
    object_repr = Column(String(200), nullable=False, default="")
    # {field: [before, after]}; a create has no before, a delete no after.
    changes = Column(JSON, nullable=False)
    user = relationship("PortalUser", foreign_keys=[user_id])


@contextmanager
def grouped(session):
    """Per-row entries off while a bulk operation (an ERP batch) runs: it records itself once."""
    session.info[_SUSPENDED] = session.info.get(_SUSPENDED, 0) + 1
    try:
        yield
    finally:
        session.info[_SUSPENDED] -= 1


def redact(session, model, pk: int) -> None:
    """LGPD: the values recorded for one row are erased (older entries and this transaction's)."""
    session.info.setdefault(_REDACTED, set()).add((model.__name__, pk))
    rows = session.query(ObjectChange).filter_by(object_type=model.__name__, object_id=pk)
    for row in rows:
        row.changes = {name: [None, None] for name in row.changes}
        row.object_repr = ""


def _value(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)  # Decimal, Time, …


def _names(rows) -> list[str]:
    return sorted(str(row) for row in rows)


def _stored(session, state) -> dict:
    """The row's columns as the database holds them before this flush writes it (an edit form
    may not have loaded them all, so the attributes' history alone cannot say "before")."""
    mapper = state.mapper
    attrs = [attr for attr in mapper.column_attrs if len(attr.columns) == 1]
    pk = mapper.primary_key[0]
    row = session.execute(select(*(attr.columns[0] for attr in attrs))
                          .where(pk == state.identity[0])).first()
    return {} if row is None else {attr.key: value for attr, value in zip(attrs, row)}


def _diff(state, tracked: Tracked, action: str, stored: dict) -> dict:
    mapper = state.mapper
    skip = IGNORED | set(tracked.ignore)
    changes: dict = {}
    for relation in mapper.relationships:
        if relation.key in skip or relation.viewonly or relation.direction is ONETOMANY:
            continue
        history = state.attrs[relation.key].history
        if action == UPDATE and not history.has_changes():
            continue
        before = [*history.unchanged, *history.deleted]
        after = [*history.unchanged, *history.added]
        if relation.uselist:
            pair = [_names(before), _names(after)]
        else:
            pair = [str(before[0]) if before and before[0] is not None else None,
                    str(after[0]) if after and after[0] is not None else None]
            if pair == [None, None]:
                continue  # not loaded: its key column says it
            skip |= {column.key for column in relation.local_columns}
        changes[relation.key] = pair
    for attr in mapper.column_attrs:
        if attr.key in skip or attr.key in changes or attr.columns[0].primary_key:
            continue
        before = stored.get(attr.key) if action != CREATE else None
        after = state.dict.get(attr.key, before) if action != DELETE else None
        pair = [_value(before), _value(after)]
        if attr.key in tracked.secret and pair[0] != pair[1]:
            pair = [None if pair[0] is None else HIDDEN, None if pair[1] is None else HIDDEN_NEW]
        changes[attr.key] = pair
    if action == CREATE:
        changes = {name: [None, after] for name, (_before, after) in changes.items() if after not in (None, "", [])}
    elif action == DELETE:
        changes = {name: [before, None] for name, (before, _after) in changes.items() if before not in (None, "", [])}
    return changes


@event.listens_for(Session, "before_flush")
def _read_stored(session, _flush_context, _instances):
    """The stored values of the tracked rows this flush updates or deletes."""
    if session.info.get(_SUSPENDED):
        return
    stored = session.info[_STORED] = {}
    for obj in [*session.dirty, *session.deleted]:
        state = inspect(obj)
        tracked = getattr(type(obj), "__changelog__", None)
        if tracked is None or not state.identity:
            continue
        edited = set(state.committed_state) - IGNORED - set(tracked.ignore)
        if edited or obj in session.deleted:  # not a login or a heartbeat alone
            # its name too: a deleted row cannot be read once the flush has run
            stored[state.key] = (_stored(session, state), str(obj)[:200])


@event.listens_for(Session, "after_flush")
def _record(session, _flush_context):
    """After the flush (ids known, relations' history not yet reset): one entry per row and
    transaction; a row written by several flushes keeps its first "before" and last "after"."""
    stored = session.info.pop(_STORED, {})
    if session.info.get(_SUSPENDED):
        return
    candidates = [(obj, CREATE) for obj in session.new] + [(obj, DELETE) for obj in session.deleted] \
        + [(obj, UPDATE) for obj in session.dirty if obj not in session.deleted]
    candidates = [(inspect(obj), action) for obj, action in candidates if hasattr(type(obj), "__changelog__")]
    if not candidates:
        return
    actor_id = current_principal().user_id
    redacted = session.info.get(_REDACTED, set())
    written = session.info.setdefault(_WRITTEN, {})
    connection = session.connection()
    table = ObjectChange.__table__
    for state, action in candidates:
        model = state.mapper.class_
        if action != CREATE and state.key not in stored:
            continue  # nothing but ignored columns changed
        values, representation = stored.get(state.key) or ({}, None)
        changes = _diff(state, model.__changelog__, action, values)
        pk = state.dict.get(state.mapper.primary_key[0].key)  # a new row has no identity key yet
        key = (model.__name__, pk)
        earlier = written.get(key)
        if earlier is not None:  # the same row again in this transaction: one entry
            entry_id, first_action, first = earlier
            changes = {name: [first.get(name, pair)[0], pair[1]] for name, pair in {**first, **changes}.items()}
            changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1] or first_action != UPDATE}
            final = first_action if action != DELETE else DELETE
            if (first_action == CREATE and action == DELETE) or not changes:
                connection.execute(delete(table).where(table.c.id == entry_id))  # nothing happened
                written.pop(key)
                continue
            written[key] = (entry_id, final, changes)
            if key in redacted:
                changes = {name: [None, None] for name in changes}
            connection.execute(update(table).where(table.c.id == entry_id).values(action=final, changes=changes))
            continue
        if action == UPDATE:
            changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
            if not changes:
                continue
        representation = representation if representation is not None else str(state.obj())[:200]
        if key in redacted:
            changes, representation = {name: [None, None] for name in changes}, ""
        result = connection.execute(insert(table).values(
            changed_at=utcnow(), user_id=actor_id, action=action, object_type=model.__name__,
            object_id=pk, object_repr=representation, changes=changes))
        written[key] = (result.inserted_primary_key[0], action, changes)


@on_commit
@on_rollback
def _forget_transaction(session):
    session.info.pop(_REDACTED, None)
    session.info.pop(_WRITTEN, None)

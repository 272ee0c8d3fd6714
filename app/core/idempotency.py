"""One answer per form display: the hidden token every create form carries.

A form is rendered with a fresh random token (``form_token``, a Jinja global); its POST first
records the token's hash in its own transaction (``first_answer``), as its first write. The
unique key is the arbiter: a second POST with the same token waits on the first one's insert
(MariaDB's row lock, SQLite's write lock) and, once the first committed, finds its row and gets
the first answer (the same redirect) instead of a second call, request or message. A first
POST that fails (form errors, a database error) rolls its row back with everything else, so the
corrected form can be sent again. Keys are kept KEPT_HOURS (24) at least: the daily
``flask pws purge-idempotency`` drops older ones. See docs/reliability.md.

The technicians' app API has its own client ids (``uid``) and the ERP's batches theirs: they
do not use this table.
"""
import secrets
from datetime import timedelta

from flask import flash, redirect, request
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, String, delete, select
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from app.core.db import IdMixin, db, exact_string, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import Scope, current_principal
from app.core.tokens import MAX_TOKEN_LENGTH, digest

FIELD = "pws_form_token"
KEPT_HOURS = 24
_CLAIMED = "pws_idempotency_row"
REPEATED = _l("Este formulário já tinha sido enviado: nada foi criado de novo, este é o resultado "
              "do primeiro envio.")


class IdempotencyKey(IdMixin, Model):
    """A create form's token (hashed with its user and path) and where its first POST led."""

    __tablename__ = "idempotency_key"
    __scope__ = Scope(dealer_only=True)
    key_hash = Column(exact_string(64), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    location = Column(String(500))


def form_token() -> str:
    """A new token for one display of a create form (``{{ form_token() }}`` in templates)."""
    return secrets.token_urlsafe(24)


class FormTokenField(HiddenField):
    """The token in a generated (FAB) add form: new at each display, never written to the row."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, default=form_token, **kwargs)
        self.type = "HiddenField"  # FAB's form macro leaves hidden fields to ``hidden_tag``

    def populate_obj(self, obj, name):
        """Not a column: the token is kept in the idempotency table."""


def _key_hash(raw: str) -> str:
    user_id = current_principal().user_id
    return digest(f"{user_id or ''}:{request.path}:{raw}")


def first_answer():
    """None when this POST is the first with its form token (or carries none): the caller goes
    on, calls ``remember`` with where it leads, and commits. Otherwise the first POST's answer,
    once that one committed."""
    raw = request.form.get(FIELD, "")
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    key_hash = _key_hash(raw)
    row = IdempotencyKey(key_hash=key_hash)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # a fresh transaction: it sees the first POST's committed row
        location = db.session.execute(select(IdempotencyKey.location).where(
            IdempotencyKey.key_hash == key_hash)).scalar_one_or_none()
        flash(str(REPEATED), "info")
        return redirect(location or request.url, 303)
    request.environ[_CLAIMED] = row
    return None


def remember(location: str) -> str:
    """Where the first POST led, kept with its token for the repeats; returns ``location``."""
    row = request.environ.get(_CLAIMED)
    if row is not None:
        row.location = location[:500]
    return location


def purge() -> int:
    """Drop the keys older than the repeat window; returns how many."""
    result = db.session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.created_at < utcnow() - timedelta(hours=KEPT_HOURS)))
    db.session.commit()
    return result.rowcount

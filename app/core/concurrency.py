"""Optimistic concurrency: every row people edit through a form carries a version.

The version is SQLAlchemy's ``version_id_col``: each ORM update is
``UPDATE … SET row_version = n + 1 WHERE id = … AND row_version = n``, so of two writers that
read the same version only the first changes the row (the other's flush finds no row:
``StaleDataError``), on MariaDB and SQLite alike. Edit forms carry the version the user saw
(``VersionField``), so a form shown before someone else saved is refused, not silently applied
over the other change. See docs/reliability.md.
"""
from flask import g
from sqlalchemy import Column, Integer
from sqlalchemy.orm import declared_attr
from wtforms import HiddenField

from app.core.i18n import lazy_gettext as _l

VERSION = "row_version"
_STALE = "pws_stale_edit"

STALE_MESSAGE = _l("Outra pessoa alterou este registro enquanto você o editava. Nada foi salvo: "
                   "o formulário mostra agora os dados atuais; refaça sua alteração se ainda for o caso.")


class Versioned:
    """Mixin of a model people edit: the row's version, checked by every ORM update."""

    row_version = Column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.row_version}


def is_versioned(model) -> bool:
    column = model.__mapper__.version_id_col
    return column is not None and column.key == VERSION


class StaleEdit(Exception):
    """The row changed since the user's form was shown (or while it was being saved)."""

    def __init__(self, message=STALE_MESSAGE):
        super().__init__(str(message))


class VersionField(HiddenField):
    """The version the form was shown with: filled from the row, checked, never written to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "HiddenField"  # FAB's form macro leaves hidden fields to ``hidden_tag``

    def populate_obj(self, obj, name):
        """The row's own version moves only through the ORM's check."""


def seen_is_current(item, seen) -> bool:
    """Whether the version a form carried is the row's version as read in this request."""
    return str(seen or "").strip() == str(getattr(item, VERSION))


def check_seen(item, seen) -> None:
    if not seen_is_current(item, seen):
        raise StaleEdit()


def mark_stale() -> None:
    """Tell the view that answers this request that its write lost to another one."""
    g.setdefault(_STALE, True)


def was_stale() -> bool:
    return bool(g.get(_STALE))

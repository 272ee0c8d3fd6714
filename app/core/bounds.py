"""How long a text and how large a number a column holds, said once.

Generated forms (``ColumnBoundForms``), hand-written forms (``ColumnBoundForm``), values read
straight from a request (``raw_problems``, ``whole_number``), the technicians' app schemas
(``bounds``) and the inputs' ``maxlength`` (``column_limit``) all take their bounds from the
column the value goes to, and answer a value past them with a pt-BR field error instead of a
database error (a 500) or a silent cut.
"""
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_decimal, gettext
from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger, String
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError

from app.core.db import db

# Characters of an unbounded text column: MariaDB's TEXT holds 65,535 bytes, 4 a character. A
# column may say less (``info={"max_length": 2000}``): what its screens offer to type.
MAX_TEXT = 16000
INTEGER_BITS = ((SmallInteger, 16), (BigInteger, 64), (Integer, 32))


@dataclass(frozen=True)
class Bounds:
    max_length: int | None = None
    low: int | Decimal | None = None
    high: int | Decimal | None = None


def _column(column):
    """A Column from a Column or a mapped attribute (``Model.name``)."""
    prop = getattr(column, "property", None)
    return prop.columns[0] if prop is not None and hasattr(prop, "columns") else column


def bounds(column) -> Bounds:
    column = _column(column)
    kind = column.type
    if isinstance(kind, String):
        return Bounds(max_length=min(kind.length or MAX_TEXT, column.info.get("max_length", MAX_TEXT)))
    for integer, bits in INTEGER_BITS:
        if isinstance(kind, integer):
            return Bounds(low=-2 ** (bits - 1), high=2 ** (bits - 1) - 1)
    if isinstance(kind, Numeric) and kind.precision:
        limit = Decimal(10) ** (kind.precision - (kind.scale or 0))
        return Bounds(low=-limit, high=limit)
    return Bounds()


def problem(column, value) -> str | None:
    """The pt-BR reason ``value`` does not fit ``column``, or None (also for None and "")."""
    return problem_in(bounds(column), value)


def problem_in(limits: Bounds, value) -> str | None:
    if isinstance(value, str):
        if limits.max_length is not None and len(value) > limits.max_length:
            return gettext("No máximo %(max)s caracteres.", max=format_decimal(limits.max_length))
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and limits.high is not None:
        if not limits.low <= value <= limits.high:
            return gettext("Informe um número entre %(low)s e %(high)s.",
                           low=format_decimal(limits.low), high=format_decimal(limits.high))
    return None


class ColumnBound:
    """A WTForms validator: the field's data fits the column; renders as ``maxlength`` (texts)
    or ``min``/``max`` (numbers) on the input."""

    def __init__(self, column):
        self.limits = bounds(column)
        if self.limits.max_length is not None:
            self.field_flags = {"maxlength": self.limits.max_length}
        elif self.limits.high is not None:
            self.field_flags = {"max": self.limits.high}
        else:
            self.field_flags = {}

    def __call__(self, form, field):
        message = problem_in(self.limits, field.data)
        if message:
            raise ValidationError(message)


def bind_bounds(unbound: UnboundField, column) -> None:
    """Add the column's bound to a form field not yet bound to a form."""
    if "validators" not in unbound.kwargs and len(unbound.args) > 1:
        raise TypeError("pass a bounded field's validators by keyword")
    validators = list(unbound.kwargs.get("validators") or ())
    if not any(isinstance(v, ColumnBound) for v in validators):
        bound = ColumnBound(column)
        unbound.kwargs["validators"] = [*validators, bound]
        if bound.limits.high is not None:  # FAB shows numbers in text inputs, which ignore the flag
            unbound.kwargs["render_kw"] = {"max": bound.limits.high, **(unbound.kwargs.get("render_kw") or {})}


class ColumnBoundForm:
    """A hand-written form whose fields go to columns: ``bounded_by`` maps a field's name to
    the column (``{"note": SupplyRequest.note}``); each such field gets the column's bound."""

    bounded_by: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, column in cls.bounded_by.items():
            bind_bounds(getattr(cls, name), column)


class ColumnBoundForms:
    """A generated view's add and edit forms: every field named like a column of the view's
    model is bounded by it (FAB bounds only strings, and not the extra fields)."""

    def _init_forms(self):
        super()._init_forms()
        columns = self.datamodel.obj.__mapper__.columns
        for form in (self.add_form, self.edit_form):
            for name, field in vars(form).items():
                if isinstance(field, UnboundField) and name in columns:
                    bind_bounds(field, columns[name])


def raw_problems(values, fields: dict) -> list[str]:
    """pt-BR errors ("Departamento: no máximo 120 caracteres.") for values read straight from a
    request's form: ``fields`` maps a form name to (column, label)."""
    found = []
    for name, (column, label) in fields.items():
        message = problem(column, (values.get(name) or "").strip())
        if message:
            found.append(f"{label}: {message}")
    return found


def whole_number(column, text: str) -> tuple[int | None, str | None]:
    """A typed whole number (ASCII digits only) that fits ``column``: (number, None), or
    (None, the pt-BR reason)."""
    if not (text.isascii() and text.isdigit()):
        return None, gettext("Informe somente números.")
    number = int(text)
    reason = problem(column, number)
    return (None, reason) if reason else (number, None)


def _named(name: str) -> Bounds:
    table, _, column = name.partition(".")
    return bounds(db.metadata.tables[table].c[column])


def column_limit(name: str) -> int | None:
    """Templates: the ``maxlength`` of a hand-written input, ``column_limit("delivery.reason")``."""
    return _named(name).max_length


def column_max(name: str) -> int | None:
    """Templates: the ``max`` of a hand-written number input, ``column_max("supply_request_item.counter")``."""
    return _named(name).high


def init_app(app) -> None:
    app.add_template_global(column_limit)
    app.add_template_global(column_max)

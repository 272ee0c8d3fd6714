"""Filter forms for generated lists ("Filtrar resultados"), without relation dropdowns.

FAB's search widget offers every relation as a ``<select>`` of all its rows and parses
``_flt_<index>_<column>`` against the filters its converter derives from column types. Here a
view declares its filter fields; each field names a column and the filter classes that column
accepts (a subquery on a related table's text, a local date boundary, an exact match), so the
same URL parameters drive FAB's query and a plain GET form renders them. Filters only ever add
conditions to the already scoped query.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from sqlalchemy import or_, select
from wtforms import StringField

from app.core.i18n import lazy_gettext as _l
from app.core.search import IndexedFilterConverter, contains, matching_ids
from app.core.timefmt import local_midnight_utc
from app.core.views import ScopedInterface


class PortalFilterConverter(IndexedFilterConverter):
    """Columns with declared filters use them; the rest keep FAB's type-based ones."""

    def convert(self, col_name):
        declared = getattr(self.datamodel, "declared_filters", {}).get(col_name)
        if declared is not None:
            return [flt(col_name, self.datamodel) for flt in declared]
        return super().convert(col_name)


class FilteredInterface(ScopedInterface):
    """A scoped data layer whose columns may declare their own filter classes."""

    filter_converter_class = PortalFilterConverter

    def __init__(self, obj, filters: dict | None = None, session=None, *, page_by_keys: bool = False):
        super().__init__(obj, session, page_by_keys=page_by_keys)
        self.declared_filters = filters or {}


def related_text(fk: str, model, *columns: str, name=_l("Contém")):
    """``fk`` IN (ids of ``model`` whose text columns contain the value): no join, no dropdown.
    The ids are found once a request (app.core.search.matching_ids); past its cap the condition
    stays a subquery."""

    class RelatedTextFilter(BaseFilter):
        def apply(self, query, value):
            value = (value or "").strip()
            if not value:
                return query
            ids = matching_ids(model, columns, value)
            if ids is None:
                ids = select(model.id).where(or_(*(contains(getattr(model, c), value) for c in columns)))
            return query.filter(getattr(self.model, fk).in_(ids))

    RelatedTextFilter.name = name
    return RelatedTextFilter


def _local_day(value: str):
    """A date typed as aaaa-mm-dd (date input) or dd/mm/aaaa; None when unreadable."""
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


class FilterLocalDateFrom(BaseFilter):
    """On or after the start of the day, in São Paulo time, of a stored UTC timestamp."""

    name = _l("A partir de")

    def apply(self, query, value):
        day = _local_day(value)
        return query if day is None else query.filter(getattr(self.model, self.column_name) >= local_midnight_utc(day))


class FilterLocalDateUntil(BaseFilter):
    """Up to the end of the day, in São Paulo time."""

    name = _l("Até")

    def apply(self, query, value):
        day = _local_day(value)
        if day is None:
            return query
        return query.filter(getattr(self.model, self.column_name) < local_midnight_utc(day + timedelta(days=1)))


class FilterExact(FilterEqual):
    """Exact match that ignores an empty value (a blank select means "todos")."""

    name = _l("Igual a")

    def apply(self, query, value):
        if value in (None, ""):
            return query
        return super().apply(query, value)


@dataclass(frozen=True)
class FilterField:
    """One input of the filter form: ``_flt_<index>_<column>`` in the URL."""

    column: str
    label: object
    index: int = 0
    kind: str = "text"            # text, number, date or select
    choices: tuple = ()

    @property
    def param(self) -> str:
        return f"_flt_{self.index}_{self.column}"


class FilterFormMixin:
    """For a PortalModelView: search columns and search form fields follow ``filter_fields``."""

    filter_fields: tuple[FilterField, ...] = ()
    list_template = "pws/cards_list.html"

    def __init__(self, **kwargs):
        columns = []
        for field in self.filter_fields:
            if field.column not in columns:
                columns.append(field.column)
        self.search_columns = columns
        self.search_form_extra_fields = {column: StringField(column) for column in columns}
        super().__init__(**kwargs)

    def render_template(self, template, **kwargs):
        kwargs.setdefault("filter_fields", self.filter_fields)
        return super().render_template(template, **kwargs)

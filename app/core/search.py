"""Search filters tuned for large tables, and safe against hand-edited URLs.

FAB's "Começa com" uses ``lower(col) LIKE 'x%'``, which no index can serve (118 ms against 9 ms
at 1M rows). MariaDB's utf8mb4 collations already compare case-insensitively, so a plain LIKE
keeps the search case-insensitive and lets the index work.
"""
from flask_appbuilder.models.filters import Filters
from flask_appbuilder.models.sqla.filters import (
    FilterStartsWith, SQLAFilterConverter, get_field_setup_query,
)


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def starts_with(column, value: str):
    """``column LIKE 'value%'``, the typed value taken literally: a prefix search an index serves."""
    return column.like(escape_like(value) + "%", escape="\\")


class FilterStartsWithIndexed(FilterStartsWith):
    arg_name = "comeca"  # FAB keeps one process-wide table of names: never reuse a built-in one

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(starts_with(field, value))


class IndexedFilterConverter(SQLAFilterConverter):
    conversion_table = tuple(
        (kind, [FilterStartsWithIndexed if f is FilterStartsWith else f for f in filters])
        for kind, filters in SQLAFilterConverter.conversion_table
    )

    def convert(self, col_name):
        """FAB turns every column of the model into its filters each time it builds a filter
        set, three times a list request; filters hold no state, so each column's are made once
        per data model."""
        made = self.datamodel.__dict__.setdefault("pws_column_filters", {})
        if col_name not in made:
            made[col_name] = super().convert(col_name)
        filters = made[col_name]
        return list(filters) if filters else filters


class SafeFilters(Filters):
    """A filter index the column does not have (a hand-edited URL) is ignored, not a 500."""

    def add_filter_index(self, column_name, filter_instance_index, value):
        filters = self._all_filters.get(column_name) or []
        if 0 <= filter_instance_index < len(filters):
            self._add_filter(filters[filter_instance_index], value)

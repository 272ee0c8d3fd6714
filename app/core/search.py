"""Search filters tuned for large tables, and safe against hand-edited URLs.

FAB's "Começa com" uses ``lower(col) LIKE 'x%'``, which no index can serve (118 ms against 9 ms
at 1M rows). MariaDB's utf8mb4 collations already compare case-insensitively, so a plain LIKE
keeps the search case-insensitive and lets the index work.

"Contém" (``LIKE '%x%'``) reads every row. On a column with a MariaDB FULLTEXT index (declared
on the model with ``mysql_prefix="FULLTEXT"``) it is narrowed first by ``MATCH … AGAINST`` on
the typed words, each as a word prefix: there it finds the text where it starts a word
("atend" in "Em atendimento", "silva@empresa" in "joao.silva@empresa.com.br"), not in the middle
of one. SQLite keeps the plain LIKE. A small table, or a text common among the newest rows,
skips the FULLTEXT narrowing (``reads_in_order``): the plain LIKE in the list's order finds a
page of it at once, and finds the text inside a word too.

A column whose values repeat across many rows (an e-mail's address: a few thousand in 500,000
messages) declares ``info={"search": "values"}`` and a B-tree index that begins with it: its
"Contém" first finds the distinct values that contain the text, then the rows holding them.
"""
import re

from flask_appbuilder.models.filters import Filters
from flask_appbuilder.models.sqla.filters import (
    FilterContains, FilterEqual, FilterStartsWith, SQLAFilterConverter, get_field_setup_query,
)
from flask import current_app, g
from sqlalchemy import and_, case, func, select, union

from app.core.db import db

# InnoDB's FULLTEXT leaves out words shorter than innodb_ft_min_token_size (3) and its default
# stopwords; a MATCH term on one of them would find nothing, so only the LIKE checks those.
FULLTEXT_MIN_WORD = 3
FULLTEXT_STOPWORDS = frozenset(
    "a about an are as at be by com de en for from how i in is it la of on or that the this to was "
    "what when where who will with und www".split())


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def starts_with(column, value: str):
    """``column LIKE 'value%'``, the typed value taken literally: a prefix search an index serves."""
    return column.like(escape_like(value) + "%", escape="\\")


def contains(column, value: str, *, fulltext: bool = False):
    """``column LIKE '%value%'`` (taken literally); with ``fulltext`` on MariaDB, behind a
    ``MATCH … AGAINST`` on the typed words that the column's FULLTEXT index serves."""
    condition = column.like("%" + escape_like(value) + "%", escape="\\")
    words = fulltext_words(value)
    if fulltext and words:
        condition = and_(column.match(" ".join(f"+{word}*" for word in words)), condition)
    return condition


def fulltext_words(value: str) -> list[str]:
    """The typed words a FULLTEXT index can find (none on SQLite, which has no such index)."""
    if db.session.get_bind().dialect.name not in ("mysql", "mariadb"):
        return []
    return [word for word in re.findall(r"\w+", value.lower())
            if len(word) >= FULLTEXT_MIN_WORD and word not in FULLTEXT_STOPWORDS]


def has_fulltext(model, column_name: str) -> bool:
    """Whether the model declares a FULLTEXT index on this one column."""
    return any(index.dialect_options["mysql"].get("prefix") == "FULLTEXT"
               and [column.key for column in index.columns] == [column_name]
               for index in model.__table__.indexes)


def has_leading_index(model, column_name: str) -> bool:
    """Whether a B-tree index begins with this column (what "Começa com" and "Igual a" need)."""
    return any(index.dialect_options["mysql"].get("prefix") != "FULLTEXT"
               and index.columns.keys()[0] == column_name
               for index in model.__table__.indexes) or any(
        column.index or column.unique for column in model.__table__.columns if column.key == column_name)


def _once_a_request(key: tuple, compute):
    """``compute()`` once a request for this key (what is probed, on which columns, the typed
    text): FAB applies a filter to the list's count and to its page, and each would otherwise ask
    the database again."""
    found = g.setdefault("pws_search_probes", {})
    if key not in found:
        found[key] = compute()
    return found[key]


# The newest rows a text is looked for in, to tell how common it is; a table of fewer rows is
# read whole by the LIKE at no cost worth narrowing.
COMMON_SAMPLE = 2000
# In one row of ten or more, a text is common whatever the table's size.
COMMON_SHARE = 0.1


def reads_in_order(column, value: str) -> bool:
    """Whether "Contém" reads the list in its order with the plain LIKE rather than narrow it by
    FULLTEXT first: the table has fewer rows than COMMON_SAMPLE, or the text is common, in more
    rows than a list counts (PWS_COUNT_CAP) or in one row of ten, as estimated from its share of
    the table's newest COMMON_SAMPLE rows and the table's highest id (one statement, about 2 ms,
    once a request).

    Then the list's ordered read meets a page of it at once, and its capped count stops at the
    cap soon or reads the table once; FULLTEXT hands over every row holding the word, each read
    for the count and again to be sorted. A word of a quarter of 500,000 e-mails: 4.7 s through
    FULLTEXT, 0.2 and 80 ms in order. A word of one in seven of 51,200 attendances: 28 ms through
    FULLTEXT, 19 ms in order. A rarer text in a large table is cheaper through FULLTEXT: the
    count would read the whole table to find it."""
    def estimate():
        pk = next(iter(column.table.primary_key.columns))
        newest = select(column).order_by(pk.desc()).limit(COMMON_SAMPLE).subquery()
        sampled, hits, highest = db.session.execute(select(
            func.count(), func.coalesce(func.sum(case((contains(newest.c[column.key], value), 1), else_=0)), 0),
            select(func.max(pk)).scalar_subquery()).select_from(newest)).one()
        if sampled < COMMON_SAMPLE:  # the whole table
            return True
        rows = hits * (highest or 0) / COMMON_SAMPLE
        return rows > current_app.config["PWS_COUNT_CAP"] or hits > sampled * COMMON_SHARE
    return _once_a_request(("in order", column.table.name, column.key, value), estimate)


def narrows_by_words(model, column_name: str, value: str) -> bool:
    """Whether "Contém" on this column first narrows by its FULLTEXT index: MariaDB, a FULLTEXT
    column, words the index holds, and not ``reads_in_order``."""
    return (has_fulltext(model, column_name) and bool(fulltext_words(value))
            and not reads_in_order(getattr(model, column_name), value))


class FilterContainsWords(FilterContains):
    arg_name = "contem"  # see FilterStartsWithIndexed

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(contains(field, value, fulltext=narrows_by_words(self.model, self.column_name, value)))


# Past this many distinct values the text is common, and the plain LIKE meets a page of it at once.
VALUES_CAP = 1000


def matching_values(column, value: str) -> list | None:
    """The column's distinct values that contain ``value`` (None past VALUES_CAP), once a request.

    MariaDB reads them from the column's index with a loose index scan, one dive per distinct
    value (about 5 ms for 2,500 addresses in 500,000 e-mails), where the words of a whole address
    each appear in thousands of rows (150–260 ms through FULLTEXT)."""
    def distinct():
        values = db.session.execute(select(column).where(contains(column, value)).group_by(column)
                                    .limit(VALUES_CAP + 1)).scalars().all()
        return None if len(values) > VALUES_CAP else values
    return _once_a_request(("values", column.table.name, column.key, value), distinct)


class FilterContainsValues(FilterContains):
    arg_name = "contem_valores"  # see FilterStartsWithIndexed

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        values = matching_values(field, value)
        return query.filter(contains(field, value) if values is None else field.in_(values))


# Past this many matching rows of a related table, the filter stays a subquery.
IDS_CAP = 5000


def matching_ids(model, column_names: tuple[str, ...], value: str) -> list | None:
    """The ids of ``model``'s rows where one of the columns contains ``value`` (None past
    IDS_CAP), once a request: the list's count and page share them instead of each scanning the
    related table. Each column is searched as its own list's "Contém" searches it
    (``narrows_by_words``; a client's name: 45 ms of LIKE over 50,000 clients, 5 ms of
    FULLTEXT)."""
    def find():
        selects = [select(model.id).where(contains(getattr(model, name), value,
                                                   fulltext=narrows_by_words(model, name, value)))
                   for name in column_names]
        statement = selects[0] if len(selects) == 1 else union(*selects)
        ids = db.session.execute(statement.limit(IDS_CAP + 1)).scalars().all()
        return None if len(ids) > IDS_CAP else ids
    return _once_a_request(("ids", model.__tablename__, column_names, value), find)


def searches_values(model, column_name: str) -> bool:
    """Whether the column declares that its "Contém" goes through its distinct values."""
    column = model.__table__.columns.get(column_name)
    return column is not None and column.info.get("search") == "values"


class FilterStartsWithIndexed(FilterStartsWith):
    arg_name = "comeca"  # FAB keeps one process-wide table of names: never reuse a built-in one

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(starts_with(field, value))


# What a text column of a list of hundreds of thousands of rows offers: what an index serves
# ("Termina com", "Diferente de", "Não contém"… read every row: 2–10 s on 500,000 e-mails).
INDEXED_TEXT_FILTERS = (FilterStartsWithIndexed, FilterContainsWords, FilterContainsValues, FilterEqual)


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
            contains_filter = FilterContainsValues if searches_values(self.datamodel.obj, col_name) else (
                FilterContainsWords if has_fulltext(self.datamodel.obj, col_name) else None)
            if made[col_name] and contains_filter:
                made[col_name] = [contains_filter(col_name, self.datamodel) if type(f) is FilterContains
                                  else f for f in made[col_name]]
            if made[col_name] and getattr(self.datamodel, "page_by_keys", False) \
                    and self.datamodel.is_string(col_name):
                # A column with only a FULLTEXT index is searched by its words only.
                words_only = has_fulltext(self.datamodel.obj, col_name) \
                    and not has_leading_index(self.datamodel.obj, col_name)
                kept = (FilterContainsWords,) if words_only else INDEXED_TEXT_FILTERS
                made[col_name] = [f for f in made[col_name] if type(f) in kept]
        filters = made[col_name]
        return list(filters) if filters else filters


class SafeFilters(Filters):
    """A filter index the column does not have (a hand-edited URL) is ignored, not a 500."""

    def add_filter_index(self, column_name, filter_instance_index, value):
        filters = self._all_filters.get(column_name) or []
        if 0 <= filter_instance_index < len(filters):
            self._add_filter(filters[filter_instance_index], value)

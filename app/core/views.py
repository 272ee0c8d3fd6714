"""Base classes every PWS screen and API inherits: scoping, permissions, lean queries."""
import enum
import inspect
import re
from operator import attrgetter
from types import SimpleNamespace

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext
from wtforms import BooleanField
from wtforms.fields.core import UnboundField
from sqlalchemy import func, select
from sqlalchemy.orm import MANYTOONE, aliased, joinedload, load_only, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.core.bounds import ColumnBoundForms
from app.core import idempotency
from app.core.concurrency import (
    STALE_MESSAGE, VERSION, VersionField, is_versioned, mark_stale, seen_is_current, was_stale,
)
from app.core.db import storable_id
from app.core.errors import Refused
from app.core.i18n import lazy_gettext as _l
from app.core.search import IndexedFilterConverter, SafeFilters
from app.core.scoping import OutOfScope, check_references, get_scoped, scope_condition
from app.core.timefmt import format_date, format_datetime

# Every method of a view or API maps to one of two permissions on its resource.
READ_WRITE_METHODS = {
    "index": "read", "list": "read", "show": "read",
    "add": "write", "edit": "write", "delete": "write",
    "action": "write", "action_post": "write",
    "get": "read", "get_list": "read", "info": "read", "related": "read", "distinct": "read",
    "post": "write", "put": "write",
}
# FAB's generic file download and its legacy JSON endpoints bypass our scoped downloads.
UNEXPOSED_MODELVIEW_ROUTES = {"download", "api", "api_read", "api_get", "api_create",
                              "api_update", "api_delete", "api_column_add", "api_column_edit",
                              "api_readvalues"}


# FAB reads every ``page_<View>`` and ``psize_<View>`` argument of any request with int().
FAB_LIST_NUMBER = re.compile("(page|psize)_")
FAB_FILTER = re.compile(r"_flt_(\d+)_(.*)")  # FAB reads one digit; more is refused
MAX_PAGE_NUMBER = 10**9
BAD_PAGE = _l("Página ou tamanho de página inválido.")


def page_number(value, default: int = 0) -> int:
    """A list's page number from the query string: absent is ``default``, anything but a whole
    number up to MAX_PAGE_NUMBER is refused (400)."""
    if value is None or value == "":
        return default
    if not re.fullmatch("[0-9]{1,9}", str(value)):
        raise Refused(BAD_PAGE)
    return int(value)


def max_page_size(size: int) -> int:
    """A list's rows per page, never more than PWS_MAX_PAGE_SIZE."""
    return max(1, min(size, current_app.config["PWS_MAX_PAGE_SIZE"]))


def refuse_bad_list_numbers():
    """Before any request: FAB's page and page-size arguments are whole numbers, or 400."""
    for name, value in request.args.items(multi=True):
        if FAB_LIST_NUMBER.search(name):
            page_number(value)


def init_app(app) -> None:
    app.before_request(refuse_bad_list_numbers)


class ScopedInterface(SQLAInterface):
    """FAB's data layer, narrowed to the current user's scope on every read and write.

    List, count, show, edit, delete, actions, related dropdowns and REST calls all pass
    through ``apply_filters`` or ``get``; writes pass through ``check_references``.
    """

    eager_relations: tuple[str, ...] = ()
    # The columns a list reads (set by the view from its list_columns); empty: every column.
    listed_columns: tuple[str, ...] = ()
    listed_relation_columns: dict[str, tuple[str, ...]] = {}
    listed_rows: "ListedRows | None" = None
    filter_converter_class = IndexedFilterConverter

    def __init__(self, obj, session=None, *, page_by_keys: bool = False):
        """``page_by_keys``: a list of hundreds of thousands of rows reads its page's keys first
        (an index alone serves them, whatever the offset), then those rows only."""
        super().__init__(obj, session)
        self.page_by_keys = page_by_keys

    def get_filters(self, search_columns=None, search_filters=None):
        return SafeFilters(self.filter_converter_class, self, search_columns=search_columns or [],
                           search_filters=search_filters)

    def _scope(self, query):
        condition = scope_condition(self.obj)
        return query if condition is None else query.filter(condition)

    def apply_filters(self, query, filters):
        return self._scope(super().apply_filters(query, filters))

    def _get_base_query(self, query, filters=None, order_column="", order_direction=""):
        return super()._get_base_query(self._scope(query), filters, order_column, order_direction)

    def _capped_keys(self, query, filters=None, select_columns=None):
        """At most PWS_COUNT_CAP + 1 primary keys of the matching rows: never every column."""
        cap = current_app.config["PWS_COUNT_CAP"]
        inner = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        pk = self.obj.__mapper__.primary_key[0]
        return inner.with_entities(pk).order_by(None).limit(cap + 1).subquery()

    def query_count(self, query, filters=None, select_columns=None):
        return self.session.query(self._capped_keys(query, filters, select_columns)).count()

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        """A list page with its capped count in the same statement (a scalar subquery the
        database runs once): one round trip and one ORM execution less per page. A list whose
        columns are all known reads plain rows (``listed_rows``); FAB's own path for the REST
        API's column selection."""
        if select_columns or outer_default_load:
            return super().query(filters, order_column, order_direction, page, page_size,
                                 select_columns, outer_default_load)
        total = select(func.count()).select_from(
            self._capped_keys(self.session.query(self.obj), filters)).scalar_subquery()
        if self.page_by_keys and "." not in order_column:
            return self._page_by_keys(filters, order_column, order_direction, page, page_size, total)
        if self.listed_rows is None:
            rows = self.apply_all(self.session.query(self.obj), filters, order_column, order_direction,
                                  page, page_size).add_columns(total.label("pws_total")).all()
            items = [row[0] for row in rows]
        else:
            rows = super().apply_all(self.listed_rows.query(self.session), filters, order_column,
                                     order_direction, page, page_size).add_columns(total).all()
            items = self.listed_rows.items(rows)
        if not rows:  # nothing on this page: the count alone says whether anything matches
            return self.query_count(self.session.query(self.obj), filters), []
        return rows[0][-1], items

    def _page_by_keys(self, filters, order_column, order_direction, page, page_size, total):
        """The page's primary keys (with the capped count), then their listed columns: a deep
        page walks a narrow index instead of whole rows (an outbox row carries its bodies).

        Offsets never pass the count cap (the list shows no page beyond it). The last page of
        a capped list ("última", past the cap) is the first page of the reverse order: the
        oldest rows, read from the other end of the same index, shown in the list's order."""
        pk = self.obj.__mapper__.primary_key[0]
        reverse = self._past_the_cap(filters, page, page_size)
        if reverse:
            page, order_direction = 0, "asc" if order_direction == "desc" else "desc"
            order_column = order_column or pk.key
        keys = self._apply_inner_all(self.session.query(pk), filters, order_column, order_direction,
                                     page, page_size, aliases_mapping={}).add_columns(total).all()
        if reverse:
            keys.reverse()
        if not keys:
            return self.query_count(self.session.query(self.obj), filters), []
        position = {row[0]: n for n, row in enumerate(keys)}
        if self.listed_rows is None:
            items = self.apply_all(self.session.query(self.obj)).filter(pk.in_(position)).all()
        else:
            items = self.listed_rows.items(self.listed_rows.query(self.session).filter(pk.in_(position)).all())
        items.sort(key=lambda item: position[getattr(item, pk.key)])
        return keys[0][-1], items

    def _past_the_cap(self, filters, page, page_size) -> bool:
        """Whether this page ends past PWS_COUNT_CAP rows of a list holding more (the last page
        the capped count offers): the count (one statement more) is read only for such a page."""
        cap = current_app.config["PWS_COUNT_CAP"]
        if not page or not page_size or (page + 1) * page_size <= cap:
            return False
        return self.query_count(self.session.query(self.obj), filters) > cap

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        if self.listed_columns:
            query = query.options(load_only(*(getattr(self.obj, name) for name in self.listed_columns)))
        for name in self.eager_relations:
            strategy = selectinload if self.is_relation_many_to_many(name) else joinedload
            loader = strategy(getattr(self.obj, name))
            if name in self.listed_relation_columns:
                related = self.get_related_model(name)
                loader = loader.load_only(*(getattr(related, column)
                                            for column in self.listed_relation_columns[name]))
            query = query.options(loader)
        return query

    def get_values(self, lst, list_columns):
        """FAB's list values (an attribute, a method's result, a path through relations; "" when
        missing), each column's reader made once per list instead of probed again per row."""
        readers = [(column, _value_reader(column)) for column in list_columns]
        for item in lst:
            yield {column: read(item) for column, read in readers}

    def get(self, id, *args, **kwargs):
        """FAB's show/edit/delete by ``<pk>``: an id no row can have is simply not found."""
        return super().get(id, *args, **kwargs) if storable_id(id) else None

    def get_related_obj(self, col_name, value):
        return get_scoped(self.session, self.get_related_model(col_name), value)

    def get_related_interface(self, col_name):
        return ScopedInterface(self.get_related_model(col_name))

    def add(self, item, commit=True):
        self._guarded(item, super().add, commit)

    def edit(self, item, commit=True):
        self._guarded(item, super().edit, commit)

    def _guarded(self, item, write, commit):
        try:
            self.session.add(item)
            check_references(self.session, item)  # its query flushes the item: a version check
            write(item, commit)
        except OutOfScope:
            self.session.rollback()
            raise
        except StaleDataError as error:
            self.session.rollback()
            mark_stale()  # another request saved this row first
            raise DatabaseException() from error
        except DatabaseException as error:
            if isinstance(error.__cause__, StaleDataError):
                mark_stale()  # FAB rolled back already
            raise


def _value_reader(column: str):
    path = attrgetter(column)

    def read(item):
        try:
            value = path(item)
        except Exception:  # noqa: BLE001 - FAB shows "" for a missing relation or attribute
            return ""
        if "." not in column and callable(value):
            return value()
        return value.value if isinstance(value, enum.Enum) else value

    return read


# The scope columns that narrow a list to one value per user (or a few): each sort a big list
# offers needs an index led by each of them, and one for the users who see every row.
SORT_SCOPES = ("company", "client", "technician", "carrier")


def sort_plan(model, column: str, leading: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Which index serves a list of ``model`` ordered by ``column`` for each way its scope
    narrows it: ``""`` (every row: the sort column first) and each scope column of SORT_SCOPES
    the model declares (that column first). Columns in ``leading`` (a filter the list always
    has, as the calls by prazo have their status) and other scope columns may come before the
    sort column, nothing after it: the list orders by (column, primary key), and InnoDB ends
    every index with the primary key; an index naming the primary key right after the sort
    column may hold more columns after it, which filter without changing the order (the
    companies of an operator of several). None where no index serves the order (then MariaDB
    sorts the scope's rows).
    A sort by the primary key is served by any index led by the scope column (InnoDB ends every
    index with the primary key); narrowed to its own primary key (a client user's clients) a
    list holds a few rows and needs no index."""
    scope = model.__scope__
    scope_columns = {getattr(scope, name) for name in SORT_SCOPES if getattr(scope, name)}
    pk = model.__mapper__.primary_key[0].key
    indexes = [(index.name, [c.key for c in index.columns]) for index in model.__table__.indexes
               if index.dialect_options["mysql"].get("prefix") != "FULLTEXT"]
    indexes.append(("PRIMARY", [pk]))

    def served(first: str | None) -> str | None:
        """The index led by ``first`` (any, for None) serving the order, the one using the most
        of the list's equalities first."""
        if first == pk:
            return "PRIMARY"
        found = []
        for name, columns in indexes:
            if first is not None and columns[0] != first:
                continue
            head = columns[1:] if first is not None else columns
            if pk in head[1:]:  # (…, column, pk, more): ordered as (column, pk); the rest filters
                head = head[:head.index(pk)]
            if column == pk and first is not None:
                return name
            before = (scope_columns if first is not None else set()) | set(leading)
            if head and head[-1] == column and set(head[:-1]) <= before:
                found.append((-len(head), name))
        return min(found)[1] if found else None

    plan = {"": served(None)}
    for name in SORT_SCOPES:
        if getattr(scope, name):
            plan[name] = served(getattr(scope, name))
    return plan


def list_sort_plans(view) -> dict[str, dict[str, str | None]]:
    """A generated list's sorts (its order columns and its default order) and their plans."""
    columns = [*(view.order_columns or ()), *((view.base_order or ())[:1])]
    return {column: sort_plan(view.datamodel.obj, column) for column in dict.fromkeys(columns)}


class PortalListWidget(ListWidget):
    """FAB's table plus the manual's footer: "Página X de Y, mostrando …"."""

    template = "pws/widgets/list.html"


def yes_no(value) -> str:
    return gettext("Sim") if value else gettext("Não")


def blank_if_none(value):
    return "" if value is None else value


def names(rows) -> str:
    """A to-many relation as its rows' names (Jinja would print the list's Python repr)."""
    return ", ".join(str(row) for row in rows or ())


def brazilian_formatters(datamodel, columns) -> dict:
    """dd/mm/aaaa hh:mm (São Paulo) for dates and times, Sim/Não for flags, blank for null,
    names for to-many relations."""
    formatters = {}
    for name in columns or ():
        if name not in datamodel.list_properties:
            formatters[name] = blank_if_none
        elif datamodel.is_relation_many_to_many(name) or datamodel.is_relation_one_to_many(name):
            formatters[name] = names
        elif datamodel.is_datetime(name):
            formatters[name] = format_datetime
        elif datamodel.is_date(name):
            formatters[name] = format_date
        elif datamodel.is_boolean(name):
            formatters[name] = yes_no
        else:
            formatters[name] = blank_if_none
    return formatters


class BrazilianFormatting:
    """Brazilian formats for every listed or shown column a view did not format, and the
    relations a list displays loaded with the page (no query per row)."""

    def _init_properties(self):
        super()._init_properties()
        columns = {*(self.list_columns or ()), *(self.show_columns or ())}
        self.formatters_columns = {**brazilian_formatters(self.datamodel, columns),
                                   **(self.formatters_columns or {})}
        self.datamodel.eager_relations = _relations_in(self.datamodel, self.list_columns)
        self.datamodel.listed_columns, self.datamodel.listed_relation_columns = _listed_columns(
            self.datamodel, self.list_columns)
        self.datamodel.listed_rows = ListedRows.for_list(self.datamodel.obj, self.list_columns)


BLANK_CHOICE = "—"


class FlagFields:
    """NOT NULL booleans would become required checkboxes in FAB forms (unticking = error), and
    an optional relation's empty choice would read "__None" (its value) in the Select2 box."""

    def _init_forms(self):
        def flags(columns):
            return {name: BooleanField(self.label_columns.get(name, name), default=False,
                                       description=(self.description_columns or {}).get(name, ""))
                    for name in columns or ()
                    if name in self.datamodel.list_columns and self.datamodel.is_boolean(name)}

        self.add_form_extra_fields = {**flags(self.add_columns), **(self.add_form_extra_fields or {})}
        self.edit_form_extra_fields = {**flags(self.edit_columns), **(self.edit_form_extra_fields or {})}
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            for field in vars(form).values():
                if isinstance(field, UnboundField) and issubclass(field.field_class, QuerySelectField) \
                        and field.kwargs.get("allow_blank"):
                    field.kwargs["blank_text"] = BLANK_CHOICE


def _relations_in(datamodel, columns) -> tuple[str, ...]:
    names = []
    for column in columns or ():
        head = column.split(".")[0]
        is_loadable = datamodel.is_relation_many_to_one(head) or datamodel.is_relation_many_to_many(head)
        if is_loadable and head not in names:
            names.append(head)
    return tuple(names)


def _columns_read(model, attribute: str) -> tuple[str, ...] | None:
    """The table columns behind one attribute: itself, or those a property declares in its
    model's ``__property_columns__``; None when unknown (then the whole row is read)."""
    if attribute in model.__mapper__.columns:
        return (attribute,)
    return getattr(model, "__property_columns__", {}).get(attribute)


def _listed_columns(datamodel, columns) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """What a list reads of its model and of each relation it shows through attributes
    ("client.display_name"): a list of billing files read 43 columns a row for the 10 it shows.
    A relation shown whole (its name alone) or an attribute of unknown origin is read whole."""
    model = datamodel.obj
    own = {column.key for column in model.__mapper__.primary_key}
    related: dict[str, set[str] | None] = {}
    for column in columns or ():
        head, _, leaf = column.partition(".")
        if datamodel.is_relation(head):
            relation = model.__mapper__.relationships[head]
            own.update(local.key for local in relation.local_columns
                       if local.key in model.__mapper__.columns)
            wanted = _columns_read(relation.mapper.class_, leaf) if leaf else None
            if wanted is None or related.get(head, set()) is None:
                related[head] = None
            else:
                related.setdefault(head, set()).update(wanted)
            continue
        wanted = _columns_read(model, column)
        if wanted is None:
            return (), {}
        own.update(wanted)
    return tuple(sorted(own)), {name: tuple(sorted(cols)) for name, cols in related.items() if cols}


def _plain_property(model, name: str) -> bool:
    return isinstance(inspect.getattr_static(model, name, None), property)


def _row_class(model, attributes):
    """A plain object with the model's listed properties: ``Client.display_name`` reads the row's
    ``name`` and ``trade_name`` as it reads the model's."""
    properties = {name: inspect.getattr_static(model, name) for name in attributes
                  if _plain_property(model, name)}
    return type(f"{model.__name__}Row", (SimpleNamespace,), properties)


class _ListedPath:
    """One model a list reads: the list's own, or one reached through many-to-one relations."""

    def __init__(self, model):
        self.model = model
        self.columns = {column.key for column in model.__mapper__.primary_key}
        self.properties = set()


class ListedRows:
    """A generated list read as rows of the columns it shows, of its model and, outer-joined, of
    the models its many-to-one relations lead to ("call.client.display_name"). Building an ORM
    object (and one per relation) for each of twenty rows cost as much as the query. Made only
    when every listed column is a column or a property that declares the columns it reads; any
    other list loads objects."""

    def __init__(self, model, paths: dict[str, _ListedPath]):
        self.model = model
        self.columns, self.joins, self.readers = [], [], []
        entities = {"": model}
        for path, listed in paths.items():  # parents before children
            parent, _, hop = path.rpartition(".")
            pk = listed.model.__mapper__.primary_key[0].key
            names = (pk, *sorted(listed.columns - {pk}))
            if path:
                # Aliased once: adapting the columns to an alias costs more than the query.
                entity = entities[path] = aliased(listed.model, name="listed_" + path.replace(".", "_"))
                self.joins.append((entity, getattr(entities[parent], hop).of_type(entity)))
            else:
                entity = model
            start = len(self.columns)
            self.columns += [getattr(entity, name) for name in names]
            row_class = _row_class(listed.model, listed.properties)
            self.readers.append((path, parent, hop, names, start, row_class))

    @classmethod
    def for_list(cls, model, list_columns) -> "ListedRows | None":
        if len(model.__mapper__.primary_key) != 1:
            return None
        paths = {"": _ListedPath(model)}
        for column in list_columns or ():
            *hops, leaf = column.split(".")
            current, path = model, ""
            for hop in hops:
                relation = current.__mapper__.relationships.get(hop)
                if relation is None or relation.direction is not MANYTOONE:
                    return None
                current, path = relation.mapper.class_, f"{path}.{hop}".lstrip(".")
                paths.setdefault(path, _ListedPath(current))
            wanted = _columns_read(current, leaf)
            if wanted is None:
                return None
            paths[path].columns.update(wanted)
            if _plain_property(current, leaf):
                paths[path].properties.add(leaf)
        return cls(model, paths)

    def query(self, session):
        query = session.query(*self.columns).select_from(self.model)
        for alias, relation in self.joins:
            query = query.outerjoin(alias, relation)
        return query

    def items(self, rows) -> list:
        items = []
        for row in rows:
            read = {}
            for path, parent, hop, names, start, row_class in self.readers:
                values = row[start:start + len(names)]
                read[path] = None if values[0] is None else row_class(**dict(zip(names, values)))
                if path and read[parent] is not None:
                    setattr(read[parent], hop, read[path])
            items.append(read[""])
        return items


class BoundedLists:
    """A generated list's arguments checked before they reach the query: a sort column the list
    does not offer, a filter its search form does not have or a filter value its integer column
    cannot hold is refused (400, never a 500 or a database error taken for an outage), and no
    page is longer than PWS_MAX_PAGE_SIZE."""

    def _list(self, **kwargs):
        filters = self._filters.get_search_filters()
        for name, value in request.args.items(multi=True):
            match = FAB_FILTER.search(name)
            if not match:
                continue
            if not (match[2] in filters and int(match[1]) < len(filters[match[2]])):
                raise Refused(_l("Filtro desconhecido nesta lista."))
            if self.datamodel.is_integer(match[2]) and not storable_id(value):
                raise Refused(_l("Valor de filtro fora do limite."))
        return super()._list(**kwargs)

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="",
                         page=None, page_size=None, widgets=None, **kwargs):
        if order_column and order_column not in self.order_columns \
                and order_column != (self.base_order or ("",))[0]:
            raise Refused(_l("Esta lista não pode ser ordenada por essa coluna."))
        return super()._get_list_widget(filters, actions, order_column, order_direction, page,
                                        max_page_size(page_size or self.page_size), widgets, **kwargs)


class PostOnlyActions:
    """FAB also deletes and runs actions on GET; here both need a POST with its CSRF token.

    Actions answer like every other route: login for visitors, 400 for an action the screen
    does not have, 403 without the permission, 404 for a row outside the user's scope or an
    action not offered for one row (or for several) (FAB itself would pass ``None`` to the action).
    """

    def _run_action(self, name, pks, many):
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        action_ = self.actions.get(name)
        if action_ is None:
            raise Refused(_l("Ação desconhecida nesta tela."))
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            abort(403)
        if not (action_.multiple if many else action_.single):
            abort(404)
        items = [self.datamodel.get(self._deserialize_pk_if_composite(pk)) for pk in pks]
        if not items or any(item is None for item in items):
            abort(404)
        return action_.func(items if many else items[0])

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        return self._run_action(name, [pk], many=False)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        return self._run_action(request.form.get("action", ""), request.form.getlist("rowid"), many=True)

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        return super().delete(pk)


class QuietHistory:
    """FAB keeps the last pages visited in the session for its "back" redirects and rewrote the
    list on every page, so every answer carried a newly signed session cookie. It is written
    only when the page is not already the last one (FAB's history skips a repeat anyway)."""

    def update_redirect(self):
        history = session.get("page_history")
        if not history or history[-1] != request.url:
            super().update_redirect()


class GuardedForms:
    """The one seam of generated screens for concurrent and repeated submits.

    Edit forms of a versioned model carry the version the user saw: a stale form is refused
    with the current values shown again, and a save that loses the race to another one
    (``StaleDataError``) is refused the same way. Add forms carry a one-time token: a repeated
    or concurrent POST of one form display creates one row and gets the first answer.
    """

    def _init_properties(self):
        super()._init_properties()
        for name in ("list_columns", "show_columns", "add_columns", "edit_columns",
                     "search_columns", "order_columns"):
            columns = getattr(self, name, None)
            if columns and VERSION in columns:
                setattr(self, name, [column for column in columns if column != VERSION])

    def _init_forms(self):
        self.add_columns = [*(self.add_columns or ()), idempotency.FIELD]
        self.add_form_extra_fields = {**(self.add_form_extra_fields or {}),
                                      idempotency.FIELD: idempotency.FormTokenField()}
        if is_versioned(self.datamodel.obj):
            self.edit_columns = [*(self.edit_columns or ()), VERSION]
            self.edit_form_extra_fields = {**(self.edit_form_extra_fields or {}), VERSION: VersionField()}
        super()._init_forms()
        self.add_columns = [column for column in self.add_columns if column != idempotency.FIELD]
        self.edit_columns = [column for column in self.edit_columns if column != VERSION]

    @property
    def database_error_message(self):
        return STALE_MESSAGE if was_stale() else ModelView.database_error_message

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if request.method == "POST":
            first = idempotency.first_answer()
            if first is not None:
                return first
            idempotency.remember(self._page_after_add())
        return super().add()

    def _page_after_add(self) -> str:
        """Where FAB's ``get_redirect`` will send a saved add form (the page before it), read
        without taking it off the history as ``get_redirect`` does."""
        history = session.get("page_history") or []
        return history[-2] if len(history) >= 2 else self.appbuilder.get_url_for_index

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        stale = request.method == "POST" and is_versioned(self.datamodel.obj)
        if stale:
            item = self.datamodel.get(pk, self._base_filters)
            stale = item is not None and not seen_is_current(item, request.form.get(VERSION))
        if stale:
            flash(str(STALE_MESSAGE), "danger")
        else:
            answer = super().edit(pk)
            if not was_stale():
                return answer
        return redirect(url_for(f"{self.endpoint}.edit", pk=pk))


class PageTitle:
    """Each page names itself in the browser's tab and history (`<title>`, appbuilder/init.html):
    the ``title`` a view passes (FAB passes its list, show, add and edit titles), else the
    view's ``page_title`` (a screen outside the menu), else the label of its menu entry."""

    page_title = None

    def render_template(self, template, **kwargs):
        kwargs.setdefault("title", self.page_title or self._menu_label())
        return super().render_template(template, **kwargs)

    def _menu_label(self):
        items = list(self.appbuilder.menu.get_list())
        while items:
            item = items.pop(0)
            if item.baseview is self:
                return item.label
            items.extend(item.childs or ())
        return None


class PortalModelView(PageTitle, QuietHistory, BoundedLists, PostOnlyActions, ColumnBoundForms, FlagFields,
                      BrazilianFormatting, GuardedForms, ModelView):
    """A generated screen: read/write permissions, no relation dropdowns in search by default."""

    method_permission_name = READ_WRITE_METHODS
    exclude_route_methods = UNEXPOSED_MODELVIEW_ROUTES
    list_widget = PortalListWidget
    page_size = 20

    def __init__(self, **kwargs):
        if self.search_columns is None:
            self.search_columns = [
                name for name in self.datamodel.get_search_columns_list()
                if not self.datamodel.is_relation(name)
                and name not in (self.search_exclude_columns or [])
            ]
        super().__init__(**kwargs)


class PortalBaseView(PageTitle, QuietHistory, BaseView):
    """A hand-written screen (dashboards, uploads, threads): same permission names."""

    method_permission_name = READ_WRITE_METHODS

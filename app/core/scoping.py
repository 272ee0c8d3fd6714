"""The one scoping mechanism: which rows a user may see and point at.

Every model declares its ``__scope__``; every query that reaches a user (FAB views, APIs,
downloads, dashboards, services) narrows through :func:`scope_condition` for the current
:class:`Principal`. Views and APIs never filter by hand.

The rules, in plain words:

* dealer staff see rows of the dealer companies they are linked to (Admin Revenda: all);
* client-side users also only rows of the clients they are linked to, and a client user who
  is not "gestor" only the calls he opened himself;
* a Técnico sees the calls assigned to his ERP technician (and those he opened), a
  Transportador the invoices of his carrier, the Operador de Logística calls in status L or S;
* a row the dealer withdrew (``Scope.withdrawn``: a billing file sent by mistake) leaves the
  client side's scope at once and stays in the dealer's;
* the company chosen in the top bar narrows all of this further, never widens it;
* outside a request (CLI, rq jobs, the ERP sync) the system sees everything.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, has_request_context, session
from sqlalchemy import and_, false, or_, select, union
from sqlalchemy.sql.elements import ColumnElement

from app.core.db import storable_id

LOGISTICS_STATUSES = ("L", "S")
SELECTED_COMPANY_KEY = "pws_company"


@dataclass(frozen=True)
class Scope:
    """How a model's rows are scoped: the names of its scope columns.

    A model with ``Scope()`` holds dealer-wide reference data every user may read.
    """

    company: str | None = None
    client: str | None = None
    opener: str | None = None
    technician: str | None = None
    carrier: str | None = None
    status: str | None = None
    parent: str | None = None
    dealer_only: bool = False
    own: str | None = None
    users: bool = False
    # A column set when the dealer withdraws the row (a billing file sent by mistake): from
    # then on client-side users no longer see it; the dealer still does, with its history.
    withdrawn: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is asking, reduced to what scoping needs. ``company_ids=None`` means all."""

    user_id: int | None
    system: bool = False
    profile: str | None = None
    company_ids: frozenset[int] | None = frozenset()
    linked_company_ids: frozenset[int] | None = frozenset()
    client_side: bool = False
    client_ids: frozenset[int] = frozenset()
    client_manager: bool = False
    own_orders: bool = False
    technician_id: int | None = None
    own_carrier: bool = False
    carrier_id: int | None = None
    logistics: bool = False

    @property
    def is_admin(self) -> bool:
        return self.system or self.linked_company_ids is None


SYSTEM = Principal(user_id=None, system=True, company_ids=None, linked_company_ids=None)
NOBODY = Principal(user_id=None)


class OutOfScope(Exception):
    """A write pointed at a row the user may not see; answered as 404."""


def use_principal_loader(app, loader: Callable[[], Principal]) -> None:
    """How a request's Principal is made: given at start-up by app.accounts (core knows no user)."""
    app.extensions["pws_principal_loader"] = loader


def current_principal() -> Principal:
    """The principal of this request, computed once; the system outside requests."""
    if not has_request_context():
        return SYSTEM
    principal = g.get("pws_principal")
    if principal is None:
        principal = current_app.extensions["pws_principal_loader"]()
        g.pws_principal = principal
    return principal


def selected_company_id() -> int | None:
    value = session.get(SELECTED_COMPANY_KEY) if has_request_context() else None
    return int(value) if value else None


def _column(model, name: str):
    return getattr(model, name)


def scope_condition(model, principal: Principal | None = None) -> ColumnElement | None:
    """The WHERE clause limiting ``model`` to the principal's rows; None when unrestricted."""
    parts = _scope_parts(model, principal)
    if parts is None:
        return None
    conditions, alternatives = parts
    return and_(*conditions, or_(*alternatives)) if alternatives else and_(*conditions)


def _scope_parts(model, principal: Principal | None) -> tuple[list, list] | None:
    """The scope's conditions that all hold, and the alternatives of which one holds (only a
    Técnico's calls have some: assigned to him, or opened by him); None when unrestricted."""
    principal = principal or current_principal()
    if principal.system:
        return None
    if principal.user_id is None:
        return [false()], []
    scope: Scope | None = getattr(model, "__scope__", None)
    if scope is None:
        if model.__module__.startswith("flask_appbuilder."):
            return None  # FAB's own role/permission tables: reachable from admin screens only
        raise TypeError(f"{model.__name__} declares no __scope__")
    if scope.users:
        return None if principal.is_admin else ([model.id == principal.user_id], [])
    if scope.own:
        return None if principal.is_admin else ([_column(model, scope.own) == principal.user_id], [])
    if scope.dealer_only and principal.client_side:
        return [false()], []

    conditions: list[ColumnElement] = []
    mine: list[ColumnElement] = []
    if scope.parent:
        relation = getattr(model, scope.parent).property
        parent = relation.mapper.class_
        parent_condition = scope_condition(parent, principal)
        if parent_condition is not None:
            (local_column,) = relation.local_columns
            conditions.append(local_column.in_(select(parent.id).where(parent_condition)))
    if scope.company and principal.company_ids is not None:
        conditions.append(_column(model, scope.company).in_(principal.company_ids))
    if scope.client and principal.client_side:
        conditions.append(_column(model, scope.client).in_(principal.client_ids))
    if scope.withdrawn and principal.client_side:
        conditions.append(_column(model, scope.withdrawn).is_(None))
    if scope.opener and principal.client_side and not principal.client_manager:
        conditions.append(_column(model, scope.opener) == principal.user_id)
    if scope.technician and principal.own_orders:
        mine.append(_column(model, scope.technician) == principal.technician_id)
        if scope.opener:
            mine.append(_column(model, scope.opener) == principal.user_id)
    if scope.carrier and principal.own_carrier:
        conditions.append(_column(model, scope.carrier) == principal.carrier_id)
    if scope.status and principal.logistics:
        conditions.append(_column(model, scope.status).in_(LOGISTICS_STATUSES))
    if not conditions and not mine:
        return None
    return conditions, mine


def scoped(stmt, model, principal: Principal | None = None):
    """Narrow a select() or Query over ``model`` to the principal's rows."""
    condition = scope_condition(model, principal)
    if condition is None:
        return stmt
    return stmt.where(condition) if hasattr(stmt, "where") else stmt.filter(condition)


def scoped_union(stmt, model, principal: Principal | None = None):
    """A select() over ``model`` narrowed to the principal's rows: where the scope has
    alternatives (a Técnico's calls: assigned to him, or opened by him), the UNION of one select
    per alternative. Written as one OR, MariaDB answers it by an index-merge that fetches every
    such row before sorting them; each alternative is read through its own index instead. Select
    the sort column too: the union then holds what a page is cut from, never the rows."""
    parts = _scope_parts(model, principal or current_principal())
    if parts is None or len(parts[1]) < 2:
        return scoped(stmt, model, principal)
    conditions, alternatives = parts
    return union(*(stmt.where(*conditions, alternative) for alternative in alternatives))


def is_union(model, principal: Principal | None = None) -> bool:
    """Whether the principal's rows of ``model`` are a union of alternatives (scoped_union)."""
    parts = _scope_parts(model, principal or current_principal())
    return parts is not None and len(parts[1]) > 1


def get_scoped(session, model, pk, principal: Principal | None = None):
    """One row by primary key, or None when it does not exist for this principal."""
    if pk is None or not storable_id(pk):
        return None
    stmt = scoped(select(model).where(model.__mapper__.primary_key[0] == pk), model, principal)
    return session.execute(stmt).scalars().first()


def check_references(session, item, principal: Principal | None = None) -> None:
    """Refuse a write whose row or whose many-to-one targets lie outside the scope."""
    principal = principal or current_principal()
    if principal.system:
        return
    mapper = item.__class__.__mapper__
    for relation in mapper.relationships:
        if relation.direction.name != "MANYTOONE":
            continue
        target = relation.mapper.class_
        if not hasattr(target, "__scope__"):
            continue
        values = [getattr(item, col.key, None) for col in relation.local_columns]
        related = getattr(item, relation.key, None)
        pk = related.id if related is not None else (values[0] if values else None)
        if pk is not None and get_scoped(session, target, pk, principal) is None:
            raise OutOfScope(f"{target.__name__} {pk}")
    own = scope_condition(item.__class__, principal)
    if own is None or item.__class__.__scope__.parent:
        return
    session.flush()
    pk_column = mapper.primary_key[0]
    visible = session.execute(
        select(pk_column).where(pk_column == getattr(item, pk_column.key), own)
    ).first()
    if visible is None:
        raise OutOfScope(f"{item.__class__.__name__}")

"""Builds the scoping Principal of the logged-in user (browser session or JWT)."""
from dataclasses import dataclass
from functools import cache

from flask import g, has_request_context
from flask_appbuilder.security.sqla.models import User, assoc_user_role
from flask_jwt_extended import current_user as current_user_jwt
from flask_login import current_user
from sqlalchemy import bindparam, literal, select, true, union_all
from sqlalchemy.orm import load_only

from app.accounts.models import PortalUser, user_client, user_company
from app.accounts.roles import profile_named
from app.core.db import db
from app.core.scoping import NOBODY, Principal, selected_company_id


def _request_user():
    user = g.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    if current_user is not None and current_user.is_authenticated:
        return current_user
    try:
        jwt_user = current_user_jwt
        if jwt_user is not None and getattr(jwt_user, "is_authenticated", False):
            return jwt_user
    except RuntimeError:
        pass
    return None


@dataclass(frozen=True)
class Links:
    roles: tuple[int, ...]
    companies: frozenset[int]
    clients: frozenset[int]


# Built once: every request runs them, and a statement object keeps its compiled cache key.
_LINKS = union_all(
    select(literal("r").label("kind"), assoc_user_role.c.role_id.label("ref"))
    .where(assoc_user_role.c.user_id == bindparam("user_id")),
    select(literal("c"), user_company.c.company_id).where(user_company.c.user_id == bindparam("user_id")),
    select(literal("k"), user_client.c.client_id).where(user_client.c.user_id == bindparam("user_id")),
)
_LINK_ROWS = _LINKS.subquery("links")
# What a request reads of its user; the rest (notification choices, login statistics, audit
# columns) loads when a page asks for it.
_REQUEST_COLUMNS = (
    PortalUser.first_name, PortalUser.last_name, PortalUser.username, PortalUser.email,
    PortalUser.password, PortalUser.active, PortalUser.profile, PortalUser.client_manager,
    PortalUser.technician_id, PortalUser.carrier_id, PortalUser.can_view_monitoring,
    PortalUser.session_version, PortalUser.ended_sessions,
)


@cache
def _user_with_links():
    """The user's row once per link (a user has a handful): one round trip instead of two.
    Built on first use, once: ``load_only`` needs every model mapped."""
    return (
        select(PortalUser, _LINK_ROWS.c.kind, _LINK_ROWS.c.ref)
        .outerjoin(_LINK_ROWS, true())
        .where(PortalUser.id == bindparam("user_id"))
        .options(load_only(*_REQUEST_COLUMNS))
    )


def _links_of(rows) -> Links:
    return Links(roles=tuple(sorted(ref for kind, ref in rows if kind == "r")),
                 companies=frozenset(ref for kind, ref in rows if kind == "c"),
                 clients=frozenset(ref for kind, ref in rows if kind == "k"))


def _remember(user_id: int, links: Links) -> Links:
    if has_request_context():
        g.pws_links = (user_id, links)
    return links


def load_request_user(user_id: int) -> PortalUser | None:
    """The request's user with his roles, companies and clients, in one query: the permission
    checks need his roles, the scope his companies and clients."""
    rows = db.session.execute(_user_with_links(), {"user_id": user_id}).all()
    if not rows:
        return None
    _remember(user_id, _links_of([(kind, ref) for _user, kind, ref in rows]))
    return rows[0][0]


def user_links(user_id: int) -> Links:
    """The user's roles, companies and clients (read with the request's user, or on their own)."""
    remembered = g.get("pws_links") if has_request_context() else None
    if remembered is not None and remembered[0] == user_id:
        return remembered[1]
    return _remember(user_id, _links_of(db.session.execute(_LINKS, {"user_id": user_id}).all()))


def principal_for_user_id(user_id: int, selected: int | None = None, row=None) -> Principal:
    """Reads the user's profile and links by id (never through FAB's base User class)."""
    if row is None:
        row = db.session.execute(select(*PRINCIPAL_COLUMNS).where(User.id == user_id)).first()
    if row is None:
        return NOBODY
    return principal_from(user_id, row, user_links(user_id), selected)


# What a Principal is made of, besides the user's links.
PRINCIPAL_COLUMNS = (PortalUser.profile, PortalUser.active, PortalUser.client_manager,
                     PortalUser.technician_id, PortalUser.carrier_id)


def principal_from(user_id: int, row, links: Links, selected: int | None = None) -> Principal:
    """The Principal of a user from his row (PRINCIPAL_COLUMNS) and his links: the one place
    a profile becomes a scope, for the request's user and for an e-mail's audience alike."""
    profile = profile_named(row.profile)
    if not row.active or profile is None:
        return NOBODY
    linked, clients = links.companies, links.clients
    if profile.all_companies:
        linked_companies = None
        effective = frozenset({selected}) if selected else None
    else:
        linked_companies = linked
        effective = linked & {selected} if selected in linked else linked
    return Principal(
        user_id=user_id,
        profile=profile.name,
        company_ids=effective,
        linked_company_ids=linked_companies,
        client_side=profile.client_side,
        client_ids=clients,
        client_manager=bool(row.client_manager),
        own_orders=profile.own_orders,
        technician_id=row.technician_id,
        own_carrier=profile.own_carrier,
        carrier_id=row.carrier_id,
        logistics=profile.logistics,
    )


def links_of_users(user_ids) -> dict[int, Links]:
    """Several users' roles, companies and clients in one query (an e-mail's audience)."""
    ids = list(user_ids)
    if not ids:
        return {}
    stmt = union_all(
        select(assoc_user_role.c.user_id, literal("r").label("kind"), assoc_user_role.c.role_id)
        .where(assoc_user_role.c.user_id.in_(ids)),
        select(user_company.c.user_id, literal("c"), user_company.c.company_id)
        .where(user_company.c.user_id.in_(ids)),
        select(user_client.c.user_id, literal("k"), user_client.c.client_id)
        .where(user_client.c.user_id.in_(ids)),
    )
    rows: dict[int, list] = {pk: [] for pk in ids}
    for user_id, kind, ref in db.session.execute(stmt):
        rows[user_id].append((kind, ref))
    return {pk: _links_of(found) for pk, found in rows.items()}


def principal_for_request() -> Principal:
    user = _request_user()
    if user is None:
        return NOBODY
    # The request already loaded the user; a base-class instance is re-read by id.
    row = user if isinstance(user, PortalUser) else None
    return principal_for_user_id(user.id, selected_company_id(), row=row)

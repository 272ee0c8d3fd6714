"""Who receives an e-mail: the users who can open the page it links to and chose its kind.

There is no second copy of the scope here. Each candidate user becomes the same
:class:`~app.core.scoping.Principal` a request of his would have (app.accounts.principal), his
roles the same permission set the views check (the security manager), and one query asks
:func:`~app.core.scoping.scope_condition` — the views' own rule — which of them see the row.
The only filter before that is a necessary condition of every scope (linked to the row's
company, or a profile that sees all companies), so the candidates stay few.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import literal, or_, select, union_all

from app.accounts.models import PREFERENCE_LABELS, PortalUser, user_company
from app.accounts.principal import PRINCIPAL_COLUMNS, links_of_users, principal_from, user_links
from app.accounts.roles import PROFILES
from app.core.db import db
from app.core.scoping import Principal, scope_condition
from app.notifications.contacts import is_known
from app.notifications.kinds import CLIENT_SIDE, DEALER_SIDE, KINDS, MAIL_KINDS, MailKind
from app.notifications.outbox import Recipient

ALL_COMPANY_PROFILES = tuple(p.name for p in PROFILES if p.all_companies)
SIDE_PROFILES = {
    CLIENT_SIDE: tuple(p.name for p in PROFILES if p.client_side),
    DEALER_SIDE: tuple(p.name for p in PROFILES if not p.client_side),
}
# Candidates asked about in one statement (SQLite allows 500 terms in a compound SELECT).
UNION_CHUNK = 200


def readers(kind: str, row, *, among=None, context: dict | None = None) -> list[Recipient]:
    """The active users who chose ``kind`` and can open ``row``'s page: its permissions
    (``MailKind.reads``) and the row within their scope. ``among`` narrows to some user ids."""
    spec = MAIL_KINDS[kind]
    candidates = _candidates(spec, row, among)
    if not candidates:
        return []
    links = links_of_users(candidates)
    permissions = current_app.appbuilder.sm.permissions_of_roles
    principals = {
        pk: principal_from(pk, user, links[pk]) for pk, user in candidates.items()
        if may_receive(spec, user.profile, permissions(links[pk].roles))
        and (user.client_manager or not spec.managers)
    }
    seeing = _who_sees(row, principals)
    return [Recipient(candidates[pk].email, pk, dict(context or {}))
            for pk in sorted(seeing, key=lambda pk: candidates[pk].email)]


def may_receive(spec: MailKind, profile: str | None, permissions) -> bool:
    """A profile with these permissions can open the kind's page and is on its side."""
    if spec.side and profile not in SIDE_PROFILES[spec.side]:
        return False
    return {("can_read", resource) for resource in spec.reads} <= permissions


def choices_offered(principal: Principal) -> list[str]:
    """The "Recebe e-mail de …" choices that can bring this user anything (Meus dados)."""
    permissions = current_app.appbuilder.sm.permissions_of_roles(user_links(principal.user_id).roles)
    offered = {kind.preference for kind in KINDS
               if kind.preference and may_receive(kind, principal.profile, permissions)
               and (principal.client_manager or not kind.managers)}
    return [name for name in PREFERENCE_LABELS if name in offered]


def account_holders(kind: str, user_ids, context: dict | None = None) -> list[Recipient]:
    """The given active users, for a kind about them (his password, a call taken from him);
    those who turned the kind's choice off are left out."""
    spec = MAIL_KINDS[kind]
    stmt = select(PortalUser.id, PortalUser.email).where(
        PortalUser.active.is_(True), PortalUser.id.in_(list(user_ids) or [0]))
    if spec.preference:
        stmt = stmt.where(getattr(PortalUser, spec.preference).is_(True))
    return [Recipient(email, pk, dict(context or {}))
            for pk, email in db.session.execute(stmt.order_by(PortalUser.email))]


def contact_copy(kind: str, call, context: dict | None = None, *, address: str | None = None) -> list[Recipient]:
    """The call's contact (``address``, by default the one typed at opening), for the kinds the
    manual tells the client (``MailKind.contact``), once the address is known for the call's
    client or confirmed by its owner (app.notifications.contacts: no relay to typed addresses)."""
    address = (call.contact_email if address is None else address) or ""
    address = address.strip()
    if not MAIL_KINDS[kind].contact or not address or not is_known(call.client_id, address):
        return []
    return [Recipient(address, None, dict(context or {}))]


def _candidates(spec: MailKind, row, among) -> dict:
    stmt = select(PortalUser.id, PortalUser.email, *PRINCIPAL_COLUMNS).where(PortalUser.active.is_(True))
    if spec.preference:
        stmt = stmt.where(getattr(PortalUser, spec.preference).is_(True))
    if among is not None:
        stmt = stmt.where(PortalUser.id.in_(list(among) or [0]))
    company_id = _company_of(row)
    if company_id is not None:
        linked = select(user_company.c.user_id).where(user_company.c.company_id == company_id)
        stmt = stmt.where(or_(PortalUser.profile.in_(ALL_COMPANY_PROFILES), PortalUser.id.in_(linked)))
    return {user.id: user for user in db.session.execute(stmt)}


def _company_of(row) -> int | None:
    scope = type(row).__scope__
    if scope.parent:
        parent = getattr(row, scope.parent)
        return _company_of(parent) if parent is not None else None
    return getattr(row, scope.company) if scope.company else None


def _who_sees(row, principals: dict) -> set[int]:
    """The user ids whose scope holds ``row``: one SELECT per user, sent as UNION ALLs."""
    model = type(row)
    pk_column = model.__mapper__.primary_key[0]
    selects = []
    for user_id, principal in principals.items():
        condition = scope_condition(model, principal)
        stmt = select(literal(user_id).label("user_id")).select_from(model.__table__).where(pk_column == row.id)
        selects.append(stmt if condition is None else stmt.where(condition))
    seeing: set[int] = set()
    for start in range(0, len(selects), UNION_CHUNK):
        chunk = selects[start:start + UNION_CHUNK]
        query = chunk[0] if len(chunk) == 1 else union_all(*chunk)
        seeing.update(db.session.execute(query).scalars())
    return seeing

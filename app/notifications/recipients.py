"""One rule for who receives each notification kind: preference, scope and active status.

A user receives a notification when he is active, asked for its kind ("Recebe e-mail de"),
may receive that kind at all (profile) and could see the row it is about. The last part is
the scoping rule of app.core.scoping read the other way round: instead of "which rows may
this user see" it answers "which users may see this row", from the same ``__scope__``
declaration, in one query.
"""
from sqlalchemy import false, literal, or_, select, true

from app.accounts.models import PortalUser, user_client, user_company
from app.accounts.roles import PROFILES
from app.core.db import db
from app.core.scoping import LOGISTICS_STATUSES

# Notification kind -> the "Recebe e-mail de" preference that asks for it.
PREFERENCE_BY_KIND = {
    "call_opened": "email_call_opened",
    "call_changed": "email_call_changed",
    "contact": "email_contact",
    "opportunity": "email_opportunity",
    "supply_request": "email_supply_request",
    "supply_release": "email_supply_release",
}
ALL_COMPANY_PROFILES = tuple(p.name for p in PROFILES if p.all_companies)
CLIENT_SIDE_PROFILES = tuple(p.name for p in PROFILES if p.client_side)
DEALER_SIDE_PROFILES = tuple(p.name for p in PROFILES if not p.client_side)
OWN_ORDER_PROFILES = tuple(p.name for p in PROFILES if p.own_orders)
OWN_CARRIER_PROFILES = tuple(p.name for p in PROFILES if p.own_carrier)
LOGISTICS_PROFILES = tuple(p.name for p in PROFILES if p.logistics)
# Kinds only the dealer's staff receive, whatever a client user ticked.
PROFILES_BY_KIND = {
    "contact": DEALER_SIDE_PROFILES,
    "opportunity": DEALER_SIDE_PROFILES,
}
# Kinds about a user's own account: sent to the given users only, no preference or scope.
PERSONAL_KINDS = frozenset({"password_reset"})


def recipients_for(kind: str, *, company_id: int | None = None, client_id: int | None = None,
                   profiles: tuple[str, ...] | None = None, row=None,
                   user_ids=None) -> list[str]:
    """E-mails of active users who asked for ``kind`` and whose scope covers the row.

    Pass ``row`` (the call, supply request, contact message…) to apply its whole scope:
    company and client, the opener for client users who are not "gestor", the technician,
    the carrier and the logistics statuses. Without ``row`` only ``company_id`` and
    ``client_id`` are checked: dealer staff must be linked to the company (Admin Revenda
    sees every company), client-side users also to the client. ``profiles`` and
    ``user_ids`` narrow the audience further (e.g. the opener of a call).
    """
    stmt = select(PortalUser.email).where(PortalUser.active.is_(True))
    preference = PREFERENCE_BY_KIND.get(kind)
    if preference:
        stmt = stmt.where(getattr(PortalUser, preference).is_(True))
    for allowed in (PROFILES_BY_KIND.get(kind), profiles):
        if allowed:
            stmt = stmt.where(PortalUser.profile.in_(allowed))
    if user_ids is not None:
        stmt = stmt.where(PortalUser.id.in_(list(user_ids) or [0]))
    if kind not in PERSONAL_KINDS:
        conditions = audience(row) if row is not None else _company_client(company_id, client_id)
        stmt = stmt.where(*conditions)
    return sorted(set(db.session.execute(stmt).scalars()))


def audience(row) -> list:
    """Conditions on PortalUser: he may see ``row`` (mirror of scope_condition)."""
    scope = type(row).__scope__
    if scope.users or scope.own:
        owner = row.id if scope.users else getattr(row, scope.own)
        return [or_(_is(ALL_COMPANY_PROFILES), PortalUser.id == owner)]
    conditions = []
    if scope.parent:
        parent = getattr(row, scope.parent)
        conditions += audience(parent) if parent is not None else [false()]
    if scope.dealer_only:
        conditions.append(~_is(CLIENT_SIDE_PROFILES))
    company = getattr(row, scope.company) if scope.company else None
    client = getattr(row, scope.client) if scope.client else None
    if scope.company:
        conditions += _company_client(company, client if scope.client else None, check_client=bool(scope.client))
    elif scope.client:
        conditions.append(_client_condition(client))
    opener = getattr(row, scope.opener) if scope.opener else None
    if scope.opener:
        conditions.append(or_(~_is(CLIENT_SIDE_PROFILES), PortalUser.client_manager.is_(True),
                              PortalUser.id == opener))
    if scope.technician:
        mine = PortalUser.technician_id == getattr(row, scope.technician)
        if scope.opener:
            mine = or_(mine, PortalUser.id == opener)
        conditions.append(or_(~_is(OWN_ORDER_PROFILES), mine))
    if scope.carrier:
        conditions.append(or_(~_is(OWN_CARRIER_PROFILES), PortalUser.carrier_id == getattr(row, scope.carrier)))
    if scope.status:
        in_logistics = true() if getattr(row, scope.status) in LOGISTICS_STATUSES else false()
        conditions.append(or_(~_is(LOGISTICS_PROFILES), in_logistics))
    return conditions


def _company_client(company_id, client_id, check_client=True) -> list:
    linked_company = select(user_company.c.user_id).where(user_company.c.company_id == company_id)
    conditions = [or_(_is(ALL_COMPANY_PROFILES), PortalUser.id.in_(linked_company))]
    if check_client:
        conditions.append(_client_condition(client_id))
    return conditions


def _client_condition(client_id):
    if not client_id:
        return ~_is(CLIENT_SIDE_PROFILES)
    linked_client = select(user_client.c.user_id).where(user_client.c.client_id == client_id)
    return or_(~_is(CLIENT_SIDE_PROFILES), PortalUser.id.in_(linked_client))


def _is(profiles: tuple[str, ...]):
    return PortalUser.profile.in_(profiles) if profiles else literal(False)

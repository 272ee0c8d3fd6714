"""One rule for who receives each notification kind: preference, scope and active status."""
from sqlalchemy import false, or_, select, true

from app.accounts.models import PortalUser, user_client, user_company
from app.accounts.roles import PROFILES
from app.core.db import db

# Notification kind -> the "Recebe e-mail de" preference that asks for it.
PREFERENCE_BY_KIND = {
    "call_opened": "email_call_opened",
    "call_changed": "email_call_changed",
    "contact": "email_contact",
    "opportunity": "email_opportunity",
    "supply_request": "email_supply_request",
    "supply_release": "email_supply_release",
    "billing_files": None,  # no preference: the profiles passed by the caller decide
}
ALL_COMPANY_PROFILES = tuple(p.name for p in PROFILES if p.all_companies)
CLIENT_SIDE_PROFILES = tuple(p.name for p in PROFILES if p.client_side)


def recipients_for(kind: str, *, company_id: int | None, client_id: int | None = None,
                   profiles: tuple[str, ...] | None = None) -> list[str]:
    """E-mails of active users who asked for ``kind`` and whose scope covers the row.

    Dealer staff must be linked to the row's company (Admin Revenda sees every company);
    client-side users must also be linked to the row's client.
    """
    preference = PREFERENCE_BY_KIND[kind]
    linked_company = select(user_company.c.user_id).where(user_company.c.company_id == company_id)
    linked_client = select(user_client.c.user_id).where(user_client.c.client_id == client_id)
    stmt = select(PortalUser.email).where(
        PortalUser.active.is_(True),
        getattr(PortalUser, preference).is_(True) if preference else true(),
        or_(PortalUser.profile.in_(ALL_COMPANY_PROFILES), PortalUser.id.in_(linked_company)),
        or_(PortalUser.profile.not_in(CLIENT_SIDE_PROFILES),
            PortalUser.id.in_(linked_client) if client_id else false()),
    )
    if profiles:
        stmt = stmt.where(PortalUser.profile.in_(profiles))
    return sorted(set(db.session.execute(stmt).scalars()))

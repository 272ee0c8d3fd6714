"""The companies a user may pick in the top-bar selector (shared by the selector and the lists
that offer a company)."""
from dataclasses import dataclass

from sqlalchemy import select

from app.catalog.models import Company
from app.core.cache import reference
from app.core.db import db
from app.core.scoping import current_principal


@dataclass(frozen=True)
class CompanyChoice:
    id: int
    display_name: str


def _active_companies() -> tuple[CompanyChoice, ...]:
    rows = db.session.execute(select(Company).where(Company.active.is_(True)).order_by(Company.name))
    return tuple(CompanyChoice(c.id, c.display_name) for c in rows.scalars())


def selectable_companies() -> list[CompanyChoice]:
    """The companies the top-bar selector offers: those the user is linked to."""
    principal = current_principal()
    if principal.user_id is None:
        return []
    companies = reference("companies", _active_companies)
    if principal.linked_company_ids is None:
        return list(companies)
    return [c for c in companies if c.id in principal.linked_company_ids]

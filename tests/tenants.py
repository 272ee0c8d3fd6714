"""Two tenants of one dealer: ours and a foreign one, each with its own rows and users."""
from dataclasses import dataclass

from app.accounts.roles import profile_named
from tests import factories as f


@dataclass
class Tenant:
    company: object
    client: object
    contract: object
    equipment: object
    technician: object
    carrier: object


def make_tenant(company=None) -> Tenant:
    company = company or f.company()
    client = f.client(company)
    contract = f.contract(client)
    return Tenant(company=company, client=client, contract=contract,
                  equipment=f.equipment(client, contract=contract),
                  technician=f.technician(), carrier=f.carrier())


def tenant_pair(profile: str) -> tuple[Tenant, Tenant]:
    """Ours and the foreign tenant: another company for dealer staff, another client of the
    same company for client-side users (the harder case for them)."""
    ours = make_tenant()
    side = profile_named(profile)
    foreign = make_tenant(ours.company if side.client_side else None)
    return ours, foreign


def user_for(profile: str, tenant: Tenant, **kw):
    side = profile_named(profile)
    return f.user(profile, companies=[tenant.company],
                  clients=[tenant.client] if side.client_side else [],
                  technician=tenant.technician if side.own_orders else None,
                  carrier=tenant.carrier if side.own_carrier else None,
                  client_manager=side.client_side, **kw)

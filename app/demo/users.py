"""Demo users of every profile, created through the one user service."""
from dataclasses import dataclass, field

from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, SUPPLIES_OPERATOR,
)
from app.accounts.services import create_user, hash_password
from app.catalog.models import Carrier, Client, Company, Technician
from app.core.db import db

DEMO_PASSWORD = "senha-demo"  # nosec B105  # demo logins, printed for everyone

# "Recebe e-mail de" (§3.2.1) per profile: what each kind of user would ask for.
PREFERENCES = {
    ADMIN: ("email_call_opened", "email_call_changed", "email_contact", "email_opportunity",
            "email_supply_request", "email_supply_release"),
    ATTENDANCE_OPERATOR: ("email_call_opened", "email_call_changed", "email_contact",
                          "email_opportunity"),
    CALLS_OPERATOR: ("email_call_opened", "email_call_changed"),
    SUPPLIES_OPERATOR: ("email_supply_request", "email_supply_release"),
    CLIENT: ("email_call_changed", "email_supply_release"),
    CALL_OPENER: ("email_call_changed",),
}
MONITORING = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR)


@dataclass
class UserSpec:
    email: str
    name: str
    profile: str
    company_ids: tuple[int, ...] = ()
    client_ids: tuple[int, ...] = ()
    technician_id: int | None = None
    carrier_id: int | None = None
    scope: str = ""                 # what the login table says he is linked to
    printed: bool = False
    id: int | None = field(default=None)


def create_users(specs: list[UserSpec]) -> None:
    """Create every user (one commit) and fill in each spec's id. The demo password is hashed
    once, with the app's method (a demo login costs what any login costs, so timing tells no
    demo account apart), and the hash reused: hundreds of users in a fraction of a second."""
    session = db.session
    hashed = hash_password(DEMO_PASSWORD)
    users = []
    for spec in specs:
        prefs = {name: True for name in PREFERENCES.get(spec.profile, ())}
        users.append(create_user(
            email=spec.email, name=spec.name, password_hash=hashed, profile=spec.profile,
            companies=[session.get(Company, pk) for pk in spec.company_ids],
            clients=[session.get(Client, pk) for pk in spec.client_ids],
            technician=spec.technician_id and session.get(Technician, spec.technician_id),
            carrier=spec.carrier_id and session.get(Carrier, spec.carrier_id),
            client_manager=spec.profile == CLIENT,
            can_view_monitoring=spec.profile in MONITORING,
            commit=False, **prefs,
        ))
    session.commit()
    for spec, user in zip(specs, users):
        spec.id = user.id


def logins_table(specs: list[UserSpec]) -> str:
    """The printed logins: e-mail, password, profile and what each one is linked to."""
    rows = [("E-mail", "Senha", "Perfil", "Vínculo")]
    rows += [(s.email, DEMO_PASSWORD, s.profile, s.scope) for s in specs if s.printed]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


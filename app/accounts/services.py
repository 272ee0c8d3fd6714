"""User creation shared by the CLI, demo data and tests; deactivation of users with history."""
import secrets

from sqlalchemy import literal, select
from werkzeug.security import generate_password_hash

from app.accounts.models import PortalUser, user_client, user_company
from app.accounts.roles import profile_named
from app.accounts.sessions import end_sessions
from app.core.db import db


def hash_password(password: str) -> str:
    from flask import current_app

    return generate_password_hash(password, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"))


def create_user(*, email, name, profile, password=None, password_hash=None, companies=(),
                clients=(), technician=None, carrier=None, client_manager=False,
                can_view_monitoring=False, extra_roles=(), commit=True, **preferences) -> PortalUser:
    """A user with his profile role; ``password_hash`` lets a caller creating many users with
    one password (the demo) hash it once, with the same method as everyone's."""
    from flask import current_app

    if profile_named(profile) is None:
        raise ValueError(f"unknown profile {profile!r}")
    sm = current_app.appbuilder.sm
    roles = [sm.role_by_name(profile), *(sm.role_by_name(r) for r in extra_roles)]
    user = PortalUser(
        first_name=name, last_name="", username=email, email=email, active=True,
        password=password_hash or hash_password(password), profile=profile,
        roles=[r for r in roles if r is not None], companies=list(companies),
        clients=list(clients), technician=technician, carrier=carrier,
        client_manager=client_manager, can_view_monitoring=can_view_monitoring, **preferences,
    )
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def unusable_password() -> str:
    """A hash of a random secret nobody knows: the account has no password until its owner
    chooses one through his invitation link."""
    return hash_password(secrets.token_urlsafe(32))


def has_history(user_id: int) -> bool:
    """Whether any row besides the user's own links points at him (calls he opened, messages,
    uploads, changes he made, users he created…): deleting him would break or orphan them."""
    from flask_appbuilder.security.sqla.models import assoc_user_role

    own_links = {user_company.name, user_client.name, assoc_user_role.name}
    user_table = PortalUser.__table__
    for table in db.metadata.sorted_tables:
        if table.name in own_links:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is not user_table or (fk.ondelete or "").upper() == "CASCADE":
                continue
            found = db.session.execute(select(literal(1)).select_from(table)
                                       .where(fk.parent == user_id).limit(1)).first()
            if found:
                return True
    return False


def deactivate(user: PortalUser) -> None:
    """Off for good until reactivated: no login, every open session ended (caller commits)."""
    user.active = False
    end_sessions(user)

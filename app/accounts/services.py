"""User creation shared by the CLI, demo data and tests."""
from werkzeug.security import generate_password_hash

from app.accounts.models import PortalUser
from app.accounts.roles import profile_named
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

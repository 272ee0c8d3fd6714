"""Redefinir senha (§2.2): an e-mailed, single-use link that expires within the hour; a new
user's invitation is the same link, valid longer, to choose his first password.

The token is random and only its SHA-256 is stored; it is bound to the password it replaces,
so any password change (by this link, by the user or by the admin) kills every older link.
The link is built from PWS_BASE_URL, never from the request's Host header.
"""
import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.accounts.models import PasswordResetToken, PortalUser
from app.accounts.services import hash_password
from app.core.db import db, utcnow
from app.core.tokens import TokenGone, find, new_token
from app.notifications.outbox import Recipient, queue_email

MIN_PASSWORD_LENGTH = 8


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()


def request_reset(email: str, ip: str | None = None) -> None:
    """E-mail a link to the active user with this e-mail; do nothing otherwise (same answer)."""
    address = (email or "").strip().lower()
    if not address:
        return
    user = db.session.execute(
        select(PortalUser).where(func.lower(PortalUser.email) == address, PortalUser.active.is_(True))
    ).scalars().first()
    if user is None:
        return
    send_link(user, ip=ip)


def send_link(user: PortalUser, *, invitation: bool = False, ip: str | None = None) -> None:
    """E-mail the user a single-use link to choose his password: the invitation of a new user
    (who has no password yet; valid PWS_INVITATION_HOURS) or a reset link (the caller commits)."""
    raw, hashed = new_token()
    minutes = current_app.config["PWS_INVITATION_HOURS"] * 60 if invitation \
        else current_app.config["PWS_RESET_TOKEN_MINUTES"]
    db.session.add(PasswordResetToken(
        user_id=user.id, token_hash=hashed, password_fingerprint=_fingerprint(user.password),
        expires_at=utcnow() + timedelta(minutes=minutes), ip=ip,
    ))
    queue_email("invitation" if invitation else "password_reset", [Recipient(user.email, user.id)], {
        "name": user.name,  # the user himself, active
        "link": f"{current_app.config['PWS_BASE_URL']}/redefinir-senha/{raw}",
        "minutes": minutes,
        "hours": minutes // 60,
    })


def valid_token(raw: str) -> PasswordResetToken | None:
    """The unused, unexpired token of an active user whose password has not changed since."""
    try:
        token = find(PasswordResetToken, raw, revoked=None, spent="used_at")
    except TokenGone:
        return None
    if token is None:
        return None
    user = db.session.get(PortalUser, token.user_id)
    if user is None or not user.active or _fingerprint(user.password) != token.password_fingerprint:
        return None
    return token


def reset_password(raw: str, new_password: str) -> PortalUser | None:
    """Set the new password through a valid token, spending it; None when the link is dead."""
    token = valid_token(raw)
    if token is None:
        return None
    spent = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == token.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        return None
    user = db.session.get(PortalUser, token.user_id)
    user.password = hash_password(new_password)
    user.fail_login_count = 0
    return user

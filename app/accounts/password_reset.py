"""Redefinir senha (§2.2): an e-mailed, single-use link that expires within the hour; a new
user's invitation is the same link, valid longer, to choose his first password.

The token is random and only its SHA-256 is stored; it is bound to the password it replaces,
so any password change (by this link, by the user or by the admin) kills every older link.
The link is built from PWS_BASE_URL, never from the request's Host header.

The request's answer does the same work for every e-mail: looking the user up, writing the
token and rendering the e-mail happen after the answer has been sent (``after_the_answer``), so
its time tells nobody whether the address is registered (docs/security.md).
"""
import hashlib
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.accounts.models import PasswordResetToken, PortalUser
from app.accounts.services import hash_password
from app.accounts.throttle import clear_login_failures, reset_allowed
from app.core.db import db, utcnow
from app.core.tokens import TokenGone, find, new_token
from app.notifications.outbox import Recipient, queue_email

log = logging.getLogger(__name__)


def after_the_answer(response, email: str, ip: str | None):
    """Run ``request_reset`` once ``response`` has been sent (WSGI close), in its own app
    context and transaction; returns the response."""
    app = current_app._get_current_object()

    def work():
        with app.app_context():
            try:
                request_reset(email, ip)
                db.session.commit()
            except Exception:  # the answer is gone: log, never raise into the server
                db.session.rollback()
                log.exception("password reset request could not be handled")
            finally:
                db.session.remove()

    response.call_on_close(work)
    return response


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()


def request_reset(email: str, ip: str | None = None) -> None:
    """E-mail a link to the active user with this e-mail, at most PWS_RESET_ACCOUNT_LIMIT
    times per account; do nothing otherwise."""
    address = (email or "").strip().lower()
    if not address:
        return
    user = db.session.execute(
        select(PortalUser).where(func.lower(PortalUser.email) == address, PortalUser.active.is_(True))
    ).scalars().first()
    if user is None or not reset_allowed(user.id):
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
    clear_login_failures(user.username)
    return user

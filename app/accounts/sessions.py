"""Sessions and app tokens ended server-side.

Two things end a browser session before its cookie expires:

- ``PortalUser.session_version``, copied into the cookie at login and into every app token
  (JWT claim ``sv``): a password change, a deactivation and "Sair de todos os dispositivos"
  bump it, which ends every session and every app token of the user on every device. One
  number serves both: every event that must end one must end the other.
- ``PortalUser.ended_sessions``: "Sair" ends this device's session only. Each login gets a
  random session id; logging out adds it to the user's list of ended ids (kept for as long as a
  cookie can live), so that cookie replayed later is anonymous while the user's other devices
  stay logged in.

Both checks read the user row Flask-Login already loads: no extra query (docs/security.md).
"""
import secrets
import time

from flask import current_app, has_request_context, session
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import event
from sqlalchemy.orm.base import NO_VALUE

from app.accounts.models import PortalUser
from app.core.db import db

SESSION_KEY = "_pws_sv"
SESSION_ID_KEY = "_pws_sid"
TOKEN_CLAIM = "sv"  # nosec B105  # a JWT claim name, not a secret
# Past this many ended sessions within a cookie's lifetime, logging out ends them all.
MAX_ENDED_SESSIONS = 100


def version_of(user) -> int:
    return getattr(user, "session_version", 0) or 0


def _ended(user) -> dict[str, int]:
    """The user's ended session ids and when they ended (epoch seconds)."""
    pairs = (entry.partition(":") for entry in (user.ended_sessions or "").split())
    return {sid: int(when) for sid, _sep, when in pairs if when.isdigit()}


def is_current(user) -> bool:
    """This request's cookie belongs to a session the user has not ended."""
    if session.get(SESSION_KEY, 0) != version_of(user):
        return False
    sid = session.get(SESSION_ID_KEY)
    return not sid or sid not in _ended(user)


def token_is_current(user, claims: dict) -> bool:
    """An app token (access or refresh) issued before the user's sessions were ended is dead;
    a token without the claim predates it and is refused too."""
    return claims.get(TOKEN_CLAIM) == version_of(user)


def end_sessions(user) -> None:
    """Every session and app token issued to this user before now stops working (committed by
    the caller). The request that does it (a user changing his own password) keeps its own
    session."""
    user.session_version = version_of(user) + 1
    user.ended_sessions = None
    if has_request_context() and session.get("_user_id") == str(user.id):
        session[SESSION_KEY] = user.session_version


def end_this_session(user) -> None:
    """Log this device out: its session id joins the user's ended ones (committed here, the
    logout's only write). A cookie from before session ids existed ends every session."""
    sid = session.get(SESSION_ID_KEY)
    if not sid:
        end_sessions(user)
        return
    now = int(time.time())
    oldest = now - int(current_app.permanent_session_lifetime.total_seconds())
    ended = {key: when for key, when in _ended(user).items() if when >= oldest}
    ended[sid] = now
    if len(ended) > MAX_ENDED_SESSIONS:
        end_sessions(user)
    else:
        user.ended_sessions = " ".join(f"{key}:{when}" for key, when in ended.items())


def _on_login(_app, user, **_kw):
    session[SESSION_KEY] = version_of(user)
    session[SESSION_ID_KEY] = secrets.token_hex(12)


def _on_logout(_app, user, **_kw):
    if isinstance(user, PortalUser):
        end_this_session(user)
        db.session.commit()
    session.pop(SESSION_KEY, None)
    session.pop(SESSION_ID_KEY, None)


def _credential_changed(target, value, oldvalue, _initiator):
    if oldvalue is not NO_VALUE and oldvalue is not None and value != oldvalue:
        end_sessions(target)
    return value


def init_app(app) -> None:
    user_logged_in.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)


event.listen(PortalUser.password, "set", _credential_changed, retval=True)
event.listen(PortalUser.active, "set", _credential_changed, retval=True)

"""Sessions ended server-side: a per-user counter copied into the cookie at login.

Logout, deactivation and a password change bump ``PortalUser.session_version``; a cookie whose
number differs is treated as anonymous, so a cookie replayed after logout gets the login page
(docs/security.md). The check reads the user row Flask-Login already loads: no extra query.
"""
from flask import has_request_context, session
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import event
from sqlalchemy.orm.base import NO_VALUE

from app.accounts.models import PortalUser
from app.core.db import db

SESSION_KEY = "_pws_sv"


def is_current(user) -> bool:
    return session.get(SESSION_KEY, 0) == (getattr(user, "session_version", 0) or 0)


def end_sessions(user) -> None:
    """Every cookie issued to this user before now stops working (committed by the caller).

    The request that does it (a user changing his own password) keeps its own session.
    """
    user.session_version = (user.session_version or 0) + 1
    if has_request_context() and session.get("_user_id") == str(user.id):
        session[SESSION_KEY] = user.session_version


def _on_login(_app, user, **_kw):
    session[SESSION_KEY] = getattr(user, "session_version", 0) or 0


def _on_logout(_app, user, **_kw):
    if isinstance(user, PortalUser):
        end_sessions(user)
        db.session.commit()
    session.pop(SESSION_KEY, None)


def _credential_changed(target, value, oldvalue, _initiator):
    if oldvalue is not NO_VALUE and oldvalue is not None and value != oldvalue:
        end_sessions(target)
    return value


def init_app(app) -> None:
    user_logged_in.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)


event.listen(PortalUser.password, "set", _credential_changed, retval=True)
event.listen(PortalUser.active, "set", _credential_changed, retval=True)

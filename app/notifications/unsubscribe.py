"""One-click unsubscribe (RFC 8058): a signed link per user and "Recebe e-mail de" choice.

The link needs no login and can do one thing only: turn that user's choice off. It is signed
with the app's secret, so a link for another user or another choice cannot be made up.
"""
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.notifications.kinds import MAIL_KINDS

_SALT = "pws-unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_url(user_id: int | None, kind: str) -> str | None:
    """The link for this user and the choice that asks for ``kind``; None when there is none."""
    preference = MAIL_KINDS[kind].preference if kind in MAIL_KINDS else None
    if user_id is None or preference is None:
        return None
    token = _serializer().dumps([int(user_id), preference])
    return f"{current_app.config['PWS_BASE_URL']}/email/descadastrar/{token}"


def read_token(token: str) -> tuple[int, str] | None:
    """(user id, preference) of a genuine link, or None."""
    try:
        user_id, preference = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or preference not in {k.preference for k in MAIL_KINDS.values()}:
        return None
    return user_id, preference

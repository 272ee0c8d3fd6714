"""Per-account limits, on top of the per-address ones (docs/security.md): failed logins and
reset e-mails are counted per account, whatever address they come from.

Counted in Flask-Limiter's storage: Redis with REDIS_URL (shared by every server), this
process's memory otherwise and while Redis is down. Failed logins meet growing refusal windows
(PWS_ACCOUNT_LOGIN_LIMIT, e.g. 5 in 5 minutes, 10 in an hour, 30 in a day), but never from a
browser that has logged in to that account before (its signed ``pws_dispositivo`` cookie): an
attacker who spends the account's attempts does not keep its owner out.
"""
import hashlib
import logging

from flask import abort, after_this_request, current_app, g, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse_many

log = logging.getLogger(__name__)
DEVICE_COOKIE = "pws_dispositivo"
DEVICE_SALT = "pws-known-device"
DEVICE_ACCOUNTS = 5          # accounts one browser is remembered for
DEVICE_DAYS = 365


def _strategy():
    """The limiter's counting strategy, or None when rate limiting is off."""
    limiter = current_app.appbuilder.sm.limiter
    if not limiter.enabled:
        return None
    try:
        return limiter.limiter
    except AssertionError:  # never initialised
        return None


def _hit_all(config_key: str, *identifiers: str) -> bool:
    """Count one event against each of the setting's limits; False when one is exceeded.
    A storage error counts nothing (the per-address limits still hold)."""
    strategy = _strategy()
    if strategy is None:
        return True
    try:
        results = [strategy.hit(limit, *identifiers) for limit in parse_many(current_app.config[config_key])]
    except Exception:  # noqa: BLE001 - Redis down before the limiter switched to memory
        log.warning("per-account limit %s not counted: storage unavailable", config_key)
        return True
    return all(results)


def account_key(username: str | None) -> str:
    """The account a login names, as typed (known or not: the same treatment)."""
    return hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]


# --- logins ---

def login_refused(username: str | None) -> bool:
    """The account's failed attempts are over a limit and this browser never logged in to it."""
    strategy = _strategy()
    if strategy is None:
        return False
    key = account_key(username)
    if key in _known_accounts():
        return False
    try:
        return not all(strategy.test(limit, "pws-login-account", key)
                       for limit in parse_many(current_app.config["PWS_ACCOUNT_LOGIN_LIMIT"]))
    except Exception:  # noqa: BLE001 - see _hit_all
        return False


def refuse_throttled_login():
    """before_request: a login (form or app) naming an account over its limit gets 429 before
    its password is checked."""
    if request.method != "POST" or request.endpoint not in _login_endpoints():
        return
    if request.is_json:
        username = (request.get_json(silent=True) or {}).get("username")
    else:
        username = request.form.get("username")
    if login_refused(username if isinstance(username, str) else None):
        abort(429)


def _login_endpoints() -> tuple[str, str]:
    return f"{current_app.appbuilder.sm.auth_view.endpoint}.login", "SecurityApi.login"


def login_failed(username: str | None) -> None:
    _hit_all("PWS_ACCOUNT_LOGIN_LIMIT", "pws-login-account", account_key(username))


def login_succeeded(username: str | None) -> None:
    """Remember this browser for the account: its owner's logins skip the account's limit."""
    if not has_request_context():
        return
    known = [key for key in _known_accounts() if key != account_key(username)]
    known = [account_key(username), *known][:DEVICE_ACCOUNTS]
    value = _serializer().dumps(known)

    @after_this_request
    def _remember(response):
        response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 24 * 3600, httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
        return response


def clear_login_failures(username: str | None) -> None:
    """A new password chosen through the e-mailed link: the account starts afresh."""
    strategy = _strategy()
    if strategy is None:
        return
    try:
        for limit in parse_many(current_app.config["PWS_ACCOUNT_LOGIN_LIMIT"]):
            strategy.clear(limit, "pws-login-account", account_key(username))
    except Exception:  # noqa: BLE001 - see _hit_all
        log.warning("per-account login counters not cleared: storage unavailable")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=DEVICE_SALT)


def _known_accounts() -> list[str]:
    if "pws_known_accounts" not in g:
        try:
            known = _serializer().loads(request.cookies.get(DEVICE_COOKIE, ""))
        except BadSignature:
            known = []
        g.pws_known_accounts = [k for k in known if isinstance(k, str)] if isinstance(known, list) else []
    return g.pws_known_accounts


# --- reset e-mails ---

def reset_allowed(user_id: int) -> bool:
    """Count one reset e-mail for this user; False past PWS_RESET_ACCOUNT_LIMIT."""
    return _hit_all("PWS_RESET_ACCOUNT_LIMIT", "pws-reset-account", str(user_id))

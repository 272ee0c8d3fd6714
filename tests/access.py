"""The route × role table: which profile gets which status on every route.

Each area adds ``tests/routes/<area>.py`` with a ``ROUTES`` dict:
``("GET", "/clientview/show/{client}"): allow(*MASTER_READERS)``. Placeholders name rows of
the shared ``world`` (tests/world.py). ``test_route_matrix`` fails on any registered route
missing from the tables, and on any status that differs from the table.
"""
from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, BILLING_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CARRIER, CLIENT,
    LOGISTICS_OPERATOR, PROFILE_NAMES, SUPPLIES_OPERATOR, TECHNICIAN,
)

ANONYMOUS = "anônimo"
ALL_ROLES = (*PROFILE_NAMES, ANONYMOUS)
LOGGED_IN = PROFILE_NAMES
DEALER_OPERATORS = (ATTENDANCE_OPERATOR, CALLS_OPERATOR, SUPPLIES_OPERATOR)

__all__ = [
    "ADMIN", "ATTENDANCE_OPERATOR", "BILLING_OPERATOR", "CALL_OPENER", "CALLS_OPERATOR", "CARRIER",
    "CLIENT", "LOGISTICS_OPERATOR", "SUPPLIES_OPERATOR", "TECHNICIAN", "ANONYMOUS", "ALL_ROLES",
    "LOGGED_IN", "DEALER_OPERATORS", "allow", "public", "api_allow",
]


def allow(*roles, ok=200, denied=403, anonymous=302, **overrides):
    """A browser route: listed roles get ``ok``, other profiles ``denied``, visitors the login."""
    expected = {role: (ok if role in roles else denied) for role in PROFILE_NAMES}
    expected[ANONYMOUS] = anonymous
    expected.update({role: status for role, status in overrides.items()})
    return expected


def api_allow(*roles, ok=200, denied=403):
    """An API route: visitors without a token get 401."""
    return allow(*roles, ok=ok, denied=denied, anonymous=401)


def public(status=200):
    """On the public allow-list: the same answer for everyone."""
    return {role: status for role in ALL_ROLES}

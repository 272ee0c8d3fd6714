"""Cross-scope cases of Acompanhar chamados: each profile's foreign calls are 404 and unlisted.

The list's own search parameters (série, número, cliente…) are tested against foreign rows in
tests/test_calls_list.py; the generic search check here still proves nothing foreign is listed.
"""
from app.accounts.roles import (
    CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGISTICS_OPERATOR, TECHNICIAN,
)
from app.calls.models import ServiceCall
from tests import factories as f
from tests.scopes import ScopedCase


def _call(status="A"):
    def make(tenant):
        return f.call(tenant.client, tenant.equipment, status=status, technician=tenant.technician)
    return make


def _serial(call):
    return call.equipment.serial


CASES = [
    ScopedCase(f"chamados-{name}", "/chamados", profile, _call(status), _serial,
               model=ServiceCall)
    for name, profile, status in (
        ("operador", CALLS_OPERATOR, "A"),
        ("cliente", CLIENT, "E"),
        ("abertura", CALL_OPENER, "A"),
        ("tecnico", TECHNICIAN, "M"),
        ("logistica", LOGISTICS_OPERATOR, "L"),
    )
]

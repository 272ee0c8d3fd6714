from app.accounts.roles import ATTENDANCE_OPERATOR, CLIENT, TECHNICIAN
from app.field.models import Attendance
from tests import factories as f
from tests.scopes import ScopedCase


def attendance_of(tenant):
    """A concluded attendance of the tenant's technician on a call of the tenant's client."""
    call = f.call(tenant.client, tenant.equipment, status="O", technician=tenant.technician)
    return f.attendance(call, services=f"Troca do cilindro — {tenant.client.trade_name}")


ROUTES = ("show", "imprimir", "compartilhar", "assinatura")
CASES = [
    ScopedCase(f"atendimentos-{name}", "/atendimentos", profile, attendance_of,
               lambda row: row.call.client.trade_name, search="services", routes=ROUTES, model=Attendance)
    for name, profile in (("operador", ATTENDANCE_OPERATOR), ("tecnico", TECHNICIAN), ("cliente", CLIENT))
]

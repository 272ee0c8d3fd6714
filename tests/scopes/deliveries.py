from app.accounts.roles import ATTENDANCE_OPERATOR, CARRIER, CLIENT
from app.deliveries.models import Invoice
from tests import factories as f
from tests.scopes import ScopedCase


def _invoice(tenant):
    return f.invoice(tenant.client, tenant.carrier)


def _number(row):
    return f"NF {row.number}/"


CASES = [
    ScopedCase("entregas-transportador", "/entregas", CARRIER, _invoice, _number, search="number",
               routes=("show", "confirmar"), model=Invoice),
    ScopedCase("entregas-cliente", "/entregas", CLIENT, _invoice, _number, search="number",
               routes=("show",), model=Invoice),
    ScopedCase("entregas-atendimento", "/entregas", ATTENDANCE_OPERATOR, _invoice, _number,
               search="number", routes=("show",), model=Invoice),
]

from app.accounts.roles import CLIENT, SUPPLIES_OPERATOR
from app.supplies.models import SupplyRequest
from tests import factories as f
from tests.scopes import ScopedCase


def _request(tenant):
    supply = f.supply_item([tenant.equipment.model])
    return f.supply_request(tenant.equipment, [(supply, 1, 100)])


def _serial(row):
    return row.equipment.serial


CASES = [
    ScopedCase("suprimentos-operador", "/suprimentos/acompanhar", SUPPLIES_OPERATOR, _request, _serial,
               search="equipment", routes=("show", "edit"), model=SupplyRequest),
    ScopedCase("suprimentos-cliente", "/suprimentos/acompanhar", CLIENT, _request, _serial,
               search="equipment", routes=("show",), model=SupplyRequest),
]

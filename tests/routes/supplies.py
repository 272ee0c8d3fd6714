"""Routes of Solicitar suprimentos and Acompanhar solicitações."""
from app.catalog.models import Equipment, SupplyItem
from app.core.db import db
from tests import factories as f
from tests.access import (
    ADMIN, ATTENDANCE_OPERATOR, CLIENT, SUPPLIES_OPERATOR, TECHNICIAN, allow,
)

SUPPLY_READERS = (ADMIN, ATTENDANCE_OPERATOR, SUPPLIES_OPERATOR, CLIENT)
SUPPLY_EDITORS = (ADMIN, ATTENDANCE_OPERATOR, SUPPLIES_OPERATOR)
SUPPLY_OPENERS = (ADMIN, ATTENDANCE_OPERATOR, SUPPLIES_OPERATOR, TECHNICIAN, CLIENT)


def build(ids, users):
    equipment = db.session.get(Equipment, ids["equipment"])
    supply = db.session.get(SupplyItem, ids["supply_item"])
    request = f.supply_request(equipment, [(supply, 1, 1000)])
    return {"supply_request": request.id}


ROUTES = {
    ("GET", "/suprimentos/acompanhar/list/"): allow(*SUPPLY_READERS),
    ("GET", "/suprimentos/acompanhar/list/?_flt_0_status=pending&_flt_0_client=JAYOB"): allow(*SUPPLY_READERS),
    ("GET", "/suprimentos/acompanhar/show/{supply_request}"): allow(*SUPPLY_READERS),
    ("GET", "/suprimentos/acompanhar/edit/{supply_request}"): allow(*SUPPLY_EDITORS),
    # fields left out keep their values: a save without changes
    ("POST", "/suprimentos/acompanhar/edit/{supply_request}"): allow(*SUPPLY_EDITORS, ok=302),
    ("GET", "/suprimentos/solicitar/"): allow(*SUPPLY_OPENERS),
    ("GET", "/suprimentos/solicitar/equipamento/{equipment}"): allow(*SUPPLY_OPENERS),
    ("POST", "/suprimentos/solicitar/equipamento/{equipment}"): allow(*SUPPLY_OPENERS, ok=422),
    # Informar contador on the equipment page (below the last reading: refused with a message)
    ("POST", "/contadores/informar/{equipment}#contador=1"): allow(*SUPPLY_OPENERS, ok=302),
    ("GET", "/suprimentos/solicitar/contrato/{contract}"): allow(*SUPPLY_OPENERS),
    ("POST", "/suprimentos/solicitar/contrato/{contract}"): allow(*SUPPLY_OPENERS),
}

"""One small, complete dealer where every profile has a user and rows in its scope.

Used by the route × role test: every placeholder of a route table names an id here.
"""
from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, BILLING_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CARRIER, CLIENT,
    LOGISTICS_OPERATOR, SUPPLIES_OPERATOR, TECHNICIAN,
)
from app.core.db import db
from tests import factories as f


def build_world() -> dict:
    """Create the rows and return {placeholder: id} plus {"users": {profile: email}}."""
    company = f.company("REVENDA MATRIZ")
    customer = f.client(company, "JAYOB COMPANY")
    contract = f.contract(customer)
    model = f.equipment_model("BROTHER 8080DN")
    equipment = f.equipment(customer, model=model, contract=contract)
    tech = f.technician("TECNICO01")
    carrier = f.carrier("TRANSPORTES SUL")
    defect = f.defect()
    supply = f.supply_item([model])
    users = {
        ADMIN: f.user(ADMIN, email="admin@revenda.test"),
        ATTENDANCE_OPERATOR: f.user(ATTENDANCE_OPERATOR, [company], email="atendimento@revenda.test"),
        CALLS_OPERATOR: f.user(CALLS_OPERATOR, [company], email="chamados@revenda.test"),
        SUPPLIES_OPERATOR: f.user(SUPPLIES_OPERATOR, [company], email="suprimentos@revenda.test"),
        LOGISTICS_OPERATOR: f.user(LOGISTICS_OPERATOR, [company], email="logistica@revenda.test"),
        TECHNICIAN: f.user(TECHNICIAN, [company], email="tecnico@revenda.test", technician=tech),
        CARRIER: f.user(CARRIER, [company], email="transportador@revenda.test", carrier=carrier),
        CLIENT: f.user(CLIENT, [company], [customer], email="cliente@jayob.test", client_manager=True),
        CALL_OPENER: f.user(CALL_OPENER, [company], [customer], email="abertura@jayob.test"),
        BILLING_OPERATOR: f.user(BILLING_OPERATOR, [company], [customer], email="faturamento@jayob.test"),
    }
    target = f.user(ATTENDANCE_OPERATOR, [company], email="alvo@revenda.test")
    call = f.call(customer, equipment, status="L", technician=tech, opened_by=users[CALL_OPENER])
    admin_role = f.role_id(ADMIN)
    ids = {
        "company": company.id, "client": customer.id, "contract": contract.id,
        "equipment_model": model.id, "equipment": equipment.id, "technician": tech.id,
        "carrier": carrier.id, "defect": defect.id, "supply_item": supply.id, "call": call.id,
        "user": target.id, "role": admin_role,
    }
    extra_builders = _area_builders()
    for build in extra_builders:
        ids.update(build(ids, users) or {})
    db.session.commit()
    ids["users"] = {profile: user.email for profile, user in users.items()}
    return ids


def _area_builders():
    """Areas may add rows to the world: tests/routes/<area>.py may define ``build(ids, users)``."""
    from tests.routes import area_modules

    return [module.build for module in area_modules() if hasattr(module, "build")]

from app.accounts.roles import (
    ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, SUPPLIES_OPERATOR, TECHNICIAN,
)
from app.catalog.models import Client, Contract, Equipment
from tests.scopes import ScopedCase

CASES = [
    ScopedCase("clientes", "/clientes", ATTENDANCE_OPERATOR, lambda t: t.client,
               lambda row: row.trade_name, search="trade_name", model=Client),
    ScopedCase("contratos", "/contratos", CALLS_OPERATOR, lambda t: t.contract,
               lambda row: row.number, search="number", model=Contract),
    ScopedCase("equipamentos-operador", "/equipamentos", SUPPLIES_OPERATOR, lambda t: t.equipment,
               lambda row: row.serial, search="serial", model=Equipment),
    ScopedCase("equipamentos-tecnico", "/equipamentos", TECHNICIAN, lambda t: t.equipment,
               lambda row: row.serial, search="serial", model=Equipment),
    ScopedCase("equipamentos-cliente", "/equipamentos", CLIENT, lambda t: t.equipment,
               lambda row: row.serial, search="serial", model=Equipment),
    ScopedCase("equipamentos-abertura", "/equipamentos", CALL_OPENER, lambda t: t.equipment,
               lambda row: row.serial, search="serial", model=Equipment),
]

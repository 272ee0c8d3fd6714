"""Routes of the foundation: login, dashboard, users, profiles, change log, master data, defects."""
from app.core.changelog import ObjectChange
from app.core.db import db
from tests.access import (
    ANONYMOUS, ADMIN, ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGGED_IN,
    SUPPLIES_OPERATOR, TECHNICIAN, allow, api_allow, public,
)



def build(ids, users):
    entry = ObjectChange(action=ObjectChange.UPDATE, object_type="DefectType", object_id=ids["user"],
                         object_repr="ATOLAMENTO", changes={"listed_on_portal": [False, True]})
    db.session.add(entry)
    db.session.commit()
    return {"object_change": entry.id}


MASTER_READERS = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR, SUPPLIES_OPERATOR)
EQUIPMENT_READERS = (*MASTER_READERS, TECHNICIAN, CLIENT, CALL_OPENER)

ROUTES = {
    ("GET", "/"): allow(*LOGGED_IN),
    ("GET", "/login/"): allow(ANONYMOUS, ok=302, denied=302, anonymous=200),
    ("POST", "/login/"): allow(ANONYMOUS, ok=302, denied=302, anonymous=200),
    ("GET", "/logout/"): allow(*LOGGED_IN),  # a confirmation: only a POST logs out
    ("POST", "/logout/"): public(302),
    ("GET", "/back"): public(302),
    ("GET", "/lang/pt_BR"): public(302),
    ("GET", "/saude"): public(200),  # health check for the proxy (docs/deployment.md)
    ("GET", "/static/pws.css"): public(200),
    ("GET", "/static/appbuilder/css/ab.css"): public(200),
    ("POST", "/api/v1/security/login"): public(400),
    ("POST", "/api/v1/security/refresh"): public(401),
    ("GET", "/api/v1/_openapi"): api_allow(ADMIN),
    ("GET", "/api/v1/menu/"): api_allow(ADMIN),
    ("GET", "/swagger/v1"): allow(ADMIN),
    ("POST", "/empresa/selecionar"): allow(*LOGGED_IN, ok=302),
    # own profile and password
    ("GET", "/usuarios/userinfo/"): allow(*LOGGED_IN),
    ("GET", "/userinfoeditview/form"): allow(*LOGGED_IN),
    ("POST", "/userinfoeditview/form"): allow(*LOGGED_IN),
    ("POST", "/userinfoeditview/sair-de-todos"): allow(*LOGGED_IN, ok=302),
    ("GET", "/resetmypassword/form"): allow(*LOGGED_IN),
    ("POST", "/resetmypassword/form"): allow(*LOGGED_IN),
    # Administrar usuários, perfis
    ("GET", "/usuarios/list/"): allow(ADMIN),
    ("GET", "/usuarios/show/{user}"): allow(ADMIN),
    ("GET", "/usuarios/add"): allow(ADMIN),
    ("POST", "/usuarios/add"): allow(ADMIN),
    ("GET", "/usuarios/edit/{user}"): allow(ADMIN),
    ("POST", "/usuarios/edit/{user}"): allow(ADMIN, ok=302),  # no row version: refused
    ("GET", "/usuarios/delete/{user}"): public(405),
    ("POST", "/usuarios/delete/{user}"): allow(ADMIN, ok=302),
    ("POST", "/usuarios/action/sendpasswordlink/{user}"): allow(ADMIN, ok=302),
    ("POST", "/usuarios/action_post#action=sendpasswordlink&rowid={user}"): allow(ADMIN, ok=404),  # a single-row action
    ("GET", "/perfis/"): allow(ADMIN),
    # Registro de alterações (read-only)
    ("GET", "/registro-alteracoes/list/"): allow(ADMIN),
    ("GET", "/registro-alteracoes/list/?_flt_0_object_type=Holiday"): allow(ADMIN),
    ("GET", "/registro-alteracoes/show/{object_change}"): allow(ADMIN),
    # Tabela de defeitos
    ("GET", "/defeitos/list/"): allow(ADMIN),
    ("GET", "/defeitos/show/{defect}"): allow(ADMIN),
    ("GET", "/defeitos/edit/{defect}"): allow(ADMIN),
    ("POST", "/defeitos/edit/{defect}"): allow(ADMIN, ok=302),
    ("POST", "/defeitos/action/list_on_portal/{defect}"): allow(ADMIN, ok=404),  # a list-only action
    ("POST", "/defeitos/action_post#action=list_on_portal&rowid={defect}"): allow(ADMIN, ok=302),
    # Cadastros ILUX (read-only)
    ("GET", "/empresas/list/"): allow(ADMIN),
    ("GET", "/empresas/show/{company}"): allow(ADMIN),
    ("GET", "/clientes/list/"): allow(*MASTER_READERS),
    ("GET", "/clientes/show/{client}"): allow(*MASTER_READERS),
    ("GET", "/contratos/list/"): allow(*MASTER_READERS),
    ("GET", "/contratos/show/{contract}"): allow(*MASTER_READERS),
    ("GET", "/modelos/list/"): allow(*MASTER_READERS),
    ("GET", "/modelos/show/{equipment_model}"): allow(*MASTER_READERS),
    ("GET", "/equipamentos/list/"): allow(*EQUIPMENT_READERS),
    ("GET", "/equipamentos/show/{equipment}"): allow(*EQUIPMENT_READERS),
    ("GET", "/contadores/{equipment}.svg"): allow(*EQUIPMENT_READERS),  # the meter-reading chart
    ("GET", "/itens-suprimento/list/"): allow(ADMIN),
    ("GET", "/itens-suprimento/show/{supply_item}"): allow(ADMIN),
    ("GET", "/tecnicos/list/"): allow(ADMIN),
    ("GET", "/tecnicos/show/{technician}"): allow(ADMIN),
    ("GET", "/transportadoras/list/"): allow(ADMIN),
    ("GET", "/transportadoras/show/{carrier}"): allow(ADMIN),
}

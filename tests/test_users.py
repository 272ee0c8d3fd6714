"""Administrar usuários: the admin creates users of every profile; each sees only his menu."""
import re

import pytest

from app.accounts.models import PortalUser
from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, BILLING_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CARRIER, CLIENT,
    LOGISTICS_OPERATOR, PROFILE_NAMES, SUPPLIES_OPERATOR, TECHNICIAN,
)
from tests import factories as f
from tests.conftest import csrf_token, form_fields, login, login_as
from tests.test_portuguese import visible_text

# What each profile finds in the top menu (menu entry labels), and what it must not find; forms
# the profile may only send (Abrir chamado, Solicitar suprimentos, Enviar mensagem) are entries too.
EXPECTED_MENU = {
    ADMIN: {"Administrar usuários", "Tabela de defeitos", "Clientes", "Técnicos"},
    ATTENDANCE_OPERATOR: {"Clientes", "Contratos", "Equipamentos", "Abrir chamado", "Solicitar suprimentos"},
    CALLS_OPERATOR: {"Clientes", "Contratos", "Equipamentos", "Abrir chamado"},
    SUPPLIES_OPERATOR: {"Clientes", "Equipamentos", "Solicitar suprimentos"},
    LOGISTICS_OPERATOR: set(),
    TECHNICIAN: {"Equipamentos", "Abrir chamado", "Solicitar suprimentos", "Registrar atendimento"},
    CARRIER: set(),
    CLIENT: {"Equipamentos", "Abrir chamado", "Solicitar suprimentos", "Enviar mensagem"},
    CALL_OPENER: {"Equipamentos", "Abrir chamado"},
    BILLING_OPERATOR: set(),
}
ADMIN_ONLY_MENU = {"Administrar usuários", "Perfis e funções", "Tabela de defeitos", "Empresas",
                   "Técnicos", "Transportadoras"}


@pytest.fixture
def admin_client(app, client, db_ctx):
    with db_ctx():
        company = f.company("REVENDA MATRIZ")
        customer = f.client(company, "JAYOB COMPANY")
        other = f.client(company, "OUTRO CLIENTE")
        f.equipment(customer, serial="JAY-0001")
        f.equipment(other, serial="OUT-0001")
        ids = {"company": company.id, "client": customer.id, "technician": f.technician().id,
               "carrier": f.carrier().id}
        f.user(ADMIN, email="admin@revenda.test")
    login(client, "admin@revenda.test")
    return client, ids


def _user_form(client, profile, ids, email, **extra):
    data = {"csrf_token": csrf_token(client), "email": email, "first_name": f"Fulano {profile}", "profile": profile,
            "companies": [str(ids["company"])], "active": "y"}
    if profile in (CLIENT, CALL_OPENER, BILLING_OPERATOR):
        data["clients"] = [str(ids["client"])]
    if profile == TECHNICIAN:
        data["technician"] = str(ids["technician"])
    if profile == CARRIER:
        data["carrier"] = str(ids["carrier"])
    data.update(extra)
    return client.post("/usuarios/add", data=data)


def _log_in_as_new(app, db_ctx, email):
    """The new user has no password until he uses his invitation (tests/test_user_lifecycle.py)."""
    with db_ctx():
        user_id = PortalUser.query.filter_by(email=email).one().id
    own = app.test_client()
    login_as(own, user_id)
    return own


def _menu_labels(html):
    return set(re.findall(r'<i class="fa fa-fw [^"]*"></i>&nbsp;\s*([^<]+?)</a>', html))


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_admin_creates_a_user_who_sees_only_his_menu(app, admin_client, db_ctx, profile):
    client, ids = admin_client
    email = f"novo.{PROFILE_NAMES.index(profile)}@exemplo.com.br"
    response = _user_form(client, profile, ids, email)
    assert response.status_code == 302, visible_text(response.get_data(as_text=True))[-1500:]
    with db_ctx():
        user = PortalUser.query.filter_by(email=email).one()
        assert user.username == email
        assert [r.name for r in user.roles] == [profile]
        assert user.profile == profile

    own = _log_in_as_new(app, db_ctx, email)
    menu = _menu_labels(own.get("/").get_data(as_text=True))
    assert EXPECTED_MENU[profile] <= menu
    if profile != ADMIN:
        assert not (ADMIN_ONLY_MENU & menu)


def test_client_user_sees_only_his_clients_equipment(app, admin_client, db_ctx):
    client, ids = admin_client
    assert _user_form(client, CLIENT, ids, "cliente@jayob.test").status_code == 302
    own = _log_in_as_new(app, db_ctx, "cliente@jayob.test")
    html = own.get("/equipamentos/list/").get_data(as_text=True)
    assert "JAY-0001" in html and "OUT-0001" not in html


def test_user_list_and_detail_name_the_companies_and_clients(app, admin_client, db_ctx):
    client, ids = admin_client
    assert _user_form(client, CLIENT, ids, "cliente@jayob.test").status_code == 302
    with db_ctx():
        user_id = PortalUser.query.filter_by(email="cliente@jayob.test").one().id
    listed = visible_text(client.get("/usuarios/list/").get_data(as_text=True))
    shown = visible_text(client.get(f"/usuarios/show/{user_id}").get_data(as_text=True))
    assert "REVENDA MATRIZ" in listed and "JAYOB COMPANY" in shown and "REVENDA MATRIZ" in shown
    for text in (listed, shown):
        assert "object at" not in text and "[]" not in text


def test_optional_links_offer_a_readable_empty_choice(admin_client):
    client, _ids = admin_client
    html = client.get("/usuarios/add").get_data(as_text=True)
    blanks = re.findall(r'<option[^>]*value="__None"[^>]*>([^<]*)</option>', html)
    assert blanks == ["—", "—"]  # Técnico, Entregador / Transportadora


@pytest.mark.parametrize("profile,missing,message", [
    (CLIENT, "clients", "Usuários do cliente precisam de ao menos um cliente."),
    (TECHNICIAN, "technician", "Selecione o técnico do ILUX vinculado a este usuário."),
    (CARRIER, "carrier", "Selecione a transportadora vinculada a este usuário."),
    (CALLS_OPERATOR, "companies", "Informe ao menos uma empresa."),
])
def test_user_form_explains_what_is_missing(admin_client, db_ctx, profile, missing, message):
    client, ids = admin_client
    response = _user_form(client, profile, ids, "faltando@exemplo.com.br", **{missing: ""})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with db_ctx():
        assert PortalUser.query.filter_by(email="faltando@exemplo.com.br").first() is None


def test_extra_function_adds_a_menu_entry(app, admin_client, db_ctx):
    client, ids = admin_client
    with db_ctx():
        role_id = f.role_id("Função: Abrir chamado")
    assert _user_form(client, CARRIER, ids, "entregador@exemplo.com.br",
                      roles=[str(role_id)]).status_code == 302
    own = _log_in_as_new(app, db_ctx, "entregador@exemplo.com.br")
    assert {"Equipamentos", "Abrir chamado"} <= _menu_labels(own.get("/").get_data(as_text=True))


def test_a_user_cannot_change_his_own_profile(app, db_ctx):
    with db_ctx():
        company = f.company()
        f.user(LOGISTICS_OPERATOR, [company], email="logistica@revenda.test")
    own = app.test_client()
    login(own, "logistica@revenda.test")
    own.post("/userinfoeditview/form", data={
        **form_fields(own, "/userinfoeditview/form", "row_version"), "first_name": "Novo Nome",
        "last_name": "", "profile": ADMIN, "roles": [str(1)]})
    with db_ctx():
        user = PortalUser.query.filter_by(email="logistica@revenda.test").one()
        assert user.first_name == "Novo Nome" and user.profile == LOGISTICS_OPERATOR
        assert [r.name for r in user.roles] == [LOGISTICS_OPERATOR]
    assert own.get("/usuarios/list/").status_code == 403


def test_deactivation_and_unlinking_take_effect_on_the_next_request(app, db_ctx):
    with db_ctx() as session:
        company = f.company()
        f.client(company, "CLIENTE VISIVEL")
        user = f.user(SUPPLIES_OPERATOR, [company], email="sup@revenda.test")
        user_id = user.id
    own = app.test_client()
    login(own, "sup@revenda.test")
    assert "CLIENTE VISIVEL" in own.get("/clientes/list/").get_data(as_text=True)

    with db_ctx() as session:
        session.get(PortalUser, user_id).companies = []
        session.commit()
    assert "CLIENTE VISIVEL" not in own.get("/clientes/list/").get_data(as_text=True)

    with db_ctx() as session:
        session.get(PortalUser, user_id).active = False
        session.commit()
    response = own.get("/clientes/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_profile_and_function_changes_take_effect_on_the_next_request(app, admin_client, db_ctx):
    """The profiles are declared in code (Perfis e funções is read-only); what the admin changes
    is a user's profile and extra functions, read with the user on every request."""
    admin, ids = admin_client
    with db_ctx():
        user_id = f.user(SUPPLIES_OPERATOR, email="sup@revenda.test").id
        tracking = f.role_id("Função: Rastreamento de técnicos")
    operator = app.test_client()
    login(operator, "sup@revenda.test")
    assert operator.get("/rastreamento/").status_code == 403

    def edit(profile, roles):
        response = admin.post(f"/usuarios/edit/{user_id}", data={
            **form_fields(admin, f"/usuarios/edit/{user_id}", "row_version"), "first_name": "Sup",
            "email": "sup@revenda.test",
            "profile": profile, "companies": [str(ids["company"])], "roles": roles, "active": "y"})
        assert response.status_code == 302

    edit(SUPPLIES_OPERATOR, [str(tracking)])
    assert operator.get("/rastreamento/").status_code == 200
    edit(SUPPLIES_OPERATOR, [])
    assert operator.get("/rastreamento/").status_code == 403
    assert operator.get("/suprimentos/acompanhar/list/").status_code == 200
    edit(LOGISTICS_OPERATOR, [])
    assert operator.get("/suprimentos/acompanhar/list/").status_code == 403

"""A user's life through Administrar usuários: created without a profile chosen for the admin and
without a password (an invitation over real SMTP, the reset link's form), links re-sent instead
of typed passwords, deactivated instead of half-deleted when he has history; and the read-only
Perfis e funções matrix."""
import re

from sqlalchemy import select

from app.accounts.models import PortalUser
from app.accounts.roles import (
    ADMIN, AREAS, CALLS_OPERATOR, EVERYONE, FUNCTIONS, PROFILES, SUPPLIES_OPERATOR, grants_for_role,
)
from app.accounts.seeding import sync_roles
from app.core.changelog import ObjectChange
from app.core.db import db
from tests import factories as f
from tests.conftest import csrf_token, login, login_as
from tests.mailtest import app_ctx, text_of
from tests.test_password_reset import LINK, _can_log_in, _choose
from tests.test_portuguese import visible_text


def _new_user(client, company_id, email, **extra):
    return client.post("/usuarios/add", data={
        "csrf_token": csrf_token(client), "email": email, "first_name": "Novo Operador",
        "profile": CALLS_OPERATOR, "companies": [str(company_id)], "active": "y", **extra})


def test_the_form_asks_for_a_profile_and_no_password(mail_app):
    with app_ctx(mail_app):
        company_id = f.company("REVENDA MATRIZ").id
        f.user(ADMIN, email="admin@revenda.test")
    client = mail_app.test_client()
    login(client, "admin@revenda.test")
    form = client.get("/usuarios/add").get_data(as_text=True)
    profiles = re.search(r'<select[^>]*id="profile".*?</select>', form, re.S).group(0)
    assert '<option value="">—</option>' in profiles and "selected" not in profiles
    assert re.search(r'<input[^>]*checked[^>]*id="active"|<input[^>]*id="active"[^>]*checked', form)
    assert 'name="password"' not in form and 'name="conf_password"' not in form
    response = _new_user(client, company_id, "sem.perfil@revenda.test", profile="")
    assert response.status_code == 200 and "Escolha o tipo de usuário." in response.get_data(as_text=True)
    # FAB's form where the admin typed a user's password is gone
    assert client.get("/resetpassword/form?pk=1").status_code == 404


def test_the_new_user_chooses_his_password_through_the_invitation(mail_app, smtp):
    with app_ctx(mail_app):
        company_id = f.company("REVENDA MATRIZ").id
        f.user(ADMIN, email="admin@revenda.test")
    admin = mail_app.test_client()
    login(admin, "admin@revenda.test")
    response = _new_user(admin, company_id, "novo@revenda.test", password="x", conf_password="x")
    assert response.status_code == 302
    assert smtp.envelopes == [["novo@revenda.test"]]
    assert "Convite de acesso ao portal" in smtp.messages[0]["Subject"]
    assert not _can_log_in(mail_app, "novo@revenda.test", "x")  # no password came from the form
    token = LINK.search(text_of(smtp.messages[0])).group(1)
    visitor = mail_app.test_client()
    assert _choose(visitor, token, "Minha-senha-nova-1").status_code == 302
    assert _can_log_in(mail_app, "novo@revenda.test", "Minha-senha-nova-1")
    assert _choose(visitor, token, "Outra-senha-nova-2").status_code == 404  # single use

    with app_ctx(mail_app):
        user_id = db.session.execute(select(PortalUser.id).where(PortalUser.email == "novo@revenda.test")).scalar()
    admin.post(f"/usuarios/action/sendpasswordlink/{user_id}", data={"csrf_token": csrf_token(admin)})
    assert len(smtp.messages) == 2 and "Convite" not in smtp.messages[1]["Subject"]  # he logged in: a reset
    token = LINK.search(text_of(smtp.messages[1])).group(1)
    assert _choose(mail_app.test_client(), token, "Terceira-senha-3").status_code == 302
    assert _can_log_in(mail_app, "novo@revenda.test", "Terceira-senha-3")


def test_a_user_with_history_is_deactivated_and_one_without_is_deleted(app, client, db_ctx):
    with db_ctx() as session:
        company = f.company("REVENDA MATRIZ")
        customer = f.client(company, "JAYOB COMPANY")
        f.user(ADMIN, email="admin@revenda.test")
        veteran = f.user(CALLS_OPERATOR, [company], email="veterano@revenda.test")
        f.call(customer, opened_by=veteran)
        newcomer = f.user(SUPPLIES_OPERATOR, [company], email="novato@revenda.test")
        veteran_id, newcomer_id = veteran.id, newcomer.id
    veteran_session = app.test_client()
    login_as(veteran_session, veteran_id)
    assert veteran_session.get("/").status_code == 200
    login(client, "admin@revenda.test")

    response = client.post(f"/usuarios/delete/{veteran_id}", data={"csrf_token": csrf_token(client)},
                           follow_redirects=True)
    assert "foi desativado em vez de excluído" in visible_text(response.get_data(as_text=True))
    with db_ctx() as session:
        veteran = session.get(PortalUser, veteran_id)
        assert veteran is not None and not veteran.active
    assert veteran_session.get("/").status_code == 302  # his session ended

    # LGPD: erased from his page; the change log keeps no copy of his name or e-mail
    show = client.get(f"/usuarios/show/{veteran_id}").get_data(as_text=True)
    assert f"/solicitacoes-lgpd/anonimizar-usuario/{veteran_id}" in show and "Enviar link de senha" in show
    response = client.post(f"/solicitacoes-lgpd/anonimizar-usuario/{veteran_id}",
                           data={"csrf_token": csrf_token(client)}, follow_redirects=True)
    assert "Usuário anonimizado" in visible_text(response.get_data(as_text=True))
    with db_ctx() as session:
        assert session.get(PortalUser, veteran_id).email.startswith("anonimizado-")
        logged = session.execute(select(ObjectChange).where(ObjectChange.object_type == "PortalUser",
                                                            ObjectChange.object_id == veteran_id)).scalars().all()
        assert logged and "veterano" not in repr([(row.object_repr, row.changes) for row in logged])

    response = client.post(f"/usuarios/delete/{newcomer_id}", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    with db_ctx() as session:
        assert session.get(PortalUser, newcomer_id) is None


def test_every_resource_of_the_portal_is_in_one_area_of_the_matrix(app):
    """A new screen cannot grant something the matrix does not show."""
    placed = [resource for _label, resources in AREAS for resource in resources]
    assert len(placed) == len(set(placed))
    portal = {view.class_permission_name for view in app.appbuilder.baseviews
              if {"can_read", "can_write"} & set(view.base_permissions or ())}
    assert portal - set(EVERYONE) <= set(placed) | {"PortalUserView"}, portal - set(EVERYONE) - set(placed)
    assert set(placed) - portal <= {"PortalUserView"}  # FAB's user screen has its own permission names


def test_profiles_read_in_portuguese_and_match_the_declaration(app, client, db_ctx):
    with db_ctx():
        f.user(ADMIN, email="admin@revenda.test")
    login(client, "admin@revenda.test")
    html = client.get("/perfis/").get_data(as_text=True)
    text = visible_text(html)
    for words in ("Perfis e funções", "Chamados", "Pré atendimento", "Suprimentos", "ver", "alterar",
                  *(str(p.label) for p in PROFILES), *FUNCTIONS):
        assert words in text, words
    assert "can " not in text and "menu access" not in text and "Public" not in text
    supplies = re.search(r'<tr data-role="Operador de Suprimentos">(.*?)</tr>', html, re.S).group(1)
    assert "alterar" in supplies and "Faturamento" not in supplies
    for path in ("/perfis/list/", "/perfis/edit/1", "/permissions/list/", "/viewmenus/list/",
                 "/permissionviews/list/", "/roles/list/"):
        assert client.get(path).status_code == 404, path
    menu = visible_text(client.get("/").get_data(as_text=True))
    assert "Public" not in menu and "Permissions" not in menu

    with db_ctx() as session:  # `flask pws init` makes each role hold exactly its declaration
        role = app.appbuilder.sm.find_role(SUPPLIES_OPERATOR)
        extra = app.appbuilder.sm.add_permission_view_menu("can_read", "BillingFile")
        app.appbuilder.sm.add_permission_role(role, extra)
        sync_roles(app.appbuilder)
        session.refresh(role)
        granted = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
        assert ("can_read", "BillingFile") not in granted
        declared = {(perm, resource) for resource, perms in grants_for_role(SUPPLIES_OPERATOR).items()
                    for perm in perms}
        assert declared <= granted
        assert {pair for pair in granted if pair[0] != "menu_access"} == declared

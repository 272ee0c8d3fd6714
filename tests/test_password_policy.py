"""One password policy on every form that sets a password (docs/security.md): at least 10
characters, not a common or breached password, not the user's e-mail nor its local part; and
changing one's own password asks for the current one."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import PasswordResetToken, PortalUser
from app.accounts.password_reset import _fingerprint
from app.accounts.passwords import check_password_policy, common_passwords
from app.accounts.roles import ADMIN
from app.core.db import utcnow
from app.core.tokens import new_token
from tests import factories as f
from tests.conftest import csrf_token, form_csrf_token, login

OWNER = "anabeatriz@cliente.test"
SHORT = "A senha deve ter ao menos 10 caracteres."
COMMON = "Esta senha está na lista de senhas mais usadas ou vazadas. Escolha outra."
EMAIL = "A senha não pode ser o seu e-mail."
REFUSED = [("curta-123", SHORT), ("1234567890", COMMON), ("QwertyUiop", COMMON),
           ("anabeatriz", EMAIL), ("AnaBeatriz@cliente.test", EMAIL)]
GOOD = "cafe-com-pao-de-queijo"


@pytest.fixture
def ids(db_ctx):
    with db_ctx():
        company = f.company()
        owner = f.user("Operador de Chamados", [company], email=OWNER)
        admin = f.user(ADMIN, email="admin@revenda.test")
        return {"owner": owner.id, "admin": admin.id, "company": company.id}


def _errors(response) -> str:
    assert response.status_code == 200, "the form is shown again with its errors"
    return response.get_data(as_text=True)


def _password_of(db_ctx, user_id):
    with db_ctx() as session:
        return session.get(PortalUser, user_id).password


def test_the_list_is_the_shipped_one():
    assert len(common_passwords()) > 19000 and "qwertyuiop" in common_passwords()
    assert check_password_policy(GOOD, OWNER) is None


def test_own_password_change_asks_the_current_one_and_follows_the_policy(app, ids, db_ctx):
    client = login(app.test_client(), OWNER)
    form = client.get("/resetmypassword/form").get_data(as_text=True)
    assert "Senha atual" in form and "Redefinir minha senha" in form
    before = _password_of(db_ctx, ids["owner"])

    def change(current, new):
        return client.post("/resetmypassword/form", data={
            "csrf_token": form_csrf_token(client, "/resetmypassword/form"), "current_password": current,
            "password": new, "conf_password": new})

    assert "Senha atual incorreta." in _errors(change("errada", GOOD))
    assert "Senha atual incorreta." in _errors(change("", GOOD))
    assert SHORT in _errors(change("senha-demo", "1"))
    for password, message in REFUSED:
        assert message in _errors(change("senha-demo", password)), password
    assert _password_of(db_ctx, ids["owner"]) == before
    assert change("senha-demo", GOOD).status_code == 302
    login(app.test_client(), OWNER, GOOD)


def test_the_reset_link_follows_the_policy(app, ids, db_ctx):
    raw, hashed = new_token()
    with db_ctx() as session:
        user = session.get(PortalUser, ids["owner"])
        session.add(PasswordResetToken(user_id=user.id, token_hash=hashed,
                                       password_fingerprint=_fingerprint(user.password),
                                       expires_at=utcnow() + timedelta(minutes=30)))
        session.commit()
    client = app.test_client()

    def choose(password):
        return client.post(f"/redefinir-senha/{raw}", data={
            "csrf_token": form_csrf_token(client, f"/redefinir-senha/{raw}"),
            "password": password, "confirm": password})

    for password, message in REFUSED:
        assert message in _errors(choose(password)), password
    assert choose(GOOD).status_code == 302
    with db_ctx() as session:
        assert session.execute(select(PasswordResetToken.used_at)).scalar_one() is not None
    login(app.test_client(), OWNER, GOOD)


def test_no_admin_form_sets_a_password(app, ids, db_ctx):
    """The admin never types a user's password: FAB's form is not served and the new-user form
    ignores a password posted to it (the user chooses his own through the invitation)."""
    admin = login(app.test_client(), "admin@revenda.test")
    assert admin.get(f"/resetpassword/form?pk={ids['owner']}").status_code == 404
    answer = admin.post("/usuarios/add", data={
        "csrf_token": csrf_token(admin), "email": "novo.usuario@revenda.test", "first_name": "Novo",
        "password": GOOD, "conf_password": GOOD, "profile": "Operador de Chamados",
        "companies": [str(ids["company"])], "active": "y"})
    assert answer.status_code == 302
    assert app.test_client().post("/login/", data={
        "username": "novo.usuario@revenda.test", "password": GOOD}).status_code != 302


def test_the_messages_are_portuguese(app, ids):
    client = login(app.test_client(), OWNER)
    page = client.post("/resetmypassword/form", data={
        "csrf_token": form_csrf_token(client, "/resetmypassword/form"), "current_password": "senha-demo",
        "password": "1234567890", "conf_password": "outra"}).get_data(as_text=True)
    assert "As senhas não conferem." in page and COMMON in page
    assert not re.search(r"Password|Passwords must match", page)

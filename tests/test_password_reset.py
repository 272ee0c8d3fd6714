"""Redefinir senha: e-mailed, single-use, expiring link; no enumeration; base URL only."""
import hashlib
import re
from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import PasswordResetToken, PortalUser
from app.accounts.roles import ATTENDANCE_OPERATOR, CLIENT
from app.accounts.services import hash_password
from tests import factories as f
from tests.conftest import form_csrf_token, login
from tests.live import token_in
from tests.mailtest import app_ctx, text_of

LINK = re.compile(r"http://portal\.test/redefinir-senha/([A-Za-z0-9_\-]+)")
SENT = "Se o e-mail informado estiver cadastrado"


def _ask(client, email, **kwargs):
    """Ask for a link; the e-mail is prepared once the answer has been sent (closed)."""
    token = form_csrf_token(client, "/redefinir-senha/")
    response = client.post("/redefinir-senha/", data={"csrf_token": token, "email": email}, **kwargs)
    response.get_data()
    response.close()
    return response


def _choose(client, token, password):
    csrf = form_csrf_token(client, "/redefinir-senha/")
    return client.post(f"/redefinir-senha/{token}", data={"csrf_token": csrf, "password": password,
                                                          "confirm": password})


def _link_token(smtp, index=-1):
    match = LINK.search(text_of(smtp.messages[index]))
    assert match, "no reset link in the e-mail"
    return match.group(1)


def _can_log_in(app, email, password) -> bool:
    client = app.test_client()
    csrf = form_csrf_token(client, "/login/")
    client.post("/login/", data={"username": email, "password": password, "csrf_token": csrf})
    return client.get("/").status_code == 200


def _users(mail_app):
    with app_ctx(mail_app):
        company = f.company()
        a = f.user(CLIENT, [company], [f.client(company)], email="ana@cliente.test")
        b = f.user(ATTENDANCE_OPERATOR, [company], email="beto@revenda.test")
        return a.id, b.id


def test_login_page_is_portuguese_and_offers_the_reset(mail_app):
    html = mail_app.test_client().get("/login/").get_data(as_text=True)
    for text in ("Acesso ao portal", "E-mail", "Senha", "Entrar", 'href="/redefinir-senha/"', "Redefinir senha"):
        assert text in html, text


def test_reset_through_the_emailed_link_once(mail_app, smtp):
    _users(mail_app)
    client = mail_app.test_client()
    assert "Informe o e-mail cadastrado" in client.get("/redefinir-senha/").get_data(as_text=True)
    response = _ask(client, "  ANA@cliente.test ")
    assert response.status_code == 200 and SENT in response.get_data(as_text=True)
    assert smtp.envelopes == [["ana@cliente.test"]]
    assert "Redefinição de senha" in smtp.messages[0]["Subject"]
    token = _link_token(smtp)

    with app_ctx(mail_app) as session:
        stored = session.execute(select(PasswordResetToken)).scalar_one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
        assert timedelta(0) < stored.expires_at - stored.created_at <= timedelta(hours=1)

    page = client.get(f"/redefinir-senha/{token}")
    assert page.status_code == 200 and "Criar nova senha" in page.get_data(as_text=True)
    short = _choose(client, token, "curta")
    assert short.status_code == 200 and "A senha deve ter ao menos 10 caracteres." in short.get_data(as_text=True)
    response = _choose(client, token, "senha-nova-123")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/")
    assert _can_log_in(mail_app, "ana@cliente.test", "senha-nova-123")
    assert not _can_log_in(mail_app, "ana@cliente.test", f.PASSWORD)

    # the link is single-use
    again = _choose(client, token, "outra-senha-456")
    assert again.status_code == 404 and "Link inválido ou expirado" in again.get_data(as_text=True)
    assert client.get(f"/redefinir-senha/{token}").status_code == 404
    assert _can_log_in(mail_app, "ana@cliente.test", "senha-nova-123")


def test_known_and_unknown_emails_get_the_same_answer(mail_app, smtp):
    _users(mail_app)
    with app_ctx(mail_app) as session:
        session.execute(update(PortalUser).where(PortalUser.email == "beto@revenda.test").values(active=False))
        session.commit()
    answers = [_ask(mail_app.test_client(), email)
               for email in ("ana@cliente.test", "ninguem@cliente.test", "beto@revenda.test")]
    assert {a.status_code for a in answers} == {200}
    # Identical pages but for the per-response CSP nonce.
    assert len({re.sub(rb'nonce="[^"]+"', b"", a.get_data()) for a in answers}) == 1
    assert smtp.envelopes == [["ana@cliente.test"]]  # neither the unknown nor the inactive user


def test_expired_link_fails(mail_app, smtp):
    _users(mail_app)
    _ask(mail_app.test_client(), "ana@cliente.test")
    token = _link_token(smtp)
    with app_ctx(mail_app) as session:
        row = session.execute(select(PasswordResetToken)).scalar_one()
        row.expires_at = row.created_at - timedelta(seconds=1)
        session.commit()
    client = mail_app.test_client()
    assert client.get(f"/redefinir-senha/{token}").status_code == 404
    assert _choose(client, token, "senha-nova-123").status_code == 404
    assert _can_log_in(mail_app, "ana@cliente.test", f.PASSWORD)


def test_a_password_change_kills_older_links(mail_app, smtp):
    a_id, _b = _users(mail_app)
    _ask(mail_app.test_client(), "ana@cliente.test")
    token = _link_token(smtp)
    with app_ctx(mail_app) as session:
        session.get(PortalUser, a_id).password = hash_password("trocada-pelo-admin")
        session.commit()
    assert _choose(mail_app.test_client(), token, "senha-nova-123").status_code == 404
    assert _can_log_in(mail_app, "ana@cliente.test", "trocada-pelo-admin")


def test_a_link_for_one_user_never_resets_another(mail_app, smtp):
    a_id, b_id = _users(mail_app)
    _ask(mail_app.test_client(), "ana@cliente.test")
    token = _link_token(smtp)
    client = mail_app.test_client()
    csrf = form_csrf_token(client, "/redefinir-senha/")
    response = client.post(f"/redefinir-senha/{token}", data={
        "csrf_token": csrf, "password": "senha-nova-123", "confirm": "senha-nova-123",
        "email": "beto@revenda.test", "user_id": str(b_id), "username": "beto@revenda.test"})
    assert response.status_code == 302
    assert _can_log_in(mail_app, "beto@revenda.test", f.PASSWORD)
    assert not _can_log_in(mail_app, "beto@revenda.test", "senha-nova-123")
    assert _can_log_in(mail_app, "ana@cliente.test", "senha-nova-123")


def test_a_spoofed_host_never_reaches_the_link(mail_app, smtp):
    _users(mail_app)
    client = mail_app.test_client()
    page = client.get("/redefinir-senha/", base_url="http://evil.example").get_data(as_text=True)
    csrf = token_in(page)
    response = client.post("/redefinir-senha/", data={"csrf_token": csrf, "email": "ana@cliente.test"},
                           base_url="http://evil.example", headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 200
    response.close()  # the e-mail is prepared after the answer
    message = smtp.messages[0]
    assert _link_token(smtp)
    assert "evil.example" not in message.as_string()


def test_logged_in_users_can_log_in_again_after_reset(mail_app, smtp):
    """The new password works through the normal login form."""
    _users(mail_app)
    _ask(mail_app.test_client(), "beto@revenda.test")
    _choose(mail_app.test_client(), _link_token(smtp), "senha-nova-123")
    client = mail_app.test_client()
    login(client, "beto@revenda.test", "senha-nova-123")
    assert client.get("/").status_code == 200

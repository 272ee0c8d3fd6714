"""LGPD consent: a notice on every page until each current document is confirmed."""
from io import BytesIO

from sqlalchemy import select

from app.accounts.models import ConsentDecision, ConsentDocument
from app.accounts.roles import ADMIN, CLIENT
from tests import factories as f
from tests.conftest import csrf_token, login

PANEL = "Autorização para compartilhamento e tratamento de dados"
REMINDER = "Há documentos da LGPD aguardando a sua confirmação."
PAGES = ("/", "/lgpd/meus-dados", "/contato/", "/usuarios/userinfo/")


def _world(db_ctx):
    with db_ctx():
        company = f.company()
        f.user(CLIENT, [company], [f.client(company)], email="cliente@jayob.test", client_manager=True)
        f.user(ADMIN, email="admin@revenda.test")
        return [f.consent_document(kind).id for kind in ("privacy", "terms", "consent")]


def _decide(client, *document_ids, action="salvar", refuse=False, next_url="/"):
    data = {"csrf_token": csrf_token(client), "acao": action, "next": next_url,
            "documento": [str(pk) for pk in document_ids]}
    if refuse:
        data["nao_aceito"] = "1"
    return client.post("/lgpd/consentimento", data=data)


def _notice(client, page="/"):
    html = client.get(page).get_data(as_text=True)
    return "panel" if PANEL in html else "reminder" if REMINDER in html else None


def _decisions(db_ctx):
    with db_ctx() as session:
        rows = session.execute(select(ConsentDecision).order_by(ConsentDecision.id)).scalars()
        return [(r.document.kind, r.document.version, r.choice, r.ip) for r in rows]


def test_notice_on_every_page_until_each_document_is_confirmed(app, db_ctx):
    privacy, terms, consent = _world(db_ctx)
    client = app.test_client()
    login(client, "cliente@jayob.test")
    html = client.get("/").get_data(as_text=True)
    for text in (PANEL, "Política de privacidade", "Termos e condições gerais de uso", "Termo de consentimento",
                 "Não aceito os termos de uso", "Salvar", "Agora não", f"/lgpd/documento/{terms}"):
        assert text in html, text
    assert {_notice(client, page) for page in PAGES} == {"panel"}

    response = _decide(client, privacy, next_url="/contato/")
    assert response.status_code == 302 and response.headers["Location"] == "/contato/"
    assert {_notice(client, page) for page in PAGES} == {"reminder"}  # one of three confirmed
    _decide(client, terms)
    assert _notice(client) == "reminder"
    _decide(client, consent)
    assert {_notice(client, page) for page in PAGES} == {None}
    assert _decisions(db_ctx) == [("privacy", 1, "accepted", "127.0.0.1"), ("terms", 1, "accepted", "127.0.0.1"),
                                  ("consent", 1, "accepted", "127.0.0.1")]


def test_agora_nao_postpones_for_the_session_and_nao_aceito_is_recorded(app, db_ctx):
    privacy, terms, consent = _world(db_ctx)
    client = app.test_client()
    login(client, "cliente@jayob.test")
    _decide(client, privacy, action="agora-nao")
    assert _notice(client) == "reminder"
    assert [d[2] for d in _decisions(db_ctx)] == ["postponed"] * 3

    again = app.test_client()
    login(again, "cliente@jayob.test")  # a new login asks again
    assert _notice(again) == "panel"
    _decide(again, privacy, refuse=True)
    assert _decisions(db_ctx)[3:] == [("privacy", 1, "accepted", "127.0.0.1"), ("terms", 1, "refused", "127.0.0.1"),
                                      ("consent", 1, "refused", "127.0.0.1")]
    assert _notice(again) == "reminder"  # refused documents are still not confirmed

    nothing = _decide(again)
    assert nothing.status_code == 302
    assert len(_decisions(db_ctx)) == 6
    page = again.get("/lgpd/consentimento").get_data(as_text=True)
    assert "Não aceito" in page and "Agora não" in page and "Aceito" in page


def test_a_new_version_asks_again(app, db_ctx):
    ids = _world(db_ctx)
    user = app.test_client()
    login(user, "cliente@jayob.test")
    _decide(user, *ids)
    assert _notice(user) is None

    admin = app.test_client()
    login(admin, "admin@revenda.test")
    _decide(admin, *ids)
    form = admin.get("/documentos-lgpd/add").get_data(as_text=True)
    assert "Publicar nova versão" in form and "Arquivo PDF" in form
    response = admin.post("/documentos-lgpd/add", data={
        "csrf_token": csrf_token(admin), "kind": "terms", "title": "", "body": "Novos termos <b>v2</b>"})
    assert response.status_code == 302
    with db_ctx() as session:
        v2 = session.execute(select(ConsentDocument).where(ConsentDocument.version == 2)).scalar_one()
        assert (v2.kind, v2.title, v2.published_by_id is not None) == (
            "terms", "Termos e condições gerais de uso", True)
        v2_id = v2.id

    html = user.get("/").get_data(as_text=True)
    assert PANEL in html and "versão 2" in html
    assert user.get(f"/lgpd/documento/{v2_id}").data == b"Novos termos <b>v2</b>"
    _decide(user, v2_id)
    assert _notice(user) is None
    assert [d[:3] for d in _decisions(db_ctx) if d[0] == "terms"] == [
        ("terms", 1, "accepted"), ("terms", 1, "accepted"), ("terms", 2, "accepted")]


def test_admin_publishes_a_pdf_and_users_download_it(app, db_ctx):
    _world(db_ctx)
    admin = app.test_client()
    login(admin, "admin@revenda.test")
    fake = admin.post("/documentos-lgpd/add", data={
        "csrf_token": csrf_token(admin), "kind": "privacy", "title": "Política",
        "pdf": (BytesIO(b"%PDF-1.4 isto nao e um pdf"), "politica.pdf")}, content_type="multipart/form-data")
    assert fake.status_code == 200 and "O arquivo não é um PDF válido." in fake.get_data(as_text=True)
    empty = admin.post("/documentos-lgpd/add", data={"csrf_token": csrf_token(admin), "kind": "privacy"})
    assert "Informe o texto do documento ou envie o PDF." in empty.get_data(as_text=True)
    pdf = f.pdf_bytes()
    response = admin.post("/documentos-lgpd/add", data={
        "csrf_token": csrf_token(admin), "kind": "privacy", "title": "Política 2026",
        "pdf": (BytesIO(pdf), "politica.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    with db_ctx() as session:
        document = session.execute(select(ConsentDocument).where(ConsentDocument.version == 2)).scalar_one()
        assert document.stored_name and "politica" not in document.stored_name
    user = app.test_client()
    login(user, "cliente@jayob.test")
    download = user.get(f"/lgpd/documento/{document.id}")
    assert download.status_code == 200 and download.data == pdf
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="politica-de-privacidade-v2.pdf"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert user.get("/lgpd/documento/999999").status_code == 404


def test_admin_sees_every_decision(app, db_ctx):
    ids = _world(db_ctx)
    client = app.test_client()
    login(client, "cliente@jayob.test")
    _decide(client, ids[0], refuse=True)
    admin = app.test_client()
    login(admin, "admin@revenda.test")
    html = admin.get("/aceites-lgpd/list/?usuario=cliente@jayob.test").get_data(as_text=True)
    assert html.count("cliente@jayob.test") >= 3 and "Não aceito" in html and "127.0.0.1" in html
    assert "(v1)" in html
    assert "cliente@jayob.test</td>" not in admin.get(
        "/aceites-lgpd/list/?usuario=admin@revenda.test").get_data(as_text=True)

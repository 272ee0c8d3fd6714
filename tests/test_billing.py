"""Faturamento: the admin's batch upload, the e-mail, the scoped and logged download."""
import io
import os

import pytest
from sqlalchemy import select

from app.accounts.roles import ADMIN, BILLING_OPERATOR, CALL_OPENER, CLIENT
from app.billing.models import BillingDownload, BillingFile
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.conftest import csrf_token, login_as
from tests.factories import pdf_bytes
from tests.test_supplies import app_with  # noqa: F401  fixture


@pytest.fixture
def world(db_ctx):
    with db_ctx():
        company = f.company("REVENDA SUL")
        customer = f.client(company, "JAYOB COMPANY")
        other = f.client(company, "OUTRO CLIENTE")
        contract = f.contract(customer)
        other_contract = f.contract(other)
        users = {
            "admin": f.user(ADMIN, email="admin@revenda.test"),
            "billing": f.user(BILLING_OPERATOR, [company], [customer], email="faturamento@jayob.test"),
            "client_user": f.user(CLIENT, [company], [customer], email="cliente@jayob.test"),
            "opener": f.user(CALL_OPENER, [company], [customer], email="abertura@jayob.test"),
            "other_billing": f.user(BILLING_OPERATOR, [company], [other], email="faturamento@outro.test"),
        }
        inactive = f.user(BILLING_OPERATOR, [company], [customer], email="antigo@jayob.test")
        inactive.active = False
        from app.core.db import db

        db.session.commit()
        return {"company": company.id, "client": customer.id, "other": other.id,
                "contract": contract.id, "other_contract": other_contract.id,
                **{name: user.id for name, user in users.items()}}


def _as(app, user_id):
    client = app.test_client()
    login_as(client, user_id)
    return client


def _upload(client, client_id, files, *, headers=None, **fields):
    data = {"csrf_token": csrf_token(client), "mes": "8", "ano": "2026", "observacao": "Período leitura jul/2026",
            "enviar_email": "1", "arquivos": [(io.BytesIO(content), name) for name, content in files], **fields}
    return client.post(f"/faturamento/importar/{client_id}", data=data, headers=headers or {},
                       content_type="multipart/form-data")


def _files(db_ctx):
    with db_ctx() as session:
        return session.execute(select(BillingFile).order_by(BillingFile.id)).scalars().all()


def _outbox(db_ctx):
    with db_ctx() as session:
        return [(m.recipients, m.subject, m.body_text) for m in session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "billing_files")).scalars()]


def test_batch_upload_reports_each_file_exactly(app_with, db_ctx, world):
    app = app_with(PWS_BILLING_MAX_MB=0.02)  # 20 KB
    admin = _as(app, world["admin"])
    good, second = pdf_bytes(), pdf_bytes(pages=3)
    batch = [
        ("fatura Locação.pdf", good),
        ("boleto.pdf", second),
        ("falso.pdf", b"%PDF-1.4\nisto nao e um pdf de verdade\n%%EOF"),
        ("pagina.pdf", b"<!DOCTYPE html><html><body>phishing</body></html>"),
        ("grande.pdf", pdf_bytes(padding=40000)),
        ("protegido.pdf", pdf_bytes(password="segredo")),
    ]
    response = _upload(admin, world["client"], batch, contrato=str(world["contract"]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Arquivos importados com sucesso: 2" in page
    assert "Arquivos com erro: 4" in page
    assert "falso.pdf: PDF inválido ou corrompido" in page
    assert "pagina.pdf: não é um arquivo PDF" in page
    assert "grande.pdf: maior que o limite de 0,02 MB" in page
    assert "protegido.pdf: PDF protegido por senha" in page
    assert "Enviado para os e-mails: cliente@jayob.test, faturamento@jayob.test" in page

    rows = _files(db_ctx)
    assert [(r.original_name, r.client_id, r.contract_id, r.month, r.year, r.size) for r in rows] == [
        ("fatura Locação.pdf", world["client"], world["contract"], 8, 2026, len(good)),
        ("boleto.pdf", world["client"], world["contract"], 8, 2026, len(second)),
    ]
    storage = os.path.join(app.config["PWS_STORAGE_DIR"], "billing")
    assert sorted(os.listdir(storage)) == sorted(r.stored_name for r in rows)
    assert all(len(r.stored_name) == 36 and r.stored_name.endswith(".pdf") for r in rows)
    with open(os.path.join(storage, rows[0].stored_name), "rb") as stored:
        assert stored.read() == good

    sent = sorted(_outbox(db_ctx))  # one message each, not the call opener, nor others
    assert [recipients for recipients, _subject, _body in sent] == ["cliente@jayob.test", "faturamento@jayob.test"]
    for _recipients, subject, body in sent:
        assert subject == "(REVENDA SUL) - Faturamento: 8/2026"
        assert "fatura Locação.pdf: http://portal.test/faturamento/baixar/" in body and "boleto.pdf" in body
        assert "falso.pdf" not in body
        assert "http://portal.test/faturamento/list/?_flt_0_year=2026&_flt_0_month=8" in body


def test_progress_upload_gets_the_summary_as_json(app, db_ctx, world):
    admin = _as(app, world["admin"])
    response = _upload(admin, world["client"], [("a.pdf", pdf_bytes()), ("b.pdf", b"nope")],
                       headers={"Accept": "application/json"}, enviar_email="")
    assert response.status_code == 200
    assert response.get_json() == {"imported": 1, "failed": 1, "files": ["a.pdf"],
                                   "errors": [{"file": "b.pdf", "reason": "não é um arquivo PDF"}],
                                   "emailed": []}
    assert _outbox(db_ctx) == []  # "Enviar e-mail" unchecked


def test_upload_form_errors(app, db_ctx, world):
    admin = _as(app, world["admin"])
    no_month = _upload(admin, world["client"], [("a.pdf", pdf_bytes())], mes="")
    assert no_month.status_code == 422 and "Escolha o mês." in no_month.get_data(as_text=True)
    foreign = _upload(admin, world["client"], [("a.pdf", pdf_bytes())], contrato=str(world["other_contract"]))
    assert foreign.status_code == 422
    assert "O contrato escolhido não é deste cliente." in foreign.get_data(as_text=True)
    nothing = _upload(admin, world["client"], [], headers={"Accept": "application/json"})
    assert nothing.status_code == 422 and nothing.get_json() == {"errors": ["Escolha ao menos um arquivo PDF."]}
    assert _files(db_ctx) == []


def test_only_the_admin_uploads(app, db_ctx, world):
    from app.accounts.roles import FUNCTIONS, PROFILES

    grants = [p.grants for p in PROFILES] + list(FUNCTIONS.values())
    assert not any("can_write" in g.get("BillingFile", ()) for g in grants)  # admin has all
    for user in ("client_user", "billing"):
        assert _upload(_as(app, world[user]), world["client"], [("a.pdf", pdf_bytes())]).status_code == 403
    assert _files(db_ctx) == []


def test_billing_user_lists_by_period_and_downloads_with_a_log(app, db_ctx, world):
    admin = _as(app, world["admin"])
    content = pdf_bytes(pages=2)
    _upload(admin, world["client"], [("fatura agosto.pdf", content)])
    _upload(admin, world["client"], [("fatura setembro.pdf", pdf_bytes())], mes="9")
    _upload(admin, world["other"], [("fatura outro.pdf", pdf_bytes())])
    august, september, foreign = _files(db_ctx)

    billing = _as(app, world["billing"])
    listed = billing.get("/faturamento/list/?_flt_0_year=2026&_flt_0_month=8").get_data(as_text=True)
    assert "fatura agosto.pdf" in listed and "fatura setembro.pdf" not in listed
    assert "fatura outro.pdf" not in billing.get("/faturamento/list/").get_data(as_text=True)
    assert "Importar arquivos" not in listed

    response = billing.get(f"/faturamento/baixar/{august.id}", environ_base={"REMOTE_ADDR": "200.1.2.3"})
    assert response.status_code == 200
    assert response.data == content
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="fatura agosto.pdf"' in response.headers["Content-Disposition"]

    assert billing.get(f"/faturamento/baixar/{foreign.id}").status_code == 404
    assert billing.get(f"/faturamento/baixar/{foreign.id + 100}").status_code == 404
    with db_ctx() as session:
        log = session.execute(select(BillingDownload.file_id, BillingDownload.user_id, BillingDownload.ip)).all()
    assert log == [(august.id, world["billing"], "200.1.2.3")]


def test_admin_picks_the_client_by_company_and_name(app, world):
    admin = _as(app, world["admin"])
    page = admin.get(f"/faturamento/importar/?empresa={world['company']}&cliente=JAYOB").get_data(as_text=True)
    assert f"/faturamento/importar/{world['client']}" in page
    assert f"/faturamento/importar/{world['other']}" not in page
    form = admin.get(f"/faturamento/importar/{world['client']}").get_data(as_text=True)
    assert "Somente arquivos PDF" in form and "pws-upload.js" in form


def test_a_file_sent_by_mistake_is_replaced_hidden_from_the_client_and_its_log_kept(app, db_ctx, world):
    """Billing corrections: the admin removes (and replaces) a file sent for the wrong month,
    with a reason; the client's users get 404 at once, those who got the e-mail are told, and
    "Quem baixou" keeps every download, per file and per user."""
    admin = _as(app, world["admin"])
    assert _upload(admin, world["client"], [("fatura_agosto.pdf", pdf_bytes())]).status_code == 200
    [wrong] = _files(db_ctx)
    emailed = sorted(recipient for recipient, _subject, _body in _outbox(db_ctx))
    assert emailed == ["cliente@jayob.test", "faturamento@jayob.test"]
    billing = _as(app, world["billing"])
    assert billing.get(f"/faturamento/baixar/{wrong.id}").status_code == 200

    assert _as(app, world["billing"]).get(f"/faturamento/correcao/{wrong.id}").status_code == 403
    no_reason = admin.post(f"/faturamento/correcao/{wrong.id}", data={"motivo": " ", "csrf_token": csrf_token(admin)})
    assert no_reason.status_code == 422 and "Informe o motivo da correção." in no_reason.get_data(as_text=True)
    fixed = admin.post(f"/faturamento/correcao/{wrong.id}", content_type="multipart/form-data", data={
        "motivo": "Enviado no mês errado", "mes": "9", "ano": "2026", "csrf_token": csrf_token(admin),
        "arquivo": (io.BytesIO(pdf_bytes(pages=2)), "fatura_setembro.pdf")})
    assert fixed.status_code == 302

    assert billing.get(f"/faturamento/baixar/{wrong.id}").status_code == 404
    listing = billing.get("/faturamento/list/").get_data(as_text=True)
    assert "fatura_agosto.pdf" not in listing and "fatura_setembro.pdf" in listing
    with db_ctx() as session:
        old = session.get(BillingFile, wrong.id)
        new = session.get(BillingFile, old.replaced_by_id)
        assert old.removal_reason == "Enviado no mês errado" and old.removed_by_id == world["admin"]
        assert (new.client_id, new.month, new.year) == (world["client"], 9, 2026)
        kept = session.execute(select(BillingDownload).filter_by(file_id=wrong.id)).scalar_one()
        assert kept.user_id == world["billing"]
        told = session.execute(select(OutboxMessage).filter_by(kind="billing_correction")).scalars().all()
        assert sorted(m.recipients for m in told) == emailed
        assert all("Enviado no mês errado" in m.body_text and "fatura_setembro.pdf" in m.body_text for m in told)
        new_id = new.id
    assert billing.get(f"/faturamento/baixar/{new_id}").status_code == 200

    page = admin.get(f"/faturamento/correcao/{wrong.id}").get_data(as_text=True)
    assert "Removido em" in page and "Enviado no mês errado" in page and "faturamento@jayob.test" in page
    assert "Removido" in admin.get("/faturamento/list/").get_data(as_text=True)  # the dealer still sees it
    per_user = admin.get(f"/faturamento/correcao/quem-baixou/?usuario={world['billing']}").get_data(as_text=True)
    assert "fatura_agosto.pdf" in per_user and "fatura_setembro.pdf" in per_user
    again = admin.post(f"/faturamento/correcao/{wrong.id}", data={"motivo": "De novo", "csrf_token": csrf_token(admin)})
    assert again.status_code == 200  # already removed: nothing more happens
    with db_ctx() as session:
        assert len(session.execute(select(OutboxMessage).filter_by(kind="billing_correction")).scalars().all()) == 2

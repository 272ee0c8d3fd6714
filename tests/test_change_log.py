"""Registro de alterações: a change made on each admin screen is one entry with who, what and
each field before → after; an ERP batch is one entry; the list is the admin's alone."""
import io

import pytest
from sqlalchemy import select

from app.accounts.models import ConsentDocument, PortalUser
from app.accounts.roles import ADMIN, SUPPLIES_OPERATOR
from app.billing.models import BillingFile
from app.calls.models import BusinessCalendar, Holiday
from app.catalog.models import DefectType
from app.core.changelog import ObjectChange
from app.core.db import db
from app.sync.models import SyncBatch, SyncToken
from tests import factories as f
from tests.conftest import csrf_token, form_fields, login
from tests.sync_support import push, rec
from tests.test_portuguese import visible_text


@pytest.fixture
def admin(app, client, db_ctx):
    with db_ctx():
        company = f.company("REVENDA MATRIZ")
        customer = f.client(company, "JAYOB COMPANY")
        ids = {"company": company.id, "client": customer.id,
               "admin": f.user(ADMIN, email="admin@revenda.test").id}
    login(client, "admin@revenda.test")
    return client, ids


def _mark(db_ctx) -> int:
    """The last entry so far: rows the test builds (as the system) come before it."""
    with db_ctx() as session:
        return session.execute(select(ObjectChange.id).order_by(ObjectChange.id.desc())).scalar() or 0


def _entries(db_ctx, model, pk=None, after=0):
    with db_ctx() as session:
        query = select(ObjectChange).where(ObjectChange.object_type == model.__name__,
                                           ObjectChange.id > after)
        if pk is not None:
            query = query.where(ObjectChange.object_id == pk)
        return [(row.action, row.user_id, row.changes)
                for row in session.execute(query.order_by(ObjectChange.id)).scalars()]


def _post(client, url, data, **kwargs):
    """An edit form is posted with the row version it rendered (app.core.concurrency)."""
    seen = form_fields(client, url, "row_version") if "/edit/" in url else {"csrf_token": csrf_token(client)}
    response = client.post(url, data={**seen, **data}, **kwargs)
    assert response.status_code in (200, 302), response.status_code
    return response


def test_defect_calendar_and_holidays(admin, db_ctx):
    client, ids = admin
    with db_ctx():
        defect = f.defect(listed=False, name="ATOLAMENTO").id
        branch = f.company("FILIAL").id
        calendar = f.business_calendar(db.session.get(type(f.company()), branch)).id
    mark = _mark(db_ctx)
    _post(client, f"/defeitos/edit/{defect}", {"listed_on_portal": "y"})
    assert _entries(db_ctx, DefectType, defect, mark) == [
        ("update", ids["admin"], {"listed_on_portal": [False, True]})]

    _post(client, f"/calendarios/edit/{calendar}", {
        "company": str(branch), "starts_at": "07:30", "ends_at": "18:00", "works_mon": "y", "works_tue": "y",
        "works_wed": "y", "works_thu": "y", "works_fri": "y", "works_sat": "y", "near_minutes": "120"})
    [(action, user_id, changes)] = _entries(db_ctx, BusinessCalendar, calendar, mark)
    assert (action, user_id) == ("update", ids["admin"])
    assert changes == {"starts_at": ["08:00", "07:30"], "works_sat": [False, True]}

    _post(client, "/feriados/add", {"day": "2026-12-25", "name": "Natal", "company": ""})
    with db_ctx() as session:
        holiday = session.execute(select(Holiday.id)).scalar_one()
    _post(client, f"/feriados/edit/{holiday}", {"day": "2026-12-25", "name": "Natal (feriado nacional)",
                                                "company": ""})
    _post(client, f"/feriados/delete/{holiday}", {})
    assert _entries(db_ctx, Holiday, holiday) == [
        ("create", ids["admin"], {"day": [None, "2026-12-25"], "name": [None, "Natal"]}),
        ("update", ids["admin"], {"name": ["Natal", "Natal (feriado nacional)"]}),
        ("delete", ids["admin"], {"day": ["2026-12-25", None], "name": ["Natal (feriado nacional)", None]}),
    ]


def test_the_call_settings(admin, db_ctx):
    """Parâmetros de chamados (a setting per company): created on its first save, then updated."""
    from app.calls.models import CallSettings

    client, ids = admin
    mark = _mark(db_ctx)
    _post(client, f"/parametros-chamados/{ids['company']}", {"abertura": "E", "pecas": "L"})
    _post(client, f"/parametros-chamados/{ids['company']}", {"abertura": "A", "pecas": "P"})
    assert [(action, user, changes) for action, user, changes in _entries(db_ctx, CallSettings, after=mark)] == [
        ("create", ids["admin"], {"company_id": [None, ids["company"]], "opening_status": [None, "E"],
                                  "parts_request_status": [None, "L"]}),
        ("update", ids["admin"], {"opening_status": ["E", "A"], "parts_request_status": ["L", "P"]}),
    ]


def test_users_lgpd_documents_billing_files_and_sync_tokens(admin, db_ctx):
    client, ids = admin
    with db_ctx():
        user = f.user(SUPPLIES_OPERATOR, email="sup@revenda.test")
        user.first_name = "Fulano"
        db.session.commit()
        user_id = user.id
    mark = _mark(db_ctx)
    _post(client, f"/usuarios/edit/{user_id}", {
        "first_name": "Fulano de Tal", "email": "sup@revenda.test", "profile": SUPPLIES_OPERATOR,
        "companies": [str(ids["company"])], "active": "y"})
    [(action, actor, changes)] = _entries(db_ctx, PortalUser, user_id, mark)
    assert (action, actor) == ("update", ids["admin"])
    assert changes["first_name"] == ["Fulano", "Fulano de Tal"]
    assert changes["companies"] == [[], ["REVENDA MATRIZ"]]
    assert "password" not in changes and "last_login" not in changes

    mark = _mark(db_ctx)
    _post(client, "/usuarios/add", {"email": "novo@revenda.test", "first_name": "Novo", "profile": SUPPLIES_OPERATOR,
                                    "companies": [str(ids["company"])], "active": "y"})
    with db_ctx() as session:
        new_id = session.execute(select(PortalUser.id).where(PortalUser.email == "novo@revenda.test")).scalar()
    _post(client, f"/usuarios/delete/{new_id}", {})
    [created, deleted] = _entries(db_ctx, PortalUser, new_id, mark)
    assert created[:2] == ("create", ids["admin"]) and deleted[:2] == ("delete", ids["admin"])
    assert created[2]["email"] == [None, "novo@revenda.test"] and created[2]["roles"] == [None, [SUPPLIES_OPERATOR]]
    assert created[2]["password"] == [None, "***new"]  # recorded as set, never its hash
    assert deleted[2]["email"] == ["novo@revenda.test", None]

    _post(client, "/documentos-lgpd/add", {"kind": "privacy", "title": "Política de privacidade",
                                           "body": "Texto."})
    [(action, actor, changes)] = _entries(db_ctx, ConsentDocument)
    assert (action, actor) == ("create", ids["admin"])
    assert changes["title"] == [None, "Política de privacidade"] and changes["version"] == [None, 1]

    _post(client, f"/faturamento/importar/{ids['client']}", {
        "mes": "8", "ano": "2026", "observacao": "", "arquivos": [(io.BytesIO(f.pdf_bytes()), "nf.pdf")]},
        content_type="multipart/form-data")
    [(action, actor, changes)] = _entries(db_ctx, BillingFile)
    assert (action, actor) == ("create", ids["admin"])
    assert changes["original_name"] == [None, "nf.pdf"] and changes["month"] == [None, 8]

    _post(client, "/sincronismo/tokens", {"name": "ILUX servidor"})
    with db_ctx() as session:
        token = session.execute(select(SyncToken.id)).scalar_one()
    _post(client, f"/sincronismo/tokens/{token}/revogar", {})
    [created, revoked] = _entries(db_ctx, SyncToken, token)
    assert created[:2] == ("create", ids["admin"]) and created[2]["name"] == [None, "ILUX servidor"]
    assert revoked[:2] == ("update", ids["admin"]) and list(revoked[2]) == ["revoked_at"]
    assert revoked[2]["revoked_at"][0] is None and revoked[2]["revoked_at"][1]


def test_an_erp_batch_is_one_entry_and_logins_are_none(app, admin, db_ctx):
    client, _ids = admin
    with db_ctx():
        _token, plain = f.sync_token("ILUX")
    mark = _mark(db_ctx)
    records = [rec("defect_type", f"D{n}", name=f"DEFEITO {n}", category="with_contract") for n in range(5)]
    assert push(app.test_client(), plain, records).status_code == 200
    assert _entries(db_ctx, DefectType, after=mark) == []
    [(action, actor, changes)] = _entries(db_ctx, SyncBatch, after=mark)
    assert action == "create" and actor is None and changes["record_count"] == [None, 5]
    assert _entries(db_ctx, PortalUser, after=mark) == []  # the admin's login changed his row: not an edit


def test_the_admin_lists_filters_and_reads_an_entry(app, admin, db_ctx):
    client, ids = admin
    with db_ctx():
        defect = f.defect(listed=False, name="ATOLAMENTO").id
        f.user(SUPPLIES_OPERATOR, email="sup@revenda.test")
    _post(client, f"/defeitos/edit/{defect}", {"listed_on_portal": "y"})
    page = visible_text(client.get("/registro-alteracoes/list/").get_data(as_text=True))
    assert "Registro de alterações" in page and "Alteração" in page and "Defeito" in page
    assert "ATOLAMENTO" in page
    filtered = client.get("/registro-alteracoes/list/?_flt_0_object_type=Holiday").get_data(as_text=True)
    assert "ATOLAMENTO" not in visible_text(filtered)
    # "Usuário" is typed (a name or e-mail), not picked from a list of every user.
    by_admin = client.get("/registro-alteracoes/list/?_flt_0_user=admin@revenda").get_data(as_text=True)
    assert "ATOLAMENTO" in visible_text(by_admin)
    by_other = client.get("/registro-alteracoes/list/?_flt_0_user=sup@revenda").get_data(as_text=True)
    assert "ATOLAMENTO" not in visible_text(by_other)
    assert "sup@revenda.test" not in page and "sup@revenda.test" not in by_admin
    with db_ctx() as session:
        entry = session.execute(select(ObjectChange.id).where(ObjectChange.action == "update")).scalar_one()
    shown = visible_text(client.get(f"/registro-alteracoes/show/{entry}").get_data(as_text=True))
    assert "Listado no portal" in shown or "listed_on_portal" not in shown
    assert "Não" in shown and "Sim" in shown
    operator = app.test_client()
    login(operator, "sup@revenda.test")
    assert operator.get("/registro-alteracoes/list/").status_code == 403

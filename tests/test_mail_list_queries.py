"""The lists of this area issue the same number of queries for 2 rows as for 20."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.accounts.models import ConsentDecision, DataRequest
from app.accounts.roles import ADMIN, CLIENT
from app.core.db import db
from tests import factories as f
from tests.conftest import login


def _tenant(ctx):
    from app.catalog.models import Client, Company

    return db.session.get(Company, ctx["company_id"]), db.session.get(Client, ctx["client_id"])


def _outbox(n, ctx):
    for _ in range(n):
        f.outbox_message()


def _documents(n, ctx):
    for i in range(n):
        f.consent_document(("privacy", "terms", "consent")[i % 3])


def _decisions(n, ctx):
    document = f.consent_document()
    for _ in range(n):
        company, customer = _tenant(ctx)
        user = f.user(CLIENT, [company], [customer])
        db.session.add(ConsentDecision(user_id=user.id, document_id=document.id, choice="accepted"))
    db.session.commit()


def _requests(n, ctx):
    for _ in range(n):
        company, customer = _tenant(ctx)
        user = f.user(CLIENT, [company], [customer])
        db.session.add(DataRequest(user_id=user.id, kind="erasure"))
    db.session.commit()


def _contacts(n, ctx):
    for _ in range(n):
        company, customer = _tenant(ctx)
        f.contact_message(f.client(company), f.user(CLIENT, [company], [customer]))


LISTS = {
    "/emails/list/": _outbox,
    "/documentos-lgpd/list/": _documents,
    "/aceites-lgpd/list/": _decisions,
    "/solicitacoes-lgpd/list/": _requests,
    "/contato/mensagens/list/": _contacts,
}


@contextmanager
def _counting(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("url", sorted(LISTS))
def test_list_queries_do_not_grow_with_rows(app, db_ctx, url):
    with db_ctx():
        company = f.company()
        ctx = {"company_id": company.id, "client_id": f.client(company).id}
        f.user(ADMIN, email="admin@x.test")
        LISTS[url](2, ctx)
    client = app.test_client()
    login(client, "admin@x.test")
    client.get(url)  # warm-up: first-request work is not the list's
    with _counting(app) as few:
        assert client.get(url).status_code == 200
    with db_ctx():
        LISTS[url](18, ctx)
    client.get(url)  # warm-up again: a write to reference data (LGPD documents) empties that cache
    with _counting(app) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), f"{url}: {len(few)} queries for 2 rows, {len(many)} for 20"

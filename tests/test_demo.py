"""`flask pws demo`: realistic, consistent, scoped data and logins that work."""
import os
import re
from datetime import datetime
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from app.accounts.models import PortalUser, user_client, user_company
from app.accounts.principal import principal_for_user_id
from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, BILLING_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CARRIER, CLIENT,
    LOGISTICS_OPERATOR, PROFILE_NAMES, SUPPLIES_OPERATOR, TECHNICIAN,
)
from app.billing.models import BillingFile
from app.billing.services import STORAGE_AREA as BILLING_STORAGE_AREA
from app.calls.models import ServiceCall
from app.catalog.models import Carrier, Client, Company, Equipment
from app.core.br import is_valid_cnpj, is_valid_cnpj_cpf
from app.core.scoping import scoped
from app.deliveries.models import Delivery, Invoice
from app.field.models import Attendance
from app.demo import load_demo
from tests import factories as f
from tests.conftest import _empty_tables, login

DOCUMENT = re.compile(r"\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}|\d{3}\.\d{3}\.\d{3}-\d{2}")


def run_demo(app, *args):
    return app.test_cli_runner().invoke(args=["pws", "demo", *args])


def printed_logins(output: str) -> list[tuple[str, str, str]]:
    """(e-mail, password, profile) of each row of the logins table."""
    lines = output.split("Acessos de demonstração:")[1].strip().splitlines()[2:]
    return [tuple(re.split(r"\s{2,}", line.strip())[:3]) for line in lines]


@pytest.fixture
def demo(app):
    result = run_demo(app)
    assert result.exit_code == 0, result.output
    return printed_logins(result.output)


def _user_links(session, email):
    user = session.execute(select(PortalUser).where(PortalUser.email == email)).scalar_one()
    companies = set(session.execute(
        select(user_company.c.company_id).where(user_company.c.user_id == user.id)).scalars())
    clients = set(session.execute(
        select(user_client.c.client_id).where(user_client.c.user_id == user.id)).scalars())
    return user, companies, clients


def _serials_shown(html, serials):
    return {serial for serial in serials if re.search(rf"\b{serial}\b", html)}


def test_printed_logins_cover_every_profile_and_sign_in(app, demo):
    assert sorted(profile for _, _, profile in demo) == sorted(PROFILE_NAMES)
    for email, password, _profile in demo:
        client = app.test_client()
        login(client, email, password)
        assert client.get("/").status_code == 200


def test_equipment_lists_show_only_the_users_scope(app, db_ctx, demo):
    app.config["PWS_MAX_PAGE_SIZE"] = 200  # every row of the demo on one page
    readers = {CLIENT, CALL_OPENER, ATTENDANCE_OPERATOR, CALLS_OPERATOR, SUPPLIES_OPERATOR}
    with db_ctx() as session:
        every = {row.serial: (row.company_id, row.client_id)
                 for row in session.execute(select(Equipment.serial, Equipment.company_id,
                                                   Equipment.client_id))}
        links = {email: _user_links(session, email)[1:] for email, _, p in demo if p in readers}
    for email, password, profile in demo:
        if profile not in readers:
            continue
        companies, clients = links[email]
        if profile in (CLIENT, CALL_OPENER):
            mine = {s for s, (_, client_id) in every.items() if client_id in clients}
        else:
            mine = {s for s, (company_id, _) in every.items() if company_id in companies}
        assert mine
        if profile in (CLIENT, CALL_OPENER, CALLS_OPERATOR):  # linked to part of the dealer
            assert len(mine) < len(every)
        client = app.test_client()
        login(client, email, password)
        html = client.get("/equipamentos/list/?psize_EquipmentView=200").get_data(as_text=True)
        shown = _serials_shown(html, every)
        assert shown == mine, profile


def test_client_list_of_an_operator_linked_to_the_matriz_only(app, db_ctx, demo):
    email = next(e for e, _, p in demo if p == CALLS_OPERATOR)
    with db_ctx() as session:
        _user, companies, _ = _user_links(session, email)
        documents = dict(session.execute(select(Client.cnpj_cpf, Client.company_id)).all())
    client = app.test_client()
    login(client, email)
    html = client.get("/clientes/list/?psize_ClientView=200").get_data(as_text=True)
    shown = set(DOCUMENT.findall(html))
    assert shown == {doc for doc, company in documents.items() if company in companies}
    assert len(companies) == 1 and len(shown) < len(documents)


def test_admin_sees_the_matriz_and_both_filiais(app, db_ctx, demo):
    email = next(e for e, _, p in demo if p == ADMIN)
    client = app.test_client()
    login(client, email)
    html = client.get("/empresas/list/").get_data(as_text=True)
    with db_ctx() as session:
        companies = session.execute(select(Company)).scalars().all()
        assert len(companies) == 3
        assert sum(company.parent_id is None for company in companies) == 1
        assert all(company.cnpj in html for company in companies)


def test_each_profile_has_rows_in_its_scope_and_none_outside(app, db_ctx, demo):
    """Profiles whose screens other areas build: the demo gives each a useful, exact scope."""
    with db_ctx() as session:
        def rows(model, email, *columns):
            user = session.execute(select(PortalUser).where(PortalUser.email == email)).scalar_one()
            stmt = scoped(select(*columns), model, principal_for_user_id(user.id))
            return user, session.execute(stmt).all()

        email = {profile: e for e, _, profile in demo}
        user, calls = rows(ServiceCall, email[TECHNICIAN], ServiceCall.technician_id,
                           ServiceCall.opened_by_id)
        assert calls
        assert all(tech == user.technician_id or opener == user.id for tech, opener in calls)

        _, calls = rows(ServiceCall, email[LOGISTICS_OPERATOR], ServiceCall.status)
        assert {status for (status,) in calls} == {"L", "S"}

        user, calls = rows(ServiceCall, email[CALL_OPENER], ServiceCall.opened_by_id)
        assert calls and {opener for (opener,) in calls} == {user.id}

        user, calls = rows(ServiceCall, email[CLIENT], ServiceCall.client_id)
        assert calls and {client for (client,) in calls} == {c.id for c in user.clients}

        user, invoices = rows(Invoice, email[CARRIER], Invoice.carrier_id, Invoice.id)
        assert invoices and {carrier for carrier, _ in invoices} == {user.carrier_id}
        delivered = set(session.execute(select(Delivery.invoice_id)).scalars())
        assert any(pk not in delivered for _, pk in invoices), "nothing left to deliver"

        user, files = rows(BillingFile, email[BILLING_OPERATOR], BillingFile.client_id)
        assert files and {client for (client,) in files} == {c.id for c in user.clients}


def test_every_document_has_valid_check_digits(db_ctx, demo):
    with db_ctx() as session:
        companies = session.execute(select(Company.cnpj)).scalars().all()
        clients = session.execute(select(Client.cnpj_cpf, Client.parent_id, Client.id)).all()
        carriers = session.execute(select(Carrier.document)).scalars().all()
    assert all(is_valid_cnpj(cnpj) for cnpj in companies + carriers)
    assert all(is_valid_cnpj_cpf(doc) for doc, _, _ in clients)
    by_id = {pk: doc for doc, _, pk in clients}
    filiais = [(doc, by_id[parent]) for doc, parent, _ in clients if parent]
    assert filiais  # same CNPJ root as the matriz, another order
    assert all(doc[:10] == matriz[:10] and doc[11:15] != "0001" for doc, matriz in filiais)


CONSISTENCY = {
    "call company is its client's": """
        SELECT count(*) FROM service_call s JOIN client c ON c.id = s.client_id
        WHERE s.company_id <> c.company_id""",
    "call equipment belongs to the call's client and contract": """
        SELECT count(*) FROM service_call s JOIN equipment e ON e.id = s.equipment_id
        WHERE e.client_id <> s.client_id OR NOT (e.contract_id = s.contract_id
              OR (e.contract_id IS NULL AND s.contract_id IS NULL))""",
    "equipment company is its client's": """
        SELECT count(*) FROM equipment e JOIN client c ON c.id = e.client_id
        WHERE e.company_id <> c.company_id""",
    "contract of the equipment is the client's": """
        SELECT count(*) FROM equipment e JOIN contract k ON k.id = e.contract_id
        WHERE k.client_id <> e.client_id""",
    "last status change is the call's status": """
        SELECT count(*) FROM service_call s JOIN call_status_change h ON h.call_id = s.id
        WHERE h.changed_at = (SELECT max(changed_at) FROM call_status_change x
                              WHERE x.call_id = s.id)
          AND h.to_status <> s.status""",
    "history starts with the opening": """
        SELECT count(*) FROM call_status_change h
        WHERE (h.from_status IS NULL) <> (h.to_status = 'A'
              AND h.changed_at = (SELECT opened_at FROM service_call s WHERE s.id = h.call_id))""",
    "closed_at exactly for O, T, C": """
        SELECT count(*) FROM service_call
        WHERE (closed_at IS NOT NULL) <> (status IN ('O', 'T', 'C'))""",
    "client-side opener is linked to the call's client": """
        SELECT count(*) FROM service_call s JOIN ab_user u ON u.id = s.opened_by_id
        WHERE u.profile IN ('Cliente', 'Abertura de Chamados') AND NOT EXISTS (
            SELECT 1 FROM user_client l WHERE l.user_id = u.id AND l.client_id = s.client_id)""",
    "technician's calls belong to his user's company": """
        SELECT count(*) FROM service_call s JOIN ab_user u ON u.technician_id = s.technician_id
        WHERE NOT EXISTS (SELECT 1 FROM user_company l
                          WHERE l.user_id = u.id AND l.company_id = s.company_id)""",
    "supply request has items and its client's company": """
        SELECT count(*) FROM supply_request r JOIN client c ON c.id = r.client_id
        WHERE r.company_id <> c.company_id
           OR NOT EXISTS (SELECT 1 FROM supply_request_item i WHERE i.request_id = r.id)""",
    "invoiced requests have their invoice": """
        SELECT count(*) FROM supply_request r
        WHERE r.status IN ('invoiced', 'delivered') AND NOT EXISTS (
            SELECT 1 FROM invoice i WHERE i.supply_request_id = r.id
               AND i.client_id = r.client_id AND i.number = r.invoice_number)""",
    "item fits the requested model": """
        SELECT count(*) FROM supply_request_item i JOIN supply_request r ON r.id = i.request_id
        LEFT JOIN equipment e ON e.id = r.equipment_id
        WHERE NOT EXISTS (
            SELECT 1 FROM supply_item_model m WHERE m.supply_item_id = i.supply_item_id
               AND m.equipment_model_id = coalesce(r.equipment_model_id, e.model_id))""",
    "attendance events within the call's life": """
        SELECT count(*) FROM attendance_event v JOIN attendance a ON a.id = v.attendance_id
        JOIN service_call s ON s.id = a.call_id
        WHERE v.device_time < s.opened_at OR v.device_time > coalesce(s.closed_at, s.updated_at)""",
}


def test_rows_are_consistent(db_ctx, demo):
    with db_ctx() as session:
        broken = {rule: count for rule, sql in CONSISTENCY.items()
                  if (count := session.execute(text(sql)).scalar())}
    assert broken == {}


def test_history_covers_every_status_and_months(db_ctx, demo):
    with db_ctx() as session:
        statuses = set(session.execute(select(ServiceCall.status).distinct()).scalars())
        first, last = session.execute(select(func.min(ServiceCall.opened_at),
                                             func.max(ServiceCall.opened_at))).one()
        listed = session.execute(text(
            "SELECT count(DISTINCT category) FROM defect_type WHERE listed_on_portal = :yes"),
            {"yes": True}).scalar()
        unlisted = session.execute(text(
            "SELECT count(*) FROM defect_type WHERE listed_on_portal = :no"),
            {"no": False}).scalar()
        counts = {table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in ("pre_service_message", "attendance_event", "delivery", "survey")}
    assert statuses == set("AEMPOTCLS")
    assert (last - first).days > 300
    assert listed == 3 and unlisted > 0
    assert all(counts.values()), counts


def test_billing_files_are_real_pdfs_in_storage(app, db_ctx, demo):
    with db_ctx() as session:
        files = session.execute(select(BillingFile)).scalars().all()
    assert files
    for row in files:
        path = os.path.join(app.config["PWS_STORAGE_DIR"], BILLING_STORAGE_AREA, row.stored_name)
        with open(path, "rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF-") and len(content) == row.size
        assert len(PdfReader(path).pages) == 1


def test_if_empty_leaves_a_loaded_database_unchanged(app, db_ctx, demo):
    def counts():
        with db_ctx() as session:
            return {table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    for table in ("company", "client", "service_call", "ab_user", "invoice")}

    before = counts()
    result = run_demo(app, "--if-empty")
    assert result.exit_code == 0 and "não carregada" in result.output
    refused = run_demo(app)
    assert refused.exit_code != 0 and "banco vazio" in refused.output
    assert counts() == before


def test_if_empty_skips_a_database_with_someone_elses_companies(app, db_ctx):
    with db_ctx():
        f.company("REVENDA REAL LTDA")
    result = run_demo(app, "--if-empty")
    assert result.exit_code == 0
    with db_ctx() as session:
        assert session.execute(select(func.count(Company.id))).scalar() == 1
        assert session.execute(select(func.count(Client.id))).scalar() == 0


def test_invalid_scale_is_refused(app):
    result = run_demo(app, "--scale", "enorme")
    assert result.exit_code != 0 and "Escala inválida" in result.output


def test_same_data_on_every_load(app, db_ctx):
    """Same scale and end moment, same rows (benchmarks compare like with like)."""
    def fingerprint():
        with app.app_context():
            load_demo("small", echo=lambda *_: None, now=datetime(2026, 11, 2, 15, 30))
        with db_ctx() as session:
            return (
                session.execute(select(Client.name, Client.cnpj_cpf).order_by(Client.id)).all(),
                session.execute(select(Equipment.serial).order_by(Equipment.id)).scalars().all(),
                session.execute(select(ServiceCall.status, ServiceCall.client_id,
                                       ServiceCall.opened_at).order_by(ServiceCall.id)).all(),
                session.execute(select(PortalUser.email).order_by(PortalUser.id)).scalars().all(),
            )

    first = fingerprint()
    _empty_tables(app)
    assert fingerprint() == first
    assert max(opened for _, _, opened in first[2]) < datetime(2026, 11, 2, 15, 30)


def test_demo_users_are_hashed_like_any_user_once(app, db_ctx):
    """A demo login costs what an unknown e-mail's costs (FAB's scrypt dummy check), so timing
    tells no demo account apart; the password is hashed once and the hash reused."""
    app.config.pop("FAB_PASSWORD_HASH_METHOD")  # the app's default, not the tests' fast hash
    result = run_demo(app)
    assert result.exit_code == 0, result.output
    method = app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"].split("$")[0]
    with db_ctx() as session:
        # the ERP's system user (the demo's sync token) has no password: "!" matches no hash
        hashes = set(session.execute(select(PortalUser.password).where(PortalUser.password != "!")).scalars())
    assert method.startswith("scrypt:") and len(hashes) == 1
    assert hashes.pop().split("$")[0] == method
    email, password, _profile = printed_logins(result.output)[0]
    client = app.test_client()
    login(client, email, password)
    assert client.get("/").status_code == 200


def test_the_pdf_of_every_demo_attendance_renders(app, db_ctx):
    """The demo writes counters as ``{"total": N}``, the app API as a list: "Imprimir" reads both
    (a demo of 200 calls: every shape of attendance, at a size every one can be printed)."""
    result = run_demo(app, "--scale", "200")
    assert result.exit_code == 0, result.output
    demo = printed_logins(result.output)
    with db_ctx() as session:
        attendances = session.execute(select(Attendance.id, Attendance.counters)).all()
    assert any(counters for _pk, counters in attendances)
    admin = next(email for email, _password, profile in demo if profile == ADMIN)
    client = app.test_client()
    login(client, admin)
    for pk, counters in attendances:
        response = client.get(f"/atendimentos/imprimir/{pk}")
        assert response.status_code == 200, pk
        text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)
        if counters:
            assert "Contadores" in text
            value = next(iter(counters.values())) if isinstance(counters, dict) else counters[0]["value"]
            assert f"{value:,}".replace(",", ".") in text

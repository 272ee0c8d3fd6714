"""Configurações → Sincronismo, the CLI tokens and the OpenAPI description."""
import hashlib
import re
from datetime import timedelta

from sqlalchemy import event, select, update

from app.accounts.roles import ADMIN
from app.core.db import db, utcnow
from app.sync.models import SyncToken
from tests import factories as f
from tests.conftest import csrf_token, login
from tests.sync_support import bearer, push, rec

# api.md §1, the table of entities and their data fields, as the synchronizer's author reads it.
API_MD_FIELDS = {
    "company": "name trade_name cnpj parent_erp_id city state",
    "client": "company_erp_id name trade_name cnpj_cpf parent_erp_id address district zip city state "
              "contact_name phone email",
    "contract": "client_erp_id company_erp_id number starts_on ends_on active sla_hours",
    "equipment_model": "name manufacturer",
    "equipment": "serial model_erp_id client_erp_id contract_erp_id asset_tag department location city state",
    "supply_item": "name model_erp_ids",
    "defect_type": "name category",
    "technician": "name email phone active",
    "carrier": "name document email active",
    "service_order": "company_erp_id client_erp_id equipment_erp_id contract_erp_id defect_erp_id status "
                     "technician_erp_id opened_at priority_due description web_id",
    "invoice": "company_erp_id client_erp_id number series issued_at status carrier_erp_id "
               "supply_request_web_id total",
    "supply_request": "web_id status carrier_erp_id tracking_code invoice_number invoice_date",
    "part": "name code model_erp_ids",
    # "the ERP may update a parts request's state through the batch like supply_request"
    "parts_request": "web_id state",
}


def _admin(client, db_ctx):
    with db_ctx():
        f.user(ADMIN, email="admin@revenda.test")
    return login(client, "admin@revenda.test")


def test_token_created_in_the_panel_is_shown_once_and_stored_hashed(client, db_ctx):
    _admin(client, db_ctx)
    response = client.post("/sincronismo/tokens", data={"name": "ILUX servidor", "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    plain = re.search(r'value="(pws_[^"]+)"', response.get_data(as_text=True)).group(1)
    with db_ctx() as session:
        token = session.execute(select(SyncToken)).scalar_one()
        assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
        assert plain not in str([getattr(token, c.key) for c in SyncToken.__table__.columns])
    monitor = client.get("/sincronismo/").get_data(as_text=True)
    assert "ILUX servidor" in monitor and plain not in monitor
    assert push(client, plain, [rec("company", "1", name="REVENDA")]).status_code == 200
    duplicate = client.post("/sincronismo/tokens", data={"name": "ILUX servidor", "csrf_token": csrf_token(client)},
                            follow_redirects=True)
    assert "Já existe um token" in duplicate.get_data(as_text=True)
    without_csrf = client.post("/sincronismo/tokens", data={"name": "SEM CSRF"})
    assert without_csrf.status_code == 400


def test_revoking_in_the_panel_locks_the_synchronizer_out(client, db_ctx):
    with db_ctx():
        token, plain = f.sync_token("ILUX")
        token_id = token.id
    _admin(client, db_ctx)
    assert client.get("/api/sync/v1/changes", headers=bearer(plain)).status_code == 200
    response = client.post(f"/sincronismo/tokens/{token_id}/revogar", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get("/api/sync/v1/changes", headers=bearer(plain)).status_code == 401
    assert client.post("/sincronismo/tokens/999999/revogar",
                       data={"csrf_token": csrf_token(client)}).status_code == 404
    assert "Revogado em" in client.get("/sincronismo/").get_data(as_text=True)


def test_cli_creates_and_revokes_tokens(app, client, db_ctx):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["pws", "sync-token", "create", "ILUX CLI"])
    assert created.exit_code == 0
    plain = created.output.strip().splitlines()[-1]
    assert plain.startswith("pws_") and " " not in plain
    assert client.post("/api/sync/v1/heartbeat", headers=bearer(plain)).status_code == 200
    assert "ILUX CLI" in runner.invoke(args=["pws", "sync-token", "list"]).output
    assert runner.invoke(args=["pws", "sync-token", "create", "ILUX CLI"]).exit_code != 0
    assert runner.invoke(args=["pws", "sync-token", "revoke", "ILUX CLI"]).exit_code == 0
    assert client.post("/api/sync/v1/heartbeat", headers=bearer(plain)).status_code == 401
    assert runner.invoke(args=["pws", "sync-token", "revoke", "NINGUEM"]).exit_code != 0


def test_monitor_highlights_silence_over_five_minutes_and_lists_batches(client, db_ctx):
    with db_ctx():
        plain = f.sync_token("ILUX matriz")[1]
        f.sync_token("ILUX filial")
    push(client, plain, [rec("company", "1", name="REVENDA")], batch_id="lote-bom")
    push(client, plain, [rec("client", "9", name="SEM EMPRESA")], batch_id="lote-ruim")
    client.post("/api/sync/v1/heartbeat", json={"agent": "SYNC II", "version": "2.4"}, headers=bearer(plain))
    _admin(client, db_ctx)
    page = client.get("/sincronismo/").get_data(as_text=True)
    assert "SYNC II" in page and "lote-bom" in page and "lote-ruim" in page
    assert page.count("pws-sync-stale") == 1, "only the token that never called is highlighted"
    with db_ctx() as session:
        session.execute(update(SyncToken).values(last_used_at=utcnow() - timedelta(minutes=6)))
        session.commit()
    page = client.get("/sincronismo/").get_data(as_text=True)
    assert page.count("pws-sync-stale") == 2
    assert "mais de 5 minutos sem sinal" in page
    rejected = re.search(r'href="(/sincronismo/lotes/\d+)">lote-ruim', page).group(1)
    detail = client.get(rejected).get_data(as_text=True)
    assert "company_erp_id" in detail and "Recusado" in detail
    assert client.get("/sincronismo/lotes/999999").status_code == 404


def test_monitor_issues_the_same_queries_for_2_or_20_batches(app, client, db_ctx):
    with db_ctx():
        plain = f.sync_token("ILUX")[1]
    _admin(client, db_ctx)

    def queries_with(batches):
        for n in range(batches):
            push(client, plain, [rec("company", "1", name=f"REVENDA {n}")])
        client.get("/sincronismo/")  # warm-up: per-process reference cache
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/sincronismo/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    assert queries_with(2) == queries_with(18)


def test_openapi_describes_every_sync_endpoint_and_field(client, db_ctx):
    _admin(client, db_ctx)
    spec = client.get("/api/v1/_openapi").get_json()
    paths = spec["paths"]
    assert set(paths["/api/sync/v1/batch"]) == {"post"}
    assert set(paths["/api/sync/v1/changes"]) == {"get"}
    assert set(paths["/api/sync/v1/changes/ack"]) == {"post"}
    assert set(paths["/api/sync/v1/heartbeat"]) == {"post"}
    for operation in (paths["/api/sync/v1/batch"]["post"], paths["/api/sync/v1/changes"]["get"]):
        assert operation["security"] == [{"SyncToken": []}]
        assert "401" in operation["responses"]
    assert {"409", "413", "422"} <= set(paths["/api/sync/v1/batch"]["post"]["responses"])
    assert "410" in paths["/api/sync/v1/changes"]["get"]["responses"]
    schemas = spec["components"]["schemas"]
    for entity, fields in API_MD_FIELDS.items():
        assert set(schemas[f"SyncData_{entity}"]["properties"]) == set(fields.split()), entity
    assert spec["components"]["securitySchemes"]["SyncToken"]["scheme"] == "bearer"

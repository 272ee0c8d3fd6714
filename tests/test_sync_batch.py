"""POST /api/sync/v1/batch: all or nothing, idempotent, order-free, bulk (api.md §1)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, func, select

from app.calls.models import CallStatusChange, ServiceCall
from app.catalog.models import (
    Carrier, Client, Company, Contract, DefectType, Equipment, EquipmentModel, SupplyItem, Technician,
)
from app.core.db import db
from app.deliveries.models import Invoice
from app.supplies.models import SupplyRequest
from app.sync.contract import MAX_BYTES, MAX_RECORDS
from app.feed.models import ChangeFeedEntry
from app.sync.models import SyncBatch, SyncToken
from app.sync.services import SYSTEM_USERNAME
from app.accounts.models import PortalUser
from tests import factories as f
from tests.sync_support import bearer, master_data, push, rec

MASTER_TABLES = (Company, Client, Contract, EquipmentModel, Equipment, SupplyItem, DefectType,
                 Technician, Carrier, ServiceCall, Invoice)


def _token(db_ctx):
    with db_ctx():
        return f.sync_token()[1]


def _counts(session):
    return {model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in MASTER_TABLES}


def test_master_data_loads_in_any_order(client, db_ctx):
    plain = _token(db_ctx)
    response = push(client, plain, master_data(), batch_id="carga-inicial")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["batch_id"] == "carga-inicial"
    assert (body["applied"], body["created"], body["updated"], body["deleted"]) == (13, 13, 0, 0)
    assert body["server_time"].endswith("-03:00")
    with db_ctx() as session:
        matriz = session.execute(select(Company).filter_by(erp_id="1")).scalar_one()
        filial = session.execute(select(Company).filter_by(erp_id="2")).scalar_one()
        assert filial.parent_id == matriz.id and matriz.parent_id is None
        jayob = session.execute(select(Client).filter_by(erp_id="6")).scalar_one()
        holding = session.execute(select(Client).filter_by(erp_id="5")).scalar_one()
        assert (jayob.company_id, jayob.parent_id, jayob.email) == (filial.id, holding.id, "ana@jayob.com.br")
        equipment = session.execute(select(Equipment).filter_by(erp_id="77")).scalar_one()
        assert equipment.company_id == filial.id, "equipment takes its client's company"
        assert (equipment.client_id, equipment.state, equipment.model.name) == (jayob.id, "SC", "BROTHER 8080DN")
        contract = session.execute(select(Contract).filter_by(erp_id="CT-9")).scalar_one()
        assert (contract.starts_on, contract.sla_hours, equipment.contract_id) == (date(2026, 1, 1), 8, contract.id)
        toner = session.execute(select(SupplyItem).filter_by(erp_id="TN3472")).scalar_one()
        assert [m.erp_id for m in toner.models] == ["M8080"]
        order = session.execute(select(ServiceCall).filter_by(erp_id="1415195")).scalar_one()
        assert order.opened_at == datetime(2026, 11, 27, 17, 5), "stored in UTC"
        assert (order.status, order.technician.erp_id, order.defect_type.erp_id) == ("E", "T2", "D3")
        system = session.execute(select(PortalUser).filter_by(username=SYSTEM_USERNAME)).scalar_one()
        assert order.opened_by_id == system.id and not system.active
        invoice = session.execute(select(Invoice).filter_by(erp_id="NF-1")).scalar_one()
        assert (invoice.total, invoice.carrier.erp_id, invoice.status) == (Decimal("1234.50"), "TR1", "authorized")
        defect = session.execute(select(DefectType).filter_by(erp_id="D3")).scalar_one()
        assert defect.listed_on_portal is False
        assert session.execute(select(func.count()).select_from(ChangeFeedEntry)).scalar_one() == 0, \
            "ERP changes are not echoed back to the ERP"
        batch = session.execute(select(SyncBatch)).scalar_one()
        assert (batch.status, batch.record_count, batch.result) == ("applied", 13, body)


def test_replaying_a_batch_returns_the_first_result_without_applying_it_again(client, db_ctx):
    plain = _token(db_ctx)
    first = push(client, plain, [rec("company", "1", name="REVENDA MATRIZ")], batch_id="b-1")
    assert push(client, plain, [rec("company", "1", name="REVENDA NOVO NOME")]).status_code == 200
    replay = push(client, plain, [rec("company", "1", name="REVENDA MATRIZ")], batch_id="b-1")
    assert replay.status_code == 200
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    with db_ctx() as session:
        assert session.execute(select(Company.name)).scalar_one() == "REVENDA NOVO NOME"
        assert session.execute(select(func.count()).select_from(SyncBatch)).scalar_one() == 2


def test_same_batch_id_with_other_content_is_409_and_applies_nothing(client, db_ctx):
    plain = _token(db_ctx)
    assert push(client, plain, [rec("company", "1", name="REVENDA")], batch_id="b-1").status_code == 200
    response = push(client, plain, [rec("company", "1", name="OUTRA"), rec("company", "2", name="NOVA")],
                    batch_id="b-1")
    assert response.status_code == 409
    assert "batch_id" in response.get_json()["message"]
    with db_ctx() as session:
        assert session.execute(select(Company.name)).scalars().all() == ["REVENDA"]


def test_one_bad_record_applies_nothing_and_every_bad_record_is_listed(client, db_ctx):
    plain = _token(db_ctx)
    records = master_data() + [
        rec("equipment", "78", serial="X1", model_erp_id="M-NAO-EXISTE", client_erp_id="6"),
        rec("client", "7", company_erp_id="1", name="SEM DATA", cor="azul"),
        rec("contract", "CT-10", client_erp_id="6", company_erp_id="1", number="10", starts_on="31/12/2026"),
        rec("defect_type", "D4", name="SEM CATEGORIA"),
        rec("invoice", "NF-2", company_erp_id="1", client_erp_id="6", number="2", issued_at="ontem",
            status="paga"),
        {"entity": "equipment", "op": "delete"},
        {"entity": "impressora", "op": "upsert", "erp_id": "1"},
        rec("service_order", "OS-1", company_erp_id="1", client_erp_id="6", status="A",
            opened_at="2026-11-27T14:05:00-03:00", description="x" * 16001),
    ]
    response = push(client, plain, records, batch_id="com-erros")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    found = {(e["index"], e["entity"], e["erp_id"], e["field"]) for e in errors}
    assert found == {
        (13, "equipment", "78", "model_erp_id"),
        (14, "client", "7", "cor"),
        (15, "contract", "CT-10", "starts_on"),
        (16, "defect_type", "D4", "category"),
        (17, "invoice", "NF-2", "issued_at"),
        (17, "invoice", "NF-2", "status"),
        (18, "equipment", None, "erp_id"),
        (19, None, "1", "entity"),
        (20, "service_order", "OS-1", "description"),
    }
    assert all(e["message"] for e in errors)
    with db_ctx() as session:
        assert set(_counts(session).values()) == {0}, "nothing applied"
        kept = session.execute(select(SyncBatch)).scalar_one()
        assert (kept.status, kept.error_count) == ("rejected", 9)
    fixed = push(client, plain, master_data(), batch_id="com-erros")
    assert fixed.status_code == 200, "a rejected batch_id may be sent again once corrected"
    with db_ctx() as session:
        assert session.execute(select(SyncBatch.status)).scalar_one() == "applied"


def test_references_may_point_to_records_later_in_the_batch(client, db_ctx):
    plain = _token(db_ctx)
    response = push(client, plain, [
        rec("client", "11", company_erp_id="1", name="FILIAL", parent_erp_id="10"),
        rec("client", "10", company_erp_id="1", name="MATRIZ"),
        rec("company", "1", name="REVENDA"),
    ])
    assert response.status_code == 200, response.get_json()
    with db_ctx() as session:
        filial, matriz = (session.execute(select(Client).filter_by(erp_id=k)).scalar_one() for k in ("11", "10"))
        assert filial.parent_id == matriz.id


def test_delete_deactivates_and_history_keeps_pointing_at_the_row(client, db_ctx):
    plain = _token(db_ctx)
    assert push(client, plain, master_data()).status_code == 200
    with db_ctx() as session:
        jayob = session.execute(select(Client).filter_by(erp_id="6")).scalar_one()
        equipment = session.execute(select(Equipment).filter_by(erp_id="77")).scalar_one()
        portal_call = f.call(jayob, equipment, status="A")
        call_id, equipment_id = portal_call.id, equipment.id
    response = push(client, plain, [rec("equipment", "77", op="delete"), rec("client", "6", op="delete"),
                                    rec("invoice", "NF-1", op="delete"), rec("carrier", "nunca-existiu", op="delete")])
    assert response.status_code == 200
    assert response.get_json()["deleted"] == 3
    with db_ctx() as session:
        equipment = session.get(Equipment, equipment_id)
        assert equipment.active is False and equipment.serial == "U12345"
        assert session.execute(select(Client.active).filter_by(erp_id="6")).scalar_one() is False
        assert session.execute(select(Invoice.active)).scalar_one() is False
        call = session.get(ServiceCall, call_id)
        assert (call.equipment_id, call.status) == (equipment_id, "A"), "calls are never touched"
        assert session.execute(select(func.count()).select_from(ServiceCall)).scalar_one() == 2
    again = push(client, plain, [rec("equipment", "77", serial="U12345", model_erp_id="M8080", client_erp_id="6")])
    assert again.get_json()["updated"] == 1
    with db_ctx() as session:
        assert session.get(Equipment, equipment_id).active is True


def test_defect_upsert_never_touches_listed_on_portal(client, db_ctx):
    plain = _token(db_ctx)
    with db_ctx():
        f.defect(listed=True, name="ATOLAMENTO")
    with db_ctx() as session:
        erp_id = session.execute(select(DefectType.erp_id)).scalar_one()
    response = push(client, plain, [rec("defect_type", erp_id, name="ATOLAMENTO DE PAPEL", category="with_contract"),
                                    rec("defect_type", "D9", name="SEM TONER", category="without_contract")])
    assert response.status_code == 200
    with db_ctx() as session:
        rows = {d.erp_id: (d.name, d.listed_on_portal) for d in session.execute(select(DefectType)).scalars()}
        assert rows == {erp_id: ("ATOLAMENTO DE PAPEL", True), "D9": ("SEM TONER", False)}


def test_a_record_may_change_only_some_fields(client, db_ctx):
    plain = _token(db_ctx)
    assert push(client, plain, master_data()).status_code == 200
    response = push(client, plain, [rec("client", "6", trade_name="JAYOB", phone=None),
                                    rec("client", "6", email="compras@jayob.com.br")])
    assert response.get_json()["updated"] == 1
    with db_ctx() as session:
        jayob = session.execute(select(Client).filter_by(erp_id="6")).scalar_one()
        assert (jayob.name, jayob.trade_name, jayob.phone, jayob.email) == (
            "JAYOB COMPANY LTDA", "JAYOB", None, "compras@jayob.com.br")


def test_texts_are_stored_exactly_as_sent(client, db_ctx):
    """Quotes, backslashes, control characters, placeholders and emoji survive the bulk write,
    on creation and on update, in a column where other rows send null."""
    plain = _token(db_ctx)
    tricky = ["O'Brien \"Ltda\"", "C:\\pasta\\n", "linha 1\nlinha 2\r\tfim", "nul\x00 e \x1a",
              "%s %(name)s {0} ; DROP TABLE client; --", "São José 😀 ação", "\\'", "'"]
    names = {str(n): text for n, text in enumerate(tricky)}

    def batch(suffix):
        return [rec("company", "1", name="REVENDA")] + [
            rec("client", key, company_erp_id="1", name=text + suffix,
                trade_name=text if int(key) % 2 else None) for key, text in names.items()]

    for suffix, counts in (("", (len(names) + 1, 0)), (" 2", (0, len(names) + 1))):
        response = push(client, plain, batch(suffix))
        assert response.status_code == 200, response.get_json()
        assert (response.get_json()["created"], response.get_json()["updated"]) == counts
        with db_ctx() as session:
            stored = {row.erp_id: (row.name, row.trade_name) for row in session.execute(
                select(Client.erp_id, Client.name, Client.trade_name))}
        assert stored == {key: (text + suffix, text if int(key) % 2 else None) for key, text in names.items()}


def test_a_client_moving_to_another_company_takes_its_equipment(client, db_ctx):
    plain = _token(db_ctx)
    assert push(client, plain, master_data()).status_code == 200
    assert push(client, plain, [rec("client", "6", company_erp_id="1")]).status_code == 200
    with db_ctx() as session:
        matriz_id = session.execute(select(Company.id).filter_by(erp_id="1")).scalar_one()
        assert session.execute(select(Equipment.company_id).filter_by(erp_id="77")).scalar_one() == matriz_id


def test_erp_changes_to_a_portal_call_go_through_the_call_service(client, db_ctx):
    plain = _token(db_ctx)
    assert push(client, plain, master_data()).status_code == 200
    with db_ctx() as session:
        jayob = session.execute(select(Client).filter_by(erp_id="6")).scalar_one()
        call_id = f.call(jayob, status="A").id
        session.execute(ChangeFeedEntry.__table__.delete())
        session.commit()
    order = dict(company_erp_id="2", client_erp_id="6", status="E", technician_erp_id="T2",
                 opened_at="2026-11-27T14:05:00-03:00", priority_due="2026-11-28T08:00:00-03:00", web_id=call_id)
    response = push(client, plain, [rec("service_order", "605-ERP", **order)])
    assert response.get_json()["updated"] == 1
    with db_ctx() as session:
        call = session.get(ServiceCall, call_id)
        assert (call.erp_id, call.status, call.technician.erp_id) == ("605-ERP", "E", "T2")
        first_due_update = call.priority_updated_at
        assert first_due_update is not None, "a new prazo marks prioridade atualizada"
        change = session.execute(select(CallStatusChange)).scalar_one()
        system_id = session.execute(select(PortalUser.id).filter_by(username=SYSTEM_USERNAME)).scalar_one()
        assert (change.from_status, change.to_status, change.source, change.changed_by_id) == (
            "A", "E", "erp", system_id)
        assert session.execute(select(func.count()).select_from(ChangeFeedEntry)).scalar_one() == 0
    same = push(client, plain, [rec("service_order", "605-ERP", status="E", priority_due="2026-11-28T08:00:00-03:00")])
    assert same.status_code == 200
    with db_ctx() as session:
        call = session.get(ServiceCall, call_id)
        assert call.priority_updated_at == first_due_update, "same prazo: no update mark"
        assert session.execute(select(func.count()).select_from(CallStatusChange)).scalar_one() == 1
    conflicts = push(client, plain, [rec("service_order", "OUTRA-OS", **order),
                                     rec("service_order", "605-ERP", **{**order, "web_id": 999999})])
    assert conflicts.status_code == 422
    assert {(e["erp_id"], e["field"]) for e in conflicts.get_json()["errors"]} == {
        ("OUTRA-OS", "web_id"), ("605-ERP", "web_id")}


def test_erp_changes_to_a_supply_request_go_through_the_supply_service(client, db_ctx):
    plain = _token(db_ctx)
    assert push(client, plain, master_data()).status_code == 200
    with db_ctx() as session:
        jayob = session.execute(select(Client).filter_by(erp_id="6")).scalar_one()
        request = SupplyRequest(company_id=jayob.company_id, client_id=jayob.id)
        session.add(request)
        session.commit()
        request_id = request.id
    response = push(client, plain, [
        {"entity": "supply_request", "op": "upsert", "erp_id": "PED-88",
         "data": {"web_id": request_id, "status": "invoiced", "carrier_erp_id": "TR1",
                  "tracking_code": "BR123", "invoice_number": "000124", "invoice_date": "2026-11-28"}},
        rec("invoice", "NF-3", company_erp_id="2", client_erp_id="6", number="000124",
            issued_at="2026-11-28T09:00:00-03:00", status="authorized", supply_request_web_id=request_id),
    ])
    assert response.status_code == 200, response.get_json()
    with db_ctx() as session:
        request = session.get(SupplyRequest, request_id)
        assert (request.status, request.carrier.erp_id, request.tracking_code, request.invoice_number,
                request.invoice_date) == ("invoiced", "TR1", "BR123", "000124", date(2026, 11, 28))
        assert session.execute(select(Invoice.supply_request_id).filter_by(erp_id="NF-3")).scalar_one() == request_id
        assert session.execute(select(func.count()).select_from(ChangeFeedEntry)).scalar_one() == 0
    refused = push(client, plain, [
        {"entity": "supply_request", "op": "upsert", "data": {"web_id": 999999, "status": "delivered"}},
        {"entity": "supply_request", "op": "upsert", "data": {"web_id": request_id, "status": "enviado"}},
        {"entity": "supply_request", "op": "delete", "erp_id": "PED-88"},
    ])
    assert refused.status_code == 422
    assert {(e["index"], e["field"]) for e in refused.get_json()["errors"]} == {(0, "web_id"), (1, "status"), (2, "op")}


def test_limits_are_413_and_nothing_is_applied(client, db_ctx):
    plain = _token(db_ctx)
    too_many = [rec("equipment_model", str(n), name=f"MODELO {n}") for n in range(MAX_RECORDS + 1)]
    response = push(client, plain, too_many)
    assert response.status_code == 413 and response.is_json
    big = {"batch_id": "grande", "records": [rec("company", "1", name="X", trade_name="Y" * 100)],
           "padding": "x" * MAX_BYTES}
    response = client.post("/api/sync/v1/batch", json=big, headers=bearer(plain))
    assert response.status_code == 413 and response.is_json
    assert push(client, plain, too_many[:MAX_RECORDS]).status_code == 200
    with db_ctx() as session:
        assert session.execute(select(func.count()).select_from(EquipmentModel)).scalar_one() == MAX_RECORDS


def test_bad_or_revoked_token_is_401_and_nothing_is_applied(client, db_ctx):
    with db_ctx():
        token, plain = f.sync_token("ILUX")
        revoked, revoked_plain = f.sync_token("ANTIGO")
        revoked.revoked_at = datetime(2026, 11, 1)
        db.session.commit()
        token_id = token.id
    batch = {"batch_id": "b", "records": [rec("company", "1", name="REVENDA")]}
    for headers in ({}, {"Authorization": plain}, {"Authorization": f"Basic {plain}"},
                    bearer(plain + "x"), bearer("pws_inventado"), bearer(revoked_plain)):
        response = client.post("/api/sync/v1/batch", json=batch, headers=headers)
        assert response.status_code == 401, headers
        assert response.is_json and response.headers["WWW-Authenticate"].startswith("Bearer")
    with db_ctx() as session:
        assert session.execute(select(func.count()).select_from(Company)).scalar_one() == 0
        assert session.get(SyncToken, token_id).last_used_at is None
    assert client.post("/api/sync/v1/batch", json=batch, headers=bearer(plain)).status_code == 200
    with db_ctx() as session:
        assert session.get(SyncToken, token_id).last_used_at is not None


def test_errors_are_json_everywhere(client, db_ctx):
    plain = _token(db_ctx)
    cases = [
        client.post("/api/sync/v1/batch", data="{não é json", headers=bearer(plain)),
        client.post("/api/sync/v1/batch", json=["lista"], headers=bearer(plain)),
        client.post("/api/sync/v1/batch", json={"records": "x"}, headers=bearer(plain)),
        client.get("/api/sync/v1/batch", headers=bearer(plain)),
        client.get("/api/sync/v1/nada", headers=bearer(plain)),
        client.get("/api/sync/v1/changes?after=abc", headers=bearer(plain)),
        client.post("/api/sync/v1/changes/ack", json={"cursor": "x"}, headers=bearer(plain)),
    ]
    assert [r.status_code for r in cases] == [400, 400, 422, 405, 404, 400, 422]
    for response in cases:
        assert response.is_json and response.get_json()["message"]
        assert response.headers["Cache-Control"] == "no-store"
    assert {e["field"] for e in cases[2].get_json()["errors"]} == {"batch_id", "records"}


def test_writes_are_set_based_whatever_the_batch_size(app, client, db_ctx):
    """One statement per entity and step, not one per row: 10 and 300 clients cost the same."""
    plain = _token(db_ctx)
    assert push(client, plain, [rec("company", "1", name="REVENDA")]).status_code == 200

    def statements_for(records):
        seen = []
        with app.app_context():
            engine = db.engine

        def listener(_conn, _cursor, statement, *_args):
            # The token's last use is written when the clock has passed a second since the last
            # push (app.sync.services): the batch's own statements are what is compared.
            if "sync_token" not in statement:
                seen.append(statement)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert push(client, plain, records).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    def clients(start, count):
        return [rec("client", f"c{n}", company_erp_id="1", name=f"CLIENTE {n}", city="Joinville")
                for n in range(start, start + count)]

    assert statements_for(clients(0, 10)) == statements_for(clients(100, 300))
    assert statements_for(clients(0, 10)) == statements_for(clients(100, 300)), "updates too"

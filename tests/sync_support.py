"""Speaking to /api/sync/v1 as a synchronizer written from api.md would."""
import itertools
import uuid

from app.core.db import db
from app.feed.changes import record_change

_ids = itertools.count(1)


def bearer(plain):
    return {"Authorization": f"Bearer {plain}"}


def rec(entity, erp_id, op="upsert", **data):
    record = {"entity": entity, "op": op, "erp_id": erp_id}
    if op == "upsert":
        record["data"] = data
    return record


def push(client, plain, records, batch_id=None):
    return client.post("/api/sync/v1/batch", headers=bearer(plain),
                       json={"batch_id": batch_id or str(uuid.uuid4()), "records": records})


def write_change(app, label, hold=None, inserted=None):
    """One portal transaction: the entry is inserted, then (optionally) held open, then committed."""
    with app.app_context():
        try:
            record_change("contact", "create", data={"label": label})
            db.session.flush()
            if inserted is not None:
                inserted.set()
            if hold is not None:
                assert hold.wait(timeout=30)
            db.session.commit()
        finally:
            db.session.remove()


def changes(client, plain, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return client.get(f"/api/sync/v1/changes?{query}", headers=bearer(plain))


def master_data():
    """One dealer's master data, children before their parents (the API must not care)."""
    return [
        rec("invoice", "NF-1", company_erp_id="1", client_erp_id="6", number="000123", series="1",
            issued_at="2026-11-27T10:00:00-03:00", status="authorized", carrier_erp_id="TR1", total="1234.50"),
        rec("service_order", "1415195", company_erp_id="1", client_erp_id="6", equipment_erp_id="77",
            contract_erp_id="CT-9", defect_erp_id="D3", status="E", technician_erp_id="T2",
            opened_at="2026-11-27T14:05:00-03:00", priority_due="2026-11-28T08:00:00-03:00",
            description="Atolamento de papel na bandeja 2"),
        rec("equipment", "77", serial="U12345", model_erp_id="M8080", client_erp_id="6",
            contract_erp_id="CT-9", asset_tag="PAT-01", department="Financeiro", location="2º andar",
            city="Florianópolis", state="sc"),
        rec("supply_item", "TN3472", name="TONER TN-3472", model_erp_ids=["M8080"]),
        rec("contract", "CT-9", client_erp_id="6", company_erp_id="1", number="9/2026",
            starts_on="2026-01-01", ends_on="2027-12-31", active=True, sla_hours=8),
        rec("client", "6", company_erp_id="2", name="JAYOB COMPANY LTDA", trade_name="JAYOB COMPANY",
            cnpj_cpf="11.444.777/0001-61", parent_erp_id="5", address="Rua Felipe Schmidt, 100",
            district="Centro", zip="88010-000", city="Florianópolis", state="SC", contact_name="Ana",
            phone="(48) 3222-0000", email="ana@jayob.com.br"),
        rec("client", "5", company_erp_id="1", name="JAYOB HOLDING S.A."),
        rec("company", "2", name="REVENDA FILIAL SÃO JOSÉ LTDA", trade_name="REVENDA SÃO JOSÉ",
            cnpj="11.222.333/0002-62", parent_erp_id="1", city="São José", state="SC"),
        rec("company", "1", name="REVENDA MATRIZ LTDA", trade_name="REVENDA", cnpj="11.222.333/0001-81",
            parent_erp_id=None, city="Florianópolis", state="SC"),
        rec("equipment_model", "M8080", name="BROTHER 8080DN", manufacturer="Brother"),
        rec("defect_type", "D3", name="ATOLAMENTO DE PAPEL", category="with_contract"),
        rec("technician", "T2", name="TECNICO02", email="tecnico02@revenda.com.br", phone="(48) 99999-0000",
            active=True),
        rec("carrier", "TR1", name="TRANSPORTES SUL LTDA", document="22.333.444/0001-55",
            email="entregas@transul.com.br", active=True),
    ]

"""ERP ids are opaque: ids that differ only by case or by an accent are different records, on
SQLite and on MariaDB alike (utf8mb4_bin there), through the sync API."""
from sqlalchemy import select

from app.catalog.models import Client, Company
from tests import factories as f
from tests.sync_support import push, rec

VARIANTS = ("AB-1", "ab-1", "áb-1", "ÁB-1", "ab-1\u0301")  # the last: a combining accent (NFD)


def test_ids_differing_by_case_or_accent_are_distinct_records(client, db_ctx):
    with db_ctx():
        plain = f.sync_token()[1]
    records = [rec("company", erp_id, name=f"REVENDA {n}") for n, erp_id in enumerate(VARIANTS)]
    records += [rec("client", f"C-{erp_id}", company_erp_id=erp_id, name=f"CLIENTE {n}")
                for n, erp_id in enumerate(VARIANTS)]
    response = push(client, plain, records)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 2 * len(VARIANTS)

    again = push(client, plain, [rec("company", "ab-1", name="REVENDA MINÚSCULA")])
    assert (again.get_json()["created"], again.get_json()["updated"]) == (0, 1)
    with db_ctx() as session:
        companies = {c.erp_id: c for c in session.execute(select(Company)).scalars()}
        assert sorted(companies) == sorted(VARIANTS)
        assert companies["ab-1"].name == "REVENDA MINÚSCULA" and companies["AB-1"].name == "REVENDA 0"
        for n, erp_id in enumerate(VARIANTS):
            owner = session.execute(select(Client).filter_by(erp_id=f"C-{erp_id}")).scalar_one()
            assert (owner.company_id, owner.name) == (companies[erp_id].id, f"CLIENTE {n}")
        found = session.execute(select(Company).filter_by(erp_id="Ab-1")).scalar_one_or_none()
        assert found is None, "a lookup matches byte for byte"


def test_batch_ids_differing_by_case_are_distinct_batches(client, db_ctx):
    with db_ctx():
        plain = f.sync_token()[1]
    first = push(client, plain, [rec("company", "1", name="REVENDA")], batch_id="Lote-A")
    second = push(client, plain, [rec("company", "2", name="FILIAL")], batch_id="lote-a")
    assert first.status_code == second.status_code == 200
    assert "Idempotent-Replayed" not in second.headers and second.get_json()["created"] == 1

"""Stock Flask-AppBuilder list vs the PWS base list view, side by side, at dealer scale.

    DATABASE_URL=mysql+pymysql://root@127.0.0.1/pws_bench?charset=utf8mb4 \
        python benchmarks/base_lists.py --clients 50000 --equipment 100000 --runs 30

Builds the data once (bulk inserts), then measures the same page — the equipment list as the
admin — served by a stock ModelView and by PWS's EquipmentView, next to the raw SQL answering
the same question. Prints median and p95 latency, queries per request and page size.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import func, insert, select, text

from app import create_app
from app.catalog.models import Client, Company, Equipment, EquipmentModel
from app.core.db import db, refresh_statistics


class StockEquipmentView(ModelView):
    """What FAB generates with no tuning: the baseline."""

    datamodel = SQLAInterface(Equipment)
    route_base = "/bench-stock-equipment"
    list_columns = ["serial", "asset_tag", "model", "client", "contract", "city", "state", "active"]


def build(clients: int, equipment: int) -> None:
    if db.session.scalar(select(func.count()).select_from(Equipment)) >= equipment:
        return
    print(f"building {clients} clients, {equipment} equipment…", flush=True)
    conn = db.session.connection()
    conn.execute(insert(Company), [{"id": 1, "name": "REVENDA MATRIZ LTDA", "erp_id": "b1", "active": True}])
    conn.execute(insert(EquipmentModel), [{"id": i, "name": f"MODELO {i}", "erp_id": f"bm{i}", "active": True}
                                          for i in range(1, 51)])
    chunk = 10000
    for start in range(1, clients + 1, chunk):
        conn.execute(insert(Client), [{"id": i, "company_id": 1, "name": f"CLIENTE {i:06d} LTDA",
                                       "trade_name": f"CLIENTE {i:06d}", "erp_id": f"bc{i}", "active": True,
                                       "city": "Florianópolis", "state": "SC"}
                                      for i in range(start, min(start + chunk, clients + 1))])
    for start in range(1, equipment + 1, chunk):
        conn.execute(insert(Equipment), [{"id": i, "serial": f"SER{i:08d}", "model_id": i % 50 + 1,
                                          "company_id": 1, "client_id": i % clients + 1, "erp_id": f"be{i}",
                                          "active": True, "city": "Florianópolis", "state": "SC"}
                                         for i in range(start, min(start + chunk, equipment + 1))])
    db.session.commit()
    refresh_statistics(db.session)


def measure(client, url, runs, app):
    from tests.querycount import count_queries

    client.get(url)
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        size = len(response.data)
    with count_queries(app) as statements:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements), size


def raw_sql(runs):
    sql = text("SELECT e.id, e.serial, e.asset_tag, m.name, c.name, e.city, e.state, e.active "
               "FROM equipment e LEFT JOIN equipment_model m ON m.id = e.model_id "
               "LEFT JOIN client c ON c.id = e.client_id ORDER BY e.id LIMIT 20")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        db.session.execute(sql).all()
        db.session.execute(text("SELECT count(*) FROM (SELECT id FROM equipment LIMIT 10001) t")).scalar()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50000)
    parser.add_argument("--equipment", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        from flask_appbuilder import Model

        from app.accounts.seeding import sync_roles
        from app.accounts.services import create_user

        Model.metadata.create_all(db.engine)
        app.appbuilder.add_view(StockEquipmentView, "BenchStock", category="Bench")
        sync_roles(app.appbuilder)
        build(args.clients, args.equipment)
        if not db.session.execute(text("SELECT 1 FROM ab_user WHERE email='bench@x.test'")).first():
            create_user(email="bench@x.test", name="Bench", password="bench", profile="Admin Revenda")
        raw = raw_sql(args.runs)
        db.session.remove()
    client = app.test_client()
    client.post("/login/", data={"username": "bench@x.test", "password": "bench"})
    rows = [("SQL puro (mesma pergunta)", *raw, "-", "-")]
    for label, url in (("FAB padrão", "/bench-stock-equipment/list/"), ("PWS", "/equipamentos/list/")):
        rows.append((label, *measure(client, url, args.runs, app)))
    backend = os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
    print(f"\nLista de equipamentos, admin, {args.equipment} equipamentos / {args.clients} clientes ({backend})")
    print("| tela | mediana (ms) | p95 (ms) | consultas | bytes |")
    print("|---|---|---|---|---|")
    for label, median, p95, queries, size in rows:
        print(f"| {label} | {median:.1f} | {p95:.1f} | {queries} | {size} |")


if __name__ == "__main__":
    main()

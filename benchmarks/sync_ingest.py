"""Sync ingest throughput: POST /api/sync/v1/batch against a raw PyMySQL upsert, same MariaDB.

    python benchmarks/sync_ingest.py --database-url 'mysql+pymysql://root@127.0.0.1:3306/pws_bench?charset=utf8mb4'

Uses a scratch database: every table is dropped and created again. Pushes N client records
(default 100,000) in batches of 5,000 through the whole HTTP path (token, JSON, validation,
reference resolution, bulk upsert, batch log), first as an initial load and then as a full
re-push of changed rows, and does the same with ``cursor.executemany("INSERT … ON DUPLICATE
KEY UPDATE …")`` on the same table. Prints a Markdown table for docs/performance.md.
"""
import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_appbuilder import Model
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from app.catalog.models import Client, Company
from app.core.db import db
from app.sync.services import create_token

COLUMNS = ("erp_id", "company_id", "name", "trade_name", "cnpj_cpf", "address", "district", "zip",
           "city", "state", "contact_name", "phone", "email")
CITIES = (("Florianópolis", "SC"), ("São José", "SC"), ("Joinville", "SC"), ("Curitiba", "PR"),
          ("Porto Alegre", "RS"), ("São Paulo", "SP"))


def client_data(n: int, round_: int) -> dict:
    city, state = CITIES[n % len(CITIES)]
    return {"company_erp_id": "1", "name": f"CLIENTE {n:06d} COMERCIO LTDA", "trade_name": f"CLIENTE {n:06d}",
            "cnpj_cpf": f"{n:08d}/0001-{round_:02d}", "address": f"Rua das Flores, {n % 2000}",
            "district": "Centro", "zip": "88010-000", "city": city, "state": state,
            "contact_name": "Maria Souza", "phone": "(48) 3222-0000", "email": f"compras{n}@cliente.com.br"}


def portal_run(client, plain: str, total: int, size: int, round_: int) -> tuple[float, float]:
    bodies = []
    for start in range(0, total, size):
        records = [{"entity": "client", "op": "upsert", "erp_id": str(n), "data": client_data(n, round_)}
                   for n in range(start, min(start + size, total))]
        bodies.append(json.dumps({"batch_id": f"bench-{round_}-{start}", "records": records}).encode())
    headers = {"Authorization": f"Bearer {plain}", "Content-Type": "application/json"}
    began, cpu = time.perf_counter(), time.process_time()
    for body in bodies:
        response = client.post("/api/sync/v1/batch", data=body, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"batch refused: {response.status_code} {response.get_json()}")
    return time.perf_counter() - began, time.process_time() - cpu


def raw_run(url: str, company_id: int, total: int, size: int, round_: int) -> tuple[float, float]:
    import pymysql

    parsed = make_url(url)
    connection = pymysql.connect(host=parsed.host, port=parsed.port or 3306, user=parsed.username,
                                 password=parsed.password or "", database=parsed.database, charset="utf8mb4")
    names = (*COLUMNS, "created_at", "updated_at", "active")
    updates = ", ".join(f"{c} = VALUES({c})" for c in names if c not in ("erp_id", "created_at"))
    sql = f"INSERT INTO client ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "  # nosec B608
    sql += f"ON DUPLICATE KEY UPDATE {updates}"
    rows = []
    for n in range(total):
        data = client_data(n, round_)
        now = datetime.utcnow()
        rows.append((str(n), company_id, *(data[c] for c in COLUMNS[2:]), now, now, True))
    began, cpu = time.perf_counter(), time.process_time()
    with connection.cursor() as cursor:
        for start in range(0, total, size):
            cursor.executemany(sql, rows[start:start + size])
            connection.commit()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    connection.close()
    return elapsed, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a scratch MariaDB database (tables are recreated)")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3, help="median of this many interleaved runs")
    args = parser.parse_args()
    if not args.database_url.startswith("mysql"):
        parser.error("the comparison is against PyMySQL: give a mysql+pymysql:// URL")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        Model.metadata.drop_all(db.engine)
        Model.metadata.create_all(db.engine)
        company = Company(erp_id="1", name="REVENDA MATRIZ LTDA")
        db.session.add(company)
        _token, plain = create_token("benchmark")
        db.session.commit()
        company_id = company.id

    def empty_clients():
        with app.app_context():
            db.session.execute(text("DELETE FROM client"))
            db.session.commit()

    http = app.test_client()
    keys = (("raw", "load"), ("raw", "update"), ("api", "load"), ("api", "update"))
    timings, cpu = {key: [] for key in keys}, {key: [] for key in keys}

    def record(key, run):
        timings[key].append(run[0])
        cpu[key].append(run[1])

    for round_ in range(args.rounds):  # interleaved, so both paths share the machine's mood
        empty_clients()
        record(("raw", "load"), raw_run(args.database_url, company_id, args.records, args.batch_size, 1))
        record(("raw", "update"), raw_run(args.database_url, company_id, args.records, args.batch_size, 2))
        empty_clients()
        record(("api", "load"), portal_run(http, plain, args.records, args.batch_size, 10 * round_ + 1))
        record(("api", "update"), portal_run(http, plain, args.records, args.batch_size, 10 * round_ + 2))
        with app.app_context():
            if db.session.query(Client).count() != args.records:
                raise SystemExit("the API run did not write every client")
    results = {key: statistics.median(values) for key, values in timings.items()}
    batches = -(-args.records // args.batch_size)
    cpu_ms = {key: statistics.median(values) * 1000 / batches for key, values in cpu.items()}

    rate = {key: args.records / seconds for key, seconds in results.items()}
    print(f"{args.records} client records, batches of {args.batch_size}, median of {args.rounds} "
          f"interleaved rounds\n")
    print("| path | initial load (rows/s) | full re-push (rows/s) |")
    print("|---|---:|---:|")
    print(f"| raw PyMySQL executemany INSERT … ON DUPLICATE KEY UPDATE | {rate['raw', 'load']:,.0f} "
          f"| {rate['raw', 'update']:,.0f} |")
    print(f"| POST /api/sync/v1/batch (HTTP, validation, references, batch log) | {rate['api', 'load']:,.0f} "
          f"| {rate['api', 'update']:,.0f} |")
    print(f"| ratio API / raw | {rate['api', 'load'] / rate['raw', 'load']:.0%} "
          f"| {rate['api', 'update'] / rate['raw', 'update']:.0%} |")
    print(f"\nCPU of the benchmark process per batch (ms; the database server's not counted): raw "
          f"{cpu_ms['raw', 'load']:.0f} / {cpu_ms['raw', 'update']:.0f}, API {cpu_ms['api', 'load']:.0f} "
          f"/ {cpu_ms['api', 'update']:.0f} (load / re-push)")


if __name__ == "__main__":
    main()

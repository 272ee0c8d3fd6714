"""Indicadores and Cumprimento do SLA against the raw SQL of their aggregates (issue 21's speed
rule: each chart within 2× its SQL; issue 23: the SLA report ≤ 200 ms at 1M calls).

    DATABASE_URL='mysql+pymysql://root@127.0.0.1:3306/pws_large?charset=utf8mb4' \
        python benchmarks/indicators.py --runs 15

Needs a database loaded by ``flask pws demo`` (its summaries filled: the demo runs
``flask pws rebuild-indicators``). Reads only. For each indicator and profile (Admin Revenda,
Operador de Atendimento, Cliente) it runs PWS's function as that user's request would (his
Principal, his scope), records the statements it sent, and then times, interleaved run by run,
the function and those statements replayed alone on a raw connection (fetching every row).
Prints a markdown table: median and p95 of both, statements, ratio.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import g  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from app import create_app  # noqa: E402
from app.core.db import db, utcnow  # noqa: E402

LOGINS = {
    "admin": "admin@imagemsul.example",
    "atendimento": "atendimento@imagemsul.example",
    "cliente": "cliente@alimentosboavista.example",
}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def cases():
    """(name, function of the filters) for the SLA report and each indicator."""
    from app.calls import queries
    from app.indicators import services

    def sla_report(filters):
        end = filters.end
        return queries.sla_compliance(end.year, end.month, utcnow())

    return [("Cumprimento do SLA (mês)", sla_report),
            ("semanal", services.weekly), ("pendentes", services.backlog),
            ("sla + fora do prazo", services.sla_by_contract), ("tempos (3 tabelas)", services.times),
            ("resumo", services.summary), ("reincidencia", services.repeats),
            ("suprimentos", services.supplies)]


def measure(function, filters, runs: int) -> tuple[int, dict]:
    """The function's statements, then the function and those statements alone, interleaved."""
    statements = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", seen)
    function(filters)
    event.remove(db.engine, "before_cursor_execute", seen)
    raw_connection = db.engine.raw_connection()

    def raw():
        cursor = raw_connection.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        cursor.close()

    timings = {"pws": [], "raw": []}
    try:
        for _ in range(runs):
            for label, call in (("pws", lambda: function(filters)), ("raw", raw)):
                started = time.perf_counter()
                call()
                timings[label].append((time.perf_counter() - started) * 1000)
    finally:
        raw_connection.close()
        db.session.rollback()
    return len(statements), timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--months", type=int, default=12, help="the period: this many months back")
    parser.add_argument("--only", nargs="*", help="these indicators (names as printed), not all")
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)
    from app.accounts.principal import principal_for_user_id
    from app.core.timefmt import to_local
    from app.indicators.services import Filters

    results = []
    with app.app_context():
        users = dict(db.session.execute(text("SELECT email, id FROM ab_user")).all())
        today = to_local(utcnow()).date()
        filters = Filters(start=today - timedelta(days=30 * args.months), end=today)
        for role, email in LOGINS.items():
            principal = principal_for_user_id(users[email])
            for name, function in cases():
                if args.only and name not in args.only:
                    continue
                with app.test_request_context("/indicadores/"):
                    g.pws_principal = principal
                    count, timings = measure(function, filters, args.runs)
                row = {"name": name, "role": role, "statements": count,
                       **{f"{k}_median": statistics.median(v) for k, v in timings.items()},
                       **{f"{k}_p95": percentile(v, 0.95) for k, v in timings.items()}}
                results.append(row)
                print(f"{name} / {role}: PWS {row['pws_median']:.1f} ms, raw {row['raw_median']:.1f} ms",
                      file=sys.stderr, flush=True)
    print(f"\n{args.runs} runs each, interleaved; period {filters.start:%d/%m/%Y}–{filters.end:%d/%m/%Y}\n")
    print("| indicator | role | PWS median / p95 (ms) | statements | raw SQL median / p95 (ms) | PWS / raw |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['name']} | {r['role']} | {r['pws_median']:.1f} / {r['pws_p95']:.1f} | {r['statements']} "
              f"| {r['raw_median']:.1f} / {r['raw_p95']:.1f} | {r['pws_median'] / r['raw_median']:.2f} |")


if __name__ == "__main__":
    main()

"""Every main PWS page and API, side by side with a lean hand-written route and the raw SQL.

    DATABASE_URL='mysql+pymysql://root@127.0.0.1:3306/pws_large?charset=utf8mb4' \
        python benchmarks/pages.py --runs 30

Needs a database loaded by ``flask pws demo`` (the ``large`` scale for the published table).
For each page and role it measures, interleaved run by run so machine noise hits all three
alike: PWS through the Flask test client, the lean route of ``benchmarks/lean.py`` (SQLAlchemy
Core + Jinja, same database, same scope, the user's links and permissions read per request)
through its own test client, and the lean route's SQL alone. Prints a markdown table: median and
p95 latency, SQL statements per request, the ratio PWS / lean.

The sync rows create a token named ``benchmark-pages-…`` and push 100 clients with erp_id
``BENCH-…``; both are removed at the end.

``--controls`` measures every control of every list instead (benchmarks/controls.py): each
sort, filter and first/middle/last page, as each profile that sees the list, and prints the
slowest 20 with the EXPLAIN of their slowest statement.

``--heavy`` measures the pages of the heavy shapes that ``benchmarks/heavy.py`` adds (E-mails
enviados, deep billing pages, the long-thread call) instead of the usual ones; when the change
feed has entries waiting for their number, it first reads the whole backlog as the ERP would
(500 a read) and prints each read's time: that one is measured once, as it drains the backlog.

``--indicators`` measures Indicadores (the whole screen and each chart's CSV, the default
period of twelve months) as Admin Revenda, Operador de Atendimento and Cliente, against the raw
SQL of the statements each request sends, replayed alone: issue 21's rule is within 2× of it.
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sqlalchemy import event, text  # noqa: E402

import controls  # noqa: E402
import lean  # noqa: E402
from controls import percentile  # noqa: E402
from app import create_app, settle  # noqa: E402
from app.core.db import db  # noqa: E402

LOGINS = {
    "admin": "admin@imagemsul.example",
    "atendimento": "atendimento@imagemsul.example",
    "suprimentos": "suprimentos@imagemsul.example",
    "tecnico": "tecnico@imagemsul.example",
    "transportador": "transportador@rodosul.example",
    "cliente": "cliente@alimentosboavista.example",
    "faturamento": "faturamento@alimentosboavista.example",
}
BATCH_SIZE = 100


class Counter:
    """SQL statements sent through one engine while armed."""

    def __init__(self, engine):
        self.count, self.armed = 0, False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args):
        if self.armed:
            self.count += 1

    def measure(self, call):
        self.count, self.armed = 0, True
        try:
            call()
        finally:
            self.armed = False
        return self.count


def samples(conn):
    """Values that make each filtered page return rows on whatever data was loaded."""
    one = lambda sql, **kw: conn.execute(text(sql), kw).scalar()  # noqa: E731
    client_user = one("SELECT id FROM ab_user WHERE email = :e", e=LOGINS["cliente"])
    return {
        "company": one("SELECT id FROM company ORDER BY id DESC LIMIT 1"),
        "company_erp": one("SELECT erp_id FROM company ORDER BY id LIMIT 1"),
        "serial": one("SELECT left(serial, 4) FROM equipment ORDER BY id DESC LIMIT 1"),
        "technician": one("SELECT left(name, 6) FROM technician WHERE active = 1 ORDER BY id DESC LIMIT 1"),
        "call": one("SELECT max(c.id) FROM service_call c JOIN user_client uc ON uc.client_id = c.client_id "
                    "WHERE uc.user_id = :u", u=client_user),
    }


def heavy_samples(conn, s):
    """The heavy shapes' rows: the long-thread call, the billing user's last page, search words."""
    one = lambda sql, **kw: conn.execute(text(sql), kw).scalar()  # noqa: E731
    billing_user = one("SELECT id FROM ab_user WHERE email = :e", e=LOGINS["faturamento"])
    files = one(f"SELECT count(*) FROM (SELECT 1 FROM billing_file b JOIN user_client uc ON uc.client_id = "
                f"b.client_id WHERE uc.user_id = :u LIMIT {lean.CAP}) t", u=billing_user)
    all_files = one(f"SELECT count(*) FROM (SELECT 1 FROM billing_file LIMIT {lean.CAP}) t")
    newest = conn.execute(text("SELECT subject, recipients FROM outbox_message ORDER BY id DESC LIMIT 1")).first()
    return {**s, "subject_term": next((w for w in (newest[0] if newest else "").split() if w.isdigit()), "zzz"),
            "recipient_term": newest[1] if newest else "zzz",
            "thread": one("SELECT max(id) FROM service_call WHERE erp_id LIKE 'HEAVY-THREAD%'"),
            "billing_last": max(1, math.ceil(files / lean.PAGE)),
            "billing_all_last": max(1, math.ceil(all_files / lean.PAGE)),
            "outbox_last": max(1, math.ceil(one(f"SELECT count(*) FROM (SELECT 1 FROM outbox_message "
                                                 f"LIMIT {lean.CAP}) t") / lean.PAGE))}


def heavy_cases(s, common_words=False):
    """The heavy shapes (issue 25): (page, role, PWS request, lean request)."""
    last = s["outbox_last"]
    rows = [("outbox", "admin", "/emails/list/", "/lean/outbox"),
            ("outbox last page", "admin", f"/emails/list/?page_OutboxView={last - 1}", f"/lean/outbox?pagina={last}"),
            ("outbox by sent date", "admin", "/emails/list/?_oc_OutboxView=sent_at&_od_OutboxView=desc",
             "/lean/outbox?ordem=sent_at"),
            ("outbox failed", "admin", "/emails/list/?situacao=failed", "/lean/outbox?situacao=failed"),
            ("outbox subject contém", "admin", f"/emails/list/?_flt_0_subject={s['subject_term']}",
             f"/lean/outbox?assunto={s['subject_term']}"),
            ("outbox recipient contém", "admin", f"/emails/list/?_flt_1_recipients={s['recipient_term']}",
             f"/lean/outbox?destinatario={s['recipient_term']}")]
    if common_words:  # a word in a quarter of the subjects, a first name in one address of 18
        rows += [("outbox subject contém a common word", "admin", "/emails/list/?_flt_0_subject=atendimento",
                  "/lean/outbox?assunto=atendimento"),
                 ("outbox recipient contém a common name", "admin", "/emails/list/?_flt_1_recipients=natalia",
                  "/lean/outbox?destinatario=natalia")]
    rows += [("billing list", role, "/faturamento/list/", "/lean/billing") for role in ("admin", "faturamento")]
    rows += [("billing last page", "admin", f"/faturamento/list/?page_BillingFileView={s['billing_all_last'] - 1}",
              f"/lean/billing?pagina={s['billing_all_last']}"),
             ("billing last page", "faturamento", f"/faturamento/list/?page_BillingFileView={s['billing_last'] - 1}",
              f"/lean/billing?pagina={s['billing_last']}")]
    if s["thread"]:
        rows += [("long-thread call detail", role, f"/chamados/show/{s['thread']}", f"/lean/chamado/{s['thread']}")
                 for role in ("admin", "cliente")]
    return rows


def indicator_pages(app, runs: int, only: str | None = None) -> None:
    """Indicadores' screen and CSVs per profile: PWS's request against its statements replayed
    on a raw connection (fetching every row), interleaved run by run."""
    from app.indicators.services import INDICATORS

    with app.app_context():
        engine = db.engine
    raw_connection = engine.raw_connection()
    print("| page | role | PWS median / p95 (ms) | statements | raw SQL median / p95 (ms) | PWS / raw |")
    print("|---|---|---:|---:|---:|---:|")
    for role in ("admin", "atendimento", "cliente"):
        client = app.test_client()
        controls.log_in(app, client, LOGINS[role])
        pages = [("Indicadores", "/indicadores/")] + [(f"CSV {key}", f"/indicadores/csv/{key}") for key in INDICATORS]
        for page, url in pages:
            if only and only not in page:
                continue
            statements = []

            def seen(_conn, _cursor, statement, parameters, _context, _many):
                statements.append((statement, parameters))
            event.listen(engine, "before_cursor_execute", seen)
            status = client.get(url).status_code
            event.remove(engine, "before_cursor_execute", seen)
            if status != 200:
                print(f"skip {page} as {role}: {status}", file=sys.stderr)
                continue

            def raw():
                cursor = raw_connection.cursor()
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                cursor.close()
            timings = {"pws": [], "raw": []}
            for _ in range(runs):
                for label, call in (("pws", lambda: client.get(url)), ("raw", raw)):
                    started = time.perf_counter()
                    call()
                    timings[label].append((time.perf_counter() - started) * 1000)
            pws, mine = statistics.median(timings["pws"]), statistics.median(timings["raw"])
            print(f"| {page} | {role} | {pws:.1f} / {percentile(timings['pws'], 0.95):.1f} | {len(statements)} "
                  f"| {mine:.1f} / {percentile(timings['raw'], 0.95):.1f} | {pws / mine:.2f} |", flush=True)
    raw_connection.close()


def drain_backlog(app, client, bearer):
    """Read the feed's unnumbered backlog to its end, 500 a read, as the ERP would; one timing a read."""
    from app.feed.changes import feed_state, unsequenced_count

    with app.app_context():
        waiting = unsequenced_count()
        cursor = feed_state()[0]
    if not waiting:
        return
    timings, read = [], 0
    while True:
        started = time.perf_counter()
        body = client.get(f"/api/sync/v1/changes?after={cursor}&limit=500", headers=bearer).get_json()
        timings.append((time.perf_counter() - started) * 1000)
        read += len(body["changes"])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    print(f"\nchange feed backlog of {waiting:,} unnumbered entries, read 500 at a time: {len(timings)} reads, "
          f"{read:,} changes; first read {timings[0]:.0f} ms, median {statistics.median(timings):.0f} ms, "
          f"p95 {percentile(timings, 0.95):.0f} ms, max {max(timings):.0f} ms, all {sum(timings) / 1000:.1f} s")


def cases(s):
    """(page, role, PWS request, lean request): requests are (method, url, body)."""
    calls = [("calls", "/chamados/list/", "/lean/calls"),
             ("calls by company", "/chamados/list/", "/lean/calls"),
             ("calls by status", "/chamados/list/?status=E", "/lean/calls?status=E"),
             ("calls by série prefix", f"/chamados/list/?serie={s['serial']}", f"/lean/calls?serie={s['serial']}"),
             ("calls by technician", f"/chamados/list/?tecnico={s['technician']}",
              f"/lean/calls?tecnico={s['technician']}")]
    rows = [("dashboard", role, "/", "/lean/dashboard") for role in ("admin", "atendimento", "cliente")]
    rows += [("monitoring", role, "/monitoramento/", "/lean/monitoring") for role in ("admin", "atendimento")]
    for page, pws, mine in calls:
        roles = ("admin@company", "atendimento@company") if page == "calls by company" else (
            ("admin", "atendimento") if page == "calls by technician" else ("admin", "atendimento", "cliente"))
        rows += [(page, role, pws, mine) for role in roles]
    rows += [("call detail", role, f"/chamados/show/{s['call']}", f"/lean/chamado/{s['call']}")
             for role in ("admin", "atendimento", "cliente")]
    rows += [("supply list", role, "/suprimentos/acompanhar/list/", "/lean/supplies")
             for role in ("admin", "suprimentos", "cliente")]
    rows += [("billing list", role, "/faturamento/list/", "/lean/billing") for role in ("admin", "faturamento")]
    rows += [("carrier list", role, "/entregas/list/", "/lean/carrier") for role in ("admin", "transportador")]
    rows += [("attendances list", role, "/atendimentos/list/", "/lean/attendances")
             for role in ("admin", "atendimento", "tecnico")]
    rows += [("SLA report", role, "/chamados/sla/", "/lean/sla") for role in ("admin", "atendimento")]
    rows += [("app my orders", "tecnico", "/api/v1/tecnico/chamados", "/lean/my_orders")]
    rows += [("sync batch (100 clients)", "sync token", "/api/sync/v1/batch", "/lean/sync/batch"),
             ("change feed (500)", "sync token", "/api/sync/v1/changes?after=0&limit=500",
              "/lean/sync/changes?after=0&limit=500")]
    return rows


def sync_body(s):
    records = [{"entity": "client", "op": "upsert", "erp_id": f"BENCH-{n:04d}",
                "data": {"company_erp_id": s["company_erp"], "name": f"CLIENTE BENCHMARK {n:04d} LTDA",
                         "trade_name": f"BENCHMARK {n:04d}", "city": "Florianópolis", "state": "SC"}}
               for n in range(BATCH_SIZE)]
    return {"batch_id": str(uuid.uuid4()), "records": records}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", help="measure only pages whose name contains this")
    parser.add_argument("--sql", action="store_true", help="print PWS's statements of each page")
    parser.add_argument("--heavy", action="store_true", help="the heavy shapes of benchmarks/heavy.py")
    parser.add_argument("--common-words", action="store_true",
                        help="with --heavy: also search the outbox for words in many rows (slow)")
    parser.add_argument("--controls", action="store_true",
                        help="every list x sort x filter x page x profile (benchmarks/controls.py)")
    parser.add_argument("--indicators", action="store_true",
                        help="Indicadores' screen and CSVs against the raw SQL of their statements")
    parser.add_argument("--slowest", type=int, default=20, help="with --controls: how many to print")
    parser.add_argument("--profile", help="with --controls: only the controls as this profile (its name)")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    app = settle(create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}))  # as run.py
    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)
    if args.indicators:
        indicator_pages(app, args.runs, args.only)
        return
    if args.controls:
        with app.app_context():
            engine = db.engine
        controls.run(app, engine, args.runs, args.only, args.slowest, args.profile)
        return
    lean_app = lean.create_lean_app(url, static_folder=str(ROOT / "app" / "static"))
    lean_engine = lean_app.extensions["lean_engine"]
    with app.app_context():
        from app.sync.services import create_token

        s = samples(db.session)
        if args.heavy:
            s = heavy_samples(db.session, s)
        users = dict(db.session.execute(text("SELECT email, id FROM ab_user")).all())
        token_name = f"benchmark-pages-{uuid.uuid4().hex[:8]}"
        _token, plain = create_token(token_name)
        db.session.commit()
        pws_counter = Counter(db.engine)
    lean_counter = Counter(lean_engine)
    bearer = {"Authorization": f"Bearer {plain}"}

    pws_clients, lean_clients = {}, {}

    def clients_for(role):
        if role in pws_clients:
            return pws_clients[role], lean_clients[role]
        pws, mine = app.test_client(), lean_app.test_client()
        if role != "sync token":
            name, _, scope = role.partition("@")
            controls.log_in(app, pws, LOGINS[name])
            query = f"?empresa={s['company']}" if scope else ""
            mine.get(f"/lean/login/{users[LOGINS[name]]}{query}")
            if scope:
                pws.post("/empresa/selecionar", data={"company_id": s["company"]})
        pws_clients[role], lean_clients[role] = pws, mine
        return pws, mine

    def request(client, path, role, page):
        if page.startswith("sync batch"):
            return client.post(path, json=sync_body(s), headers=bearer)
        return client.get(path, headers=bearer if role == "sync token" else None)

    def raw_sql(path, role):
        """The lean route's SQL without the request around it (no user, no rendering)."""
        name, _, scope = role.partition("@")
        with lean_engine.connect() as conn:
            principal = None if role == "sync token" else lean.load_principal(
                conn, users[LOGINS[name]], s["company"] if scope else None)
        route = path.split("?")[0].removeprefix("/lean/")
        query = path.partition("?")[2]

        def run():
            with lean_app.test_request_context(path.split("?")[0], method="POST" if "batch" in path else "GET",
                                               json=sync_body(s) if "batch" in path else None,
                                               query_string=query), lean_engine.connect() as conn:
                if route == "sync/changes":
                    lean.changes(conn)
                elif route == "sync/batch":
                    lean.batch(conn)
                elif route.startswith("chamado/"):
                    lean.call_detail(conn, principal, int(route.split("/")[1]))
                else:
                    lean.PAGES[route](conn, principal)
        return run

    if args.heavy:
        drain_backlog(app, app.test_client(), bearer)
    results = []
    for page, role, pws_path, lean_path in (heavy_cases(s, args.common_words) if args.heavy else cases(s)):
        if args.only and args.only not in page:
            continue
        pws, mine = clients_for(role)
        status = request(pws, pws_path, role, page).status_code
        if status != 200:
            print(f"skip {page} as {role}: PWS answered {status}", file=sys.stderr)
            continue
        assert request(mine, lean_path, role, page).status_code == 200, (page, role)
        raw = raw_sql(lean_path, role)
        raw()
        pws_queries = pws_counter.measure(lambda: request(pws, pws_path, role, page))
        lean_queries = lean_counter.measure(lambda: request(mine, lean_path, role, page))
        if args.sql:
            with app.app_context():
                statements = []

                def seen(*a):
                    statements.append(a[2])
                event.listen(db.engine, "before_cursor_execute", seen)
                request(pws, pws_path, role, page)
                event.remove(db.engine, "before_cursor_execute", seen)
                print(f"\n-- {page} as {role}\n" + ";\n".join(statements))
        timings = {"pws": [], "lean": [], "raw": []}
        for _ in range(args.runs):
            for label, call in (("pws", lambda: request(pws, pws_path, role, page)),
                                ("lean", lambda: request(mine, lean_path, role, page)),
                                ("raw", raw)):
                started = time.perf_counter()
                call()
                timings[label].append((time.perf_counter() - started) * 1000)
        row = {"page": page, "role": role, "pws_queries": pws_queries, "lean_queries": lean_queries,
               **{f"{k}_median": statistics.median(v) for k, v in timings.items()},
               **{f"{k}_p95": percentile(v, 0.95) for k, v in timings.items()}}
        results.append(row)
        print(f"{page} / {role}: PWS {row['pws_median']:.1f} ms, lean {row['lean_median']:.1f} ms",
              file=sys.stderr, flush=True)

    with app.app_context():
        db.session.execute(text("DELETE FROM sync_batch WHERE token_id IN "
                                "(SELECT id FROM sync_token WHERE name = :n)"), {"n": token_name})
        db.session.execute(text("DELETE FROM sync_token WHERE name = :n"), {"n": token_name})
        db.session.execute(text("DELETE FROM client WHERE erp_id LIKE 'BENCH-%'"))
        db.session.commit()

    backend = url.split(":")[0]
    print(f"\n{backend}, {args.runs} runs per page, interleaved\n")
    print("| page | role | PWS median / p95 (ms) | PWS queries | lean median / p95 (ms) | lean queries "
          "| PWS / lean | raw SQL median (ms) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['page']} | {r['role']} | {r['pws_median']:.1f} / {r['pws_p95']:.1f} | {r['pws_queries']} "
              f"| {r['lean_median']:.1f} / {r['lean_p95']:.1f} | {r['lean_queries']} "
              f"| {r['pws_median'] / r['lean_median']:.2f} | {r['raw_median']:.1f} |")


if __name__ == "__main__":
    main()

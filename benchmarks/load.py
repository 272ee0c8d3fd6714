"""Load run: PWS and the lean reference app on the same gunicorn, bounded, on loopback.

    DATABASE_URL='mysql+pymysql://root@127.0.0.1:3306/pws_large?charset=utf8mb4' \
        python benchmarks/load.py --clients 10 --seconds 30

Starts gunicorn with the recommended worker count for a 2-core server (5 sync workers =
2 × cores + 1) on 127.0.0.1, first with PWS (``run:app``), then with the lean app of
``benchmarks/lean.py``; each time ``--clients`` threads, each a logged-in session (admin,
operator or client in turn), request a mix of pages for ``--seconds``. Then the same clients
hit a bare Flask route (``/lean/bare``: no database) on the same gunicorn, the ceiling of the
stack. Prints requests/s, median and p95 latency, errors and the ratio PWS / lean.

``--mixed`` runs PWS alone with reads and writes: the client sessions open calls through the real
form (every hidden field of the page posted back: CSRF and form tokens) and read the call and the
list; the dealer's sessions read lists and the dashboard. It then checks that every call answered
as opened is in the database once with one change-feed entry.
Plain urllib: no load tool to install.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKERS = 5  # 2 × cores + 1 on the 2-core reference server
LOGINS = ("admin@imagemsul.example", "atendimento@imagemsul.example", "cliente@alimentosboavista.example")
PASSWORD = "senha-demo"
WARM_UP = 10  # seconds: gunicorn accepts connections before its workers have loaded the app
PWS_MIX = ("/", "/chamados/list/", "/chamados/list/?status=E", "/suprimentos/acompanhar/list/",
           "/atendimentos/list/", "/chamados/list/?pagina=2")
OPEN_FORM = "/chamados/abrir/?equipamento={equipment}"
LEAN_MIX = ("/lean/dashboard", "/lean/calls", "/lean/calls?status=E", "/lean/supplies",
            "/lean/attendances", "/lean/calls?pagina=2")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(target: str, port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(GUNICORN), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(process.stderr.read().decode()) from None
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"gunicorn did not start: {target}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def opener(jar=None, *handlers):
    """A session: urllib with a cookie jar (``session.jar``, shared with a second opener when given)."""
    jar = jar if jar is not None else http.cookiejar.CookieJar()
    session = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), *handlers)
    session.jar = jar
    return session


def pws_session(base: str, email: str):
    session = opener()
    form = session.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": email, "password": PASSWORD, "csrf_token": token}).encode()
    session.open(f"{base}/login/", data=data).read()
    return session


def hidden_fields(html: str) -> dict:
    """Every hidden input of the page's form (CSRF token, one-time form token…)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def open_call(base: str, session, equipment: int) -> int | None:
    """GET the form, POST it back with the first defect it offers; the new call's number from the
    redirect, None when refused."""
    url = base + OPEN_FORM.format(equipment=equipment)
    form = session.open(url, timeout=30).read().decode()
    select = re.search(r'<select[^>]*name="defect_type".*?</select>', form, re.S).group(0)
    defect = next(v for v in re.findall(r'<option[^>]*value="(\d+)"', select) if v != "0")
    data = {**hidden_fields(form), "defect_type": defect, "description": "Atolando papel na bandeja 2",
            "contact_name": "Luciano Peçanha", "contact_phone": "(48) 3028-1348", "contact_email": LOGINS[2]}
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())
    try:
        opener(session.jar, NoRedirect()).open(request, timeout=30).read()
    except urllib.error.HTTPError as answer:
        if answer.code == 302 and "/chamados/show/" in answer.headers.get("Location", ""):
            return int(answer.headers["Location"].rsplit("/", 1)[1])
        raise
    return None


def lean_session(base: str, email: str, user_ids: dict):
    session = opener()
    session.open(f"{base}/lean/login/{user_ids[email]}").read()
    return session


def drive(base: str, sessions: list, mix: tuple, seconds: float, writers: dict | None = None) -> dict:
    """Each session in its own thread until the time is up: it requests the mix in turn, or, for
    a writer (``writers``: session index → its equipment), opens a call and reads it and the
    list. Latency counts every request, the opening's GET and POST included."""
    writers = writers or {}
    latencies, errors, opened = [], [0], []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def timed(call):
        started = time.perf_counter()
        result = call()
        return result, (time.perf_counter() - started) * 1000

    def read(session, path):
        with session.open(base + path, timeout=30) as response:
            response.read()

    def client(index, session):
        n, mine, failed, calls = index, [], 0, []
        while time.monotonic() < stop_at:
            try:
                if index in writers:
                    number, ms = timed(lambda: open_call(base, session, writers[index]))
                    mine += [ms / 2, ms / 2]  # two requests: the form and its POST
                    if number is None:
                        failed += 1
                        continue
                    calls.append(number)
                    paths = (f"/chamados/show/{number}", "/chamados/list/")
                else:
                    paths = (mix[n % len(mix)],)
                    n += 1
                for path in paths:
                    mine.append(timed(lambda p=path: read(session, p))[1])
            except (urllib.error.URLError, OSError):
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed
            opened.extend(calls)

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    ordered = sorted(latencies) or [0.0]
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "median": statistics.median(ordered),
            "p95": ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], "errors": errors[0], "opened": opened}


def writer_equipment(url: str) -> int:
    """An equipment of the demo client's."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        equipment = conn.execute(text(
            "SELECT e.id FROM equipment e JOIN user_client uc ON uc.client_id = e.client_id "
            "JOIN ab_user u ON u.id = uc.user_id WHERE u.email = :email ORDER BY e.id LIMIT 1"),
            {"email": LOGINS[2]}).scalar_one()
    engine.dispose()
    return equipment


def consistency(url: str, opened: list) -> str:
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT COUNT(*) FROM service_call WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)), {"ids": opened or [0]}).scalar_one()
        fed = conn.execute(text("SELECT COUNT(*) FROM change_feed WHERE entity = 'service_order' "
                                "AND op = 'create' AND web_id IN :ids").bindparams(
            bindparam("ids", expanding=True)), {"ids": opened or [0]}).scalar_one()
    engine.dispose()
    return (f"{len(opened)} calls answered as opened, {len(set(opened))} distinct, {stored} stored, "
            f"{fed} in the change feed")


def mixed(args, url: str, env: dict) -> None:
    equipment = writer_equipment(url)
    port = free_port()
    process = start("run:app", port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        sessions = [pws_session(base, LOGINS[i % len(LOGINS)]) for i in range(args.clients)]
        writers = {i: equipment for i in range(args.clients) if i % len(LOGINS) == 2}
        drive(base, sessions, PWS_MIX, WARM_UP)
        result = drive(base, sessions, PWS_MIX, args.seconds, writers)
    finally:
        stop(process)
    print(f"\ngunicorn {WORKERS} sync workers, {args.clients} sessions ({len(writers)} opening calls), "
          f"{args.seconds:.0f} s, loopback\n")
    print("| requests | requests/s | median (ms) | p95 (ms) | errors |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {result['requests']} | {result['rps']:.1f} | {result['median']:.1f} | {result['p95']:.1f} "
          f"| {result['errors']} |")
    print("\n" + consistency(url, result["opened"]))


def user_ids(url: str) -> dict:
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT email, id FROM ab_user WHERE email IN :e").bindparams(
            bindparam("e", expanding=True)), {"e": list(LOGINS)}).all()
    engine.dispose()
    return dict(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--mixed", action="store_true", help="PWS alone, clients opening calls while others read")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'benchmarks'}",
           "RATELIMIT_ENABLED": "false", "PWS_BASE_URL": "http://127.0.0.1"}
    if args.mixed:
        mixed(args, url, env)
        return
    ids = user_ids(url)
    results = {}

    port = free_port()
    process = start("run:app", port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        sessions = [pws_session(base, LOGINS[i % len(LOGINS)]) for i in range(args.clients)]
        drive(base, sessions, PWS_MIX, WARM_UP)  # every worker booted, its caches filled
        results["PWS"] = drive(base, sessions, PWS_MIX, args.seconds)
    finally:
        stop(process)

    port = free_port()
    process = start("lean:create_lean_app()", port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        sessions = [lean_session(base, LOGINS[i % len(LOGINS)], ids) for i in range(args.clients)]
        drive(base, sessions, LEAN_MIX, WARM_UP)
        results["lean"] = drive(base, sessions, LEAN_MIX, args.seconds)
        results["bare Flask route"] = drive(base, sessions, ("/lean/bare",), args.seconds)
    finally:
        stop(process)

    print(f"\ngunicorn {WORKERS} sync workers, {args.clients} clients, {args.seconds:.0f} s each, loopback\n")
    print("| app | requests | requests/s | median (ms) | p95 (ms) | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['requests']} | {r['rps']:.1f} | {r['median']:.1f} | {r['p95']:.1f} | {r['errors']} |")
    print(f"\nPWS / lean requests/s: {results['PWS']['rps'] / results['lean']['rps']:.0%}")


if __name__ == "__main__":
    main()

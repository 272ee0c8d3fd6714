"""Every control of every list, from the views' own declarations (``pages.py --controls``).

For each generated list (a PortalModelView's list route) and the calls list, as each profile
that may read it: each sort it offers (both ways) on its first, middle and last page, and each
filter of its search form on the first page. Nothing here is a hand-kept list of pages: a new
list, sort, filter or profile appears in the enumeration by being declared on the view (a test
keeps this in step, tests/test_list_controls.py).
"""
from __future__ import annotations

import math
import re
import statistics
import sys
import time
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import event

from app.accounts import roles
from app.calls import queries as call_queries
from app.calls.models import CallStatus
from app.core.views import BoundedLists, list_sort_plans
from app.lgpd import consent

# The demo's login for each profile (docs/demo.md).
PROFILE_LOGINS = {
    roles.ADMIN: "admin@imagemsul.example",
    roles.ATTENDANCE_OPERATOR: "atendimento@imagemsul.example",
    roles.CALLS_OPERATOR: "chamados@imagemsul.example",
    roles.SUPPLIES_OPERATOR: "suprimentos@imagemsul.example",
    roles.LOGISTICS_OPERATOR: "logistica@imagemsul.example",
    roles.TECHNICIAN: "tecnico@imagemsul.example",
    roles.CARRIER: "transportador@rodosul.example",
    roles.CLIENT: "cliente@alimentosboavista.example",
    roles.CALL_OPENER: "abertura@alimentosboavista.example",
    roles.BILLING_OPERATOR: "faturamento@alimentosboavista.example",
}
# What a user types in a text filter, by kind of input.
TYPED = {"text": "SIL", "number": "1", "date": "2026-01-01"}


@dataclass(frozen=True)
class Control:
    """One click: a list, what is clicked (sort, filter, page), as whom, and its URL (the page
    part is resolved against the data: ``page`` is "first", "middle" or "last")."""

    list: str
    control: str
    profile: str
    url: str
    page: str = "first"
    page_arg: str = ""


def log_in(app, client, email: str) -> None:
    """Log in, and confirm the current LGPD documents as each user does once, at his first
    login: until then every page carries the consent panel (3.5 of the calls list's 9 ms), which
    the lean reference does not have. The decisions stay, as a user's do."""
    client.post("/login/", data={"username": email, "password": "senha-demo"})
    with app.app_context():
        documents = consent.current_document_ids()
    client.post("/lgpd/consentimento", data={"documento": [str(pk) for pk in sorted(documents)]})


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def readers(resource: str) -> list[str]:
    """The profiles that may read ``resource`` (Admin Revenda reads everything)."""
    return [roles.ADMIN] + [profile.name for profile in roles.PROFILES
                            if roles.READ in profile.grants.get(resource, ())]


def generated_lists(app) -> list:
    """The generated lists: every view with FAB's list route behind BoundedLists."""
    return [view for view in app.appbuilder.baseviews
            if isinstance(view, BoundedLists) and "list" not in (view.exclude_route_methods or ())]


def _filter_args(view, samples: dict) -> list[tuple[str, str]]:
    """(label, query string) for each input of the list's search form."""
    args = []
    fields = getattr(view, "filter_fields", ())
    if fields:
        for field in fields:
            value = str(field.choices[0][0]) if field.kind == "select" and field.choices else TYPED[field.kind]
            args.append((f"{field.column}[{field.index}]={value}", f"{field.param}={value}"))
        return args
    for column, filters in view._filters.get_search_filters().items():
        value = samples.get((view.datamodel.obj.__name__, column), TYPED["text"])
        for index, flt in enumerate(filters):
            args.append((f"{column} {flt.arg_name}={value}", f"_flt_{index}_{column}={value}"))
    return args


def enumerate_controls(app, samples: dict | None = None) -> list[Control]:
    """Every control of every list, as every profile that sees the list."""
    samples = samples or {}
    controls = []
    with app.test_request_context():
        for view in generated_lists(app):
            name = type(view).__name__
            base = url_for(f"{view.endpoint}.list")
            page_arg = f"page_{name}"
            clicks = []
            for column in list_sort_plans(view):
                for direction in ("asc", "desc"):
                    query = f"_oc_{name}={column}&_od_{name}={direction}"
                    clicks += [(f"sort {column} {direction}", query, page) for page in ("first", "middle", "last")]
            clicks += [(f"filter {label}", query, "first") for label, query in _filter_args(view, samples)]
            for profile in readers(view.class_permission_name):
                controls += [Control(name, control, profile, f"{base}?{query}", page, page_arg)
                             for control, query, page in clicks]
        base = url_for("CallView.list")
        clicks = [(f"sort {sort}", f"ordem={sort}", page) for sort in call_queries.SORTS
                  for page in ("first", "middle", "last")]
        for name in (*call_queries.PREFIX_FILTERS, "numero"):
            for value in samples.get(("calls", name), [TYPED["text"]]):
                clicks.append((f"filter {name}={value}", f"{name}={value}", "first"))
        for status in CallStatus.ALL:
            clicks += [(f"filter status={status} sort {sort}", f"status={status}&ordem={sort}", "first")
                       for sort in call_queries.SORTS]
        clicks.append(("filter de/ate (one month)", "de=2026-01-01&ate=2026-01-31", "first"))
        for profile in readers("ServiceCall"):
            controls += [Control("CallView", control, profile, f"{base}?{query}", page, "pagina")
                         for control, query, page in clicks]
    return controls


def data_samples(conn, app) -> dict:
    """Values each filter is tried with, taken from the loaded data: a search column's value in
    the newest row (three characters of a text), and for the calls list a rare and a common
    prefix of each searched field (a série prefix of 4 characters and of 2, a client's whole
    first word and its first letter)."""
    from sqlalchemy import String, func, select

    samples = {}
    for view in generated_lists(app):
        model = view.datamodel.obj
        for column in view.search_columns or ():
            attribute = model.__table__.c.get(column)
            if attribute is None:
                continue
            value = conn.execute(select(attribute).where(attribute.is_not(None))
                                 .order_by(model.__table__.c.id.desc()).limit(1)).scalar()
            if value is not None:
                samples[(model.__name__, column)] = (str(value)[:3] if isinstance(attribute.type, String)
                                                     else str(value)[:10])
    from app.calls.models import ServiceCall
    from app.catalog.models import Client, Contract, Equipment, Technician

    def newest(column, length):
        return conn.execute(select(func.left(column, length)).order_by(column.table.c.id.desc()).limit(1)).scalar()

    common_serial = conn.execute(select(func.left(Equipment.serial, 2)).group_by(func.left(Equipment.serial, 2))
                                 .order_by(func.count().desc()).limit(1)).scalar()
    client_word = (conn.execute(select(Client.name).order_by(Client.id.desc()).limit(1)).scalar() or "A").split()[0]
    samples.update({
        ("calls", "serie"): [newest(Equipment.serial, 4), common_serial],
        ("calls", "cliente"): [client_word, client_word[0]],
        ("calls", "contrato"): [newest(Contract.number, 4)],
        ("calls", "tecnico"): [newest(Technician.name, 6)],
        ("calls", "numero"): [str(conn.execute(select(func.max(ServiceCall.id))).scalar())],
    })
    return samples


LAST_PAGE = {  # the last page a list's first page links to
    "pagina": re.compile(r"Página \d+ de (?:mais de )?(\d+)"),
}


def last_page(html: str, page_arg: str) -> int:
    """The last page the first page offers: FAB's "»" link (0-based), the calls' "de N"."""
    if page_arg == "pagina":
        match = LAST_PAGE["pagina"].search(html)
        return int(match[1]) if match else 1
    numbers = [int(n) for n in re.findall(re.escape(page_arg) + r"=(\d+)", html)]
    return max(numbers, default=0)


def resolve_pages(controls, get) -> list[Control]:
    """Each control's URL with its page: the first page's own links say where the last one is."""
    resolved, lasts = [], {}
    for control in controls:
        if control.page == "first":
            resolved.append(control)
            continue
        key = (control.profile, control.url)
        if key not in lasts:
            lasts[key] = last_page(get(control.profile, control.url).get_data(as_text=True), control.page_arg)
        last = lasts[key]
        number = last if control.page == "last" else max(last // 2, 1 if control.page_arg == "pagina" else 0)
        resolved.append(Control(control.list, control.control, control.profile,
                                f"{control.url}&{control.page_arg}={number}", control.page, control.page_arg))
    return resolved


class Statements:
    """The statements one request sends, each with its time and its SQL with the values in."""

    def __init__(self, engine):
        self.seen, self.armed = [], False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["pws_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.armed:
            elapsed = (time.perf_counter() - conn.info.pop("pws_started")) * 1000
            literal = cursor.mogrify(statement, parameters) if hasattr(cursor, "mogrify") else statement
            self.seen.append((elapsed, literal))

    def record(self, call, *args):
        """``call(*args)``'s answer and the statements it sent."""
        self.seen, self.armed = [], True
        try:
            answer = call(*args)
        finally:
            self.armed = False
        return answer, list(self.seen)


def run(app, engine, runs: int, only: str | None = None, slowest: int = 20,
        profile: str | None = None) -> None:
    """Measure every control, interleaved round by round; print the slowest with their EXPLAIN."""
    with app.app_context():
        from app.core.db import db

        samples = data_samples(db.session, app)
    clients = {}

    def get(profile, url):
        if profile not in clients:
            client = app.test_client()
            log_in(app, client, PROFILE_LOGINS[profile])
            clients[profile] = client
        return clients[profile].get(url)

    controls = [c for c in enumerate_controls(app, samples)
                if (not only or only in f"{c.list} {c.control}") and (not profile or c.profile == profile)]
    controls = resolve_pages(controls, get)
    statements = Statements(engine)
    measured = []
    for control in controls:  # warm-up, and what each one sends
        response, seen = statements.record(get, control.profile, control.url)
        if response.status_code != 200:
            print(f"skip {control.list} {control.control} as {control.profile}: {response.status_code}",
                  file=sys.stderr)
            continue
        measured.append((control, len(seen)))
    print(f"{len(measured)} controls, {runs} interleaved runs each", file=sys.stderr, flush=True)
    timings = {control: [] for control, _ in measured}
    for round_ in range(runs):
        for control, _count in measured:
            started = time.perf_counter()
            get(control.profile, control.url)
            timings[control].append((time.perf_counter() - started) * 1000)
        print(f"round {round_ + 1}/{runs}", file=sys.stderr, flush=True)
    rows = sorted(((statistics.median(timings[c]), percentile(timings[c], 0.95), n, c) for c, n in measured),
                  key=lambda row: row[0], reverse=True)
    over = [row for row in rows if row[1] > 250]
    print(f"\n{len(rows)} controls; p95 over 250 ms: {len(over)}; median over 100 ms: "
          f"{sum(row[0] > 100 for row in rows)}; most statements: {max(row[2] for row in rows)}\n")
    print("| list | control | profile | page | median (ms) | p95 (ms) | statements |")
    print("|---|---|---|---|---:|---:|---:|")
    for median, p95, count, c in rows[:slowest]:
        print(f"| {c.list} | {c.control} | {c.profile} | {c.page} | {median:.1f} | {p95:.1f} | {count} |")
    with engine.connect() as conn:
        for _median, _p95, _count, c in rows[:20]:
            _response, seen = statements.record(get, c.profile, c.url)
            elapsed, sql = max(seen, key=lambda item: item[0])
            print(f"\n-- {c.list} / {c.control} / {c.profile} / {c.page}: slowest statement {elapsed:.1f} ms\n{sql}")
            for row in conn.exec_driver_sql("EXPLAIN " + sql.replace("%", "%%")).mappings():
                print("   ", {k: row[k] for k in ("table", "type", "key", "rows", "Extra")})

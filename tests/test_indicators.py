"""Indicadores and the SLA outcomes they read, against a small world computed by hand.

November 2026 in São Paulo (UTC-3), the default expediente Mon–Fri 08:00–18:00, SLA 8 business
hours; "now" is Thursday 19/11 12:00. Client A (contract CA) and client B (contract CB) of the
same company, one technician:

call equip. opened        1st visit     closed            due            outcome  resp  repair visits
c1   A1     Mon 09 09:00  Mon 09 11:00  O Mon 09 15:00    Mon 09 17:00   met      2 h    6 h   1
c2   A1     Fri 13 16:00  Mon 16 09:00  O Tue 17 10:00    Mon 16 14:00   missed   3 h   14 h   2
c3   A2     Tue 17 09:00  –             O Tue 17 10:00 (pré atendimento)  met      –      1 h   0
c4   A2     Wed 18 09:00  –             E (open)          Wed 18 17:00   late now
c5   A3     Mon 09 09:00  Mon 09 10:00  T Thu 12 10:00    Tue 10 17:00   missed   1 h   21 h   1
     (paused 10 business hours: the deadline 8 + 10 h on; repair 31 h − 10 h paused)
c6   B      Mon 09 09:00  Mon 09 10:00  O Mon 09 12:00    Mon 09 17:00   met      1 h    3 h   1
"""
import csv
import html as html_module
import io
import json
import re
from datetime import datetime

import pytest
from pypdf import PdfReader
import time_machine
from sqlalchemy import delete, select

from app.accounts.roles import ADMIN, CLIENT
from app.accounts.models import PortalUser
from app.calls.models import CallOutcome, CallWeek, ContractMonth, ServiceCall
from app.core.db import db
from tests import factories as f
from tests.calls_desk import as_user
from tests.querycount import count_queries

NOW = datetime(2026, 11, 19, 15, 0)
PERIOD = "/indicadores/?de=2026-11-01&ate=2026-11-30"


def at(day, hour, minute=0):
    """São Paulo wall-clock time of November 2026, as stored (naive UTC)."""
    return datetime(2026, 11, day, hour + 3, minute)


@pytest.fixture
def world(app, db_ctx):
    with db_ctx():
        company, technician = f.company(), f.technician(name="TECNICO UM")
        client_a, client_b = f.client(company, name="ALFA"), f.client(company, name="BETA")
        ca, cb = f.contract(client_a), f.contract(client_b)
        model, jam = f.equipment_model(name="MODELO X"), f.defect(name="ATOLAMENTO")
        a1, a2, a3 = (f.equipment(client_a, model=model, contract=ca) for _ in range(3))
        b = f.equipment(client_b, model=model, contract=cb)

        def call(equipment, client, contract, opened, status, due, closed=None, visits=(), **kw):
            row = f.call(client, equipment, status=status, technician=technician, contract_id=contract.id,
                         defect_type_id=jam.id,
                         opened_at=opened, priority_due=due, closed_at=closed, sla_hours=8, **kw)
            for started in visits:
                f.attendance(row, started_at=started, finished_at=started)
            return row.id

        ids = {
            "c1": call(a1, client_a, ca, at(9, 9), "O", at(9, 17), at(9, 15), [at(9, 11)]),
            "c2": call(a1, client_a, ca, at(13, 16), "O", at(16, 14), at(17, 10), [at(16, 9), at(17, 9)]),
            "c3": call(a2, client_a, ca, at(17, 9), "O", at(17, 17), at(17, 10), resolved_in_pre_service=True),
            "c4": call(a2, client_a, ca, at(18, 9), "E", at(18, 17)),
            "c5": call(a3, client_a, ca, at(9, 9), "T", at(10, 17), at(12, 10), [at(9, 10)],
                       sla_paused_seconds=36000),
            "c6": call(b, client_b, cb, at(9, 9), "O", at(9, 17), at(9, 12), [at(9, 10)]),
        }
        toner = f.supply_item([model], name="TONER T")
        toner.page_yield = 3000
        for equipment, first, last in ((a1, 10000, 16000), (a2, 1000, 4000)):
            f.meter_reading(equipment, first, at(2, 9))
            f.meter_reading(equipment, last, at(27, 9))
        for equipment, quantity in ((a1, 3), (a1, 2), (a2, 1), (b, 2)):
            f.supply_request(equipment, [(toner, quantity, None)], requested_at=at(10, 9))
        admin = f.user(ADMIN, email="admin@revenda.com.br").id
        manager = f.user(CLIENT, companies=[company], clients=[client_a], client_manager=True).id
        return {"ids": ids, "admin": admin, "manager": manager, "ca": ca.number, "cb": cb.number,
                "a1": a1.serial, "a2": a2.serial}


def page(app, user, url=PERIOD):
    with time_machine.travel(NOW, tick=False):
        response = as_user(app, user).get(url)
    assert response.status_code == 200
    return response


def tables(html):
    """Each indicator's table cells, by its section id."""
    found = {}
    for key, body in re.findall(r'<section class="pws-indicator" id="(\w+)">(.*?)</section>', html, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
        found[key] = [re.findall(r"<t[dh]>(.*?)</t[dh]>", row, re.S) for row in rows]
    return found


def charts(html):
    return {key: json.loads(data) for key, data in re.findall(
        r'<script type="application/json" id="(\w+)-data">(.*?)</script>', html, re.S)}


def test_outcomes_count_business_hours_and_pauses(world, db_ctx):
    with db_ctx() as session:
        rows = {row.call_id: row for row in session.execute(select(CallOutcome)).scalars()}
    got = {name: (rows[pk].outcome, rows[pk].response_seconds, rows[pk].repair_seconds, rows[pk].visits)
           for name, pk in world["ids"].items()}
    hour = 3600
    assert got == {
        "c1": ("met", 2 * hour, 6 * hour, 1), "c2": ("missed", 3 * hour, 14 * hour, 2),
        "c3": ("met", None, 1 * hour, 0), "c4": (None, None, None, 0),
        "c5": ("missed", 1 * hour, 21 * hour, 1), "c6": ("met", 1 * hour, 3 * hour, 1),
    }


def test_the_admin_sees_every_indicator_as_computed_by_hand(app, world):
    html = page(app, world["admin"]).get_data(as_text=True)
    found = tables(html)
    weeks = {row[0]: row[1:] for row in found["semanal"][1:]}
    assert weeks == {"26/10/2026": ["0", "0"], "02/11/2026": ["0", "0"], "09/11/2026": ["4", "3"],
                     "16/11/2026": ["2", "2"], "23/11/2026": ["0", "0"], "30/11/2026": ["0", "0"]}
    assert found["pendentes"][1:] == [["E – Despachado", "1"]]
    assert found["sla"][1:] == [[world["ca"], "ALFA", "11/2026", "4", "2", "2", "50,0%"],
                                [world["cb"], "BETA", "11/2026", "1", "1", "0", "100,0%"]]
    breached = {row[0] for row in found["fora_do_prazo"][1:]}
    assert breached == {str(world["ids"]["c2"]), str(world["ids"]["c5"])}
    # responses 1, 1, 2, 3 h; repairs 1, 3, 6, 14, 21 h
    for key, name in (("tempos_tecnico", "TECNICO UM"), ("tempos_defeito", "ATOLAMENTO"),
                      ("tempos_modelo", "MODELO X")):
        assert found[key][1:] == [[name, "5", "1,5", "3,0", "6,0", "21,0"]]
    assert found["resumo"][1:] == [["Resolvidos na primeira visita", "3", "4", "75,0%"],
                                   ["Resolvidos no pré atendimento, sem visita", "1", "5", "20,0%"]]
    worst = [row[:1] + row[3:] for row in found["reincidencia"][1:]]
    assert sorted(worst) == sorted([[world["a1"], "2", "1"], [world["a2"], "2", "1"]])
    assert "2 de 6 chamados com equipamento (33,3%)" in html
    # A1 printed 6.000 pages (2 toners at 3.000) and asked for 5; A2 3.000 pages, 1 toner; B no reading
    assert [row[1:] for row in found["suprimentos"][1:]] == [
        ["MODELO X", "ALFA", "TONER T", "5", "6.000", "3.000", "2,0", "250,0%", "Acima do rendimento"],
        ["MODELO X", "ALFA", "TONER T", "1", "3.000", "3.000", "1,0", "100,0%", ""],
        ["MODELO X", "BETA", "TONER T", "2", "–", "3.000", "–", "–", ""]]


def test_the_sla_report_reads_the_same_figures(app, world):
    with time_machine.travel(NOW, tick=False):
        html = as_user(app, world["admin"]).get("/chamados/sla/?mes=2026-11").get_data(as_text=True)
    cells = re.sub(r"\s+", "", html)
    assert f"<td>{world['ca']}</td><td>ALFA</td><td>4</td><td>2</td><td>2</td><td>50,0%</td><td>1</td>" in cells
    assert f"<td>{world['cb']}</td><td>BETA</td><td>1</td><td>1</td><td>0</td><td>100,0%</td><td>0</td>" in cells


def test_the_client_sees_only_his_contracts(app, world):
    html = page(app, world["manager"]).get_data(as_text=True)
    found = tables(html)
    assert found["sla"][1:] == [[world["ca"], "ALFA", "11/2026", "4", "2", "2", "50,0%"]]
    assert {row[0]: row[1:] for row in found["semanal"][1:]}["09/11/2026"] == ["3", "2"]
    assert world["cb"] not in html and "BETA" not in html
    assert [row[2] for row in found["suprimentos"][1:]] == ["ALFA", "ALFA"]
    with time_machine.travel(NOW, tick=False):
        sla_csv = as_user(app, world["manager"]).get("/indicadores/csv/sla?de=2026-11-01&ate=2026-11-30")
    assert world["cb"] not in sla_csv.get_data(as_text=True)


def test_each_csv_is_its_table_and_its_chart(app, world):
    html = page(app, world["admin"]).get_data(as_text=True)
    found, drawn = tables(html), charts(html)
    for key, rows in found.items():
        with time_machine.travel(NOW, tick=False):
            response = as_user(app, world["admin"]).get(f"/indicadores/csv/{key}?de=2026-11-01&ate=2026-11-30")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        text = response.get_data(as_text=True).lstrip("\ufeff")
        assert list(csv.reader(io.StringIO(text), delimiter=";")) == [
            [html_module.unescape(c) for c in row] for row in rows], key
        if key in drawn:  # the chart draws the table's label column and its number columns
            assert drawn[key]["labels"] == [row[0] for row in rows[1:]]
            for series in drawn[key]["series"]:
                column = [str(c) for c in rows[0]].index(series["label"])
                shown = [row[column] for row in rows[1:]]
                assert series["data"] == [_number(value) for value in shown], key


def _number(shown: str):
    """A table cell ("1.234,5", "50,0%", "–") as the chart's number."""
    return None if shown == "–" else float(shown.rstrip("%").replace(".", "").replace(",", "."))


def test_query_count_does_not_grow_with_the_calls(app, world, db_ctx):
    page(app, world["admin"])  # the per-process caches (menu, calendars) filled
    with count_queries(app) as statements:
        page(app, world["admin"])
    before = len(statements)
    with db_ctx():
        first = db.session.get(ServiceCall, world["ids"]["c1"])
        for day in (10, 11, 12):
            row = f.call(first.client, None, status="O", opened_at=at(day, 9), closed_at=at(day, 11),
                         priority_due=at(day, 17), contract_id=first.contract_id, technician=f.technician())
            f.attendance(row, started_at=at(day, 10))
    with count_queries(app) as statements:
        page(app, world["admin"])
    assert len(statements) == before


def test_rebuild_makes_the_same_outcomes(app, world, db_ctx):
    with db_ctx() as session:
        kept = sorted(tuple(r) for r in session.execute(select(CallOutcome.__table__)).all())
        months = sorted(tuple(r) for r in session.execute(select(ContractMonth.__table__)).all())
        weeks = sorted(tuple(r) for r in session.execute(select(CallWeek.__table__)).all())
        for table in (CallOutcome, ContractMonth, CallWeek):
            session.execute(delete(table.__table__))
        session.commit()
    result = app.test_cli_runner().invoke(args=["pws", "rebuild-indicators", "--batch", "4"])
    assert result.exit_code == 0 and "6 chamados" in result.output
    with db_ctx() as session:
        assert sorted(tuple(r) for r in session.execute(select(CallOutcome.__table__)).all()) == kept
        assert sorted(tuple(r) for r in session.execute(select(ContractMonth.__table__)).all()) == months
        assert sorted(tuple(r) for r in session.execute(select(CallWeek.__table__)).all()) == weeks


def test_refresh_statistics_after_a_bulk_load(app):
    result = app.test_cli_runner().invoke(args=["pws", "refresh-statistics"])
    mariadb = app.config["SQLALCHEMY_DATABASE_URI"].startswith("mysql")
    assert result.exit_code == 0, result.output
    assert ("Estatísticas dos índices atualizadas." if mariadb else "Nada a fazer") in result.output


def _weeks(session, world):
    """CallWeek as (client, contract, week) → (opened, closed, repaired, visited, first visit, pré)."""
    contracts = {world["ca"]: "CA", world["cb"]: "CB"}
    from app.catalog.models import Client, Contract

    return {(client, contracts[number], week.strftime("%d/%m")): tuple(sums) for client, number, week, *sums in
            session.execute(select(Client.name, Contract.number, CallWeek.week, CallWeek.opened, CallWeek.closed,
                                   CallWeek.repaired, CallWeek.visited, CallWeek.first_visit,
                                   CallWeek.pre_service)
                            .join(Client, Client.id == CallWeek.client_id)
                            .join(Contract, Contract.id == CallWeek.contract_id))}


def test_the_week_sums_and_gaps_follow_each_call_change(app, world, db_ctx):
    with db_ctx() as session:
        assert _weeks(session, world) == {
            ("ALFA", "CA", "09/11"): (3, 2, 2, 2, 2, 0), ("ALFA", "CA", "16/11"): (2, 2, 2, 1, 0, 1),
            ("BETA", "CB", "09/11"): (1, 1, 1, 1, 1, 0)}
        gaps = dict(session.execute(select(CallOutcome.call_id, CallOutcome.previous_gap_seconds)).all())
        assert gaps[world["ids"]["c2"]] == (4 * 24 + 7) * 3600  # c1 Mon 09 09:00, c2 Fri 13 16:00
        c4, c1 = (session.get(ServiceCall, world["ids"][name]) for name in ("c4", "c1"))
        c4.status, c4.closed_at, c4.resolved_in_pre_service = "O", at(19, 12), True
        c1.opened_at = at(6, 9)  # back to the week of 02/11
        session.commit()
        assert _weeks(session, world) == {
            ("ALFA", "CA", "02/11"): (1, 0, 0, 0, 0, 0), ("ALFA", "CA", "09/11"): (2, 2, 2, 2, 2, 0),
            ("ALFA", "CA", "16/11"): (2, 3, 3, 1, 0, 2), ("BETA", "CB", "09/11"): (1, 1, 1, 1, 1, 0)}
        gaps = dict(session.execute(select(CallOutcome.call_id, CallOutcome.previous_gap_seconds)).all())
        assert {name: gaps[pk] for name, pk in world["ids"].items()} == {
            "c1": None, "c2": (7 * 24 + 7) * 3600, "c3": None, "c4": 24 * 3600, "c5": None, "c6": None}
    found = tables(page(app, world["admin"]).get_data(as_text=True))
    assert {row[0]: row[1:] for row in found["semanal"][1:]}["16/11/2026"] == ["2", "3"]
    assert found["resumo"][2] == ["Resolvidos no pré atendimento, sem visita", "2", "6", "33,3%"]


@pytest.mark.parametrize("period", ["de=2026-11-10&ate=2026-11-30", "de=2026-11-10&ate=2026-11-14",
                                    "de=2026-11-01&ate=2026-11-30"])
def test_dealer_sums_and_client_outcomes_agree_on_any_period(app, world, period):
    """Dealer staff read the week sums (and the outcomes of the weeks the period cuts) and the
    stored gaps, the client the outcomes: the same calls give the same figures."""
    dealer = tables(page(app, world["admin"], f"/indicadores/?{period}&cliente=ALFA").get_data(as_text=True))
    client = tables(page(app, world["manager"], f"/indicadores/?{period}").get_data(as_text=True))
    for key in ("semanal", "resumo", "reincidencia"):
        assert dealer[key] == client[key], key
    assert sum(int(row[1]) for row in dealer["semanal"][1:]) > 0


def test_the_pdf_has_the_client_s_figures(app, world):
    response = page(app, world["manager"], "/indicadores/pdf?de=2026-11-01&ate=2026-11-30")
    assert response.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Indicadores de 01/11/2026 a 30/11/2026" in text
    assert world["ca"] in text and "50,0%" in text and "66,7%" in text  # first visit: 2 of 3
    assert world["cb"] not in text and "BETA" not in text


def test_the_gestor_who_chose_it_gets_the_month_s_pdf_link_once(app, world, db_ctx):
    from app.indicators.monthly import send_monthly_indicators
    from app.notifications.models import OutboxMessage

    with db_ctx() as session:
        manager = session.get(PortalUser, world["manager"])
        manager.email_indicators = True
        client = manager.clients[0]
        f.user(CLIENT, companies=[client.company], clients=[client], email_indicators=True)  # not gestor
        session.commit()
        OutboxMessage.query.delete()
        session.commit()
        with time_machine.travel(datetime(2026, 11, 30, 15, 0), tick=False):
            assert send_monthly_indicators() == 0  # November's first working day was weeks ago
        with time_machine.travel(datetime(2026, 12, 1, 15, 0), tick=False):  # Tuesday 01/12
            assert send_monthly_indicators() == 1
            assert send_monthly_indicators() == 0
        sent = [(m.kind, m.user_id, m.subject, m.body_text) for m in OutboxMessage.query]
    assert [row[:3] for row in sent] == [("monthly_indicators", world["manager"], "Indicadores de novembro/2026")]
    link = re.search(r"https?://\S+(/indicadores/pdf\?de=2026-11-01&ate=2026-11-30)", sent[0][3])
    response = page(app, world["manager"], link.group(1))
    assert response.mimetype == "application/pdf"

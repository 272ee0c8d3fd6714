"""Solicitar suprimentos and Acompanhar solicitações, through HTTP."""
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from app.accounts.roles import CALLS_OPERATOR, CLIENT, SUPPLIES_OPERATOR, TECHNICIAN
from app.core.db import db, utcnow
from app.notifications.models import OutboxMessage
from app.supplies.models import MeterReading, SupplyRequest, SupplyStatus
from app.supplies.services import update_supply_request
from app.feed.models import ChangeFeedEntry
from tests import factories as f
from tests.conftest import csrf_token, form_fields, login_as


@pytest.fixture
def world(db_ctx):
    with db_ctx():
        company = f.company("REVENDA SUL")
        customer = f.client(company, "JAYOB COMPANY")
        other = f.client(company, "OUTRO CLIENTE")
        contract = f.contract(customer)
        model = f.equipment_model("BROTHER 8080DN")
        equipment = f.equipment(customer, model=model, contract=contract, department="ADMINISTRATIVO")
        other_equipment = f.equipment(other, model=model)
        black = f.supply_item([model], name="TONER PRETO TN-3472")
        black.page_yield = 10000
        cyan = f.supply_item([model], name="CILINDRO DR-3440")
        unrelated = f.supply_item([f.equipment_model("HP 1212")], name="TONER HP 85A")
        carrier = f.carrier("TRANSPORTES SUL")
        db.session.commit()
        users = {
            "client": f.user(CLIENT, [company], [customer], email="cliente@jayob.test",
                             client_manager=True, email_supply_release=True),
            "operator": f.user(SUPPLIES_OPERATOR, [company], email="suprimentos@revenda.test",
                               email_supply_request=True),
            "technician": f.user(TECHNICIAN, [company], email="tecnico@revenda.test",
                                 technician=f.technician()),
            "calls": f.user(CALLS_OPERATOR, [company], email="chamados@revenda.test",
                            email_supply_request=True),
        }
        return {"company": company.id, "customer": customer.id, "other": other.id,
                "contract": contract.id, "model": model.id, "equipment": equipment.id,
                "other_equipment": other_equipment.id, "black": black.id, "cyan": cyan.id,
                "unrelated": unrelated.id, "carrier": carrier.id, "serial": equipment.serial,
                "other_serial": other_equipment.serial,
                **{name: user.id for name, user in users.items()}}


@pytest.fixture
def app_with(_schema):
    """An app with other settings; its connection pool is closed afterwards."""
    from tests.conftest import make_app

    apps = []

    def make(**overrides):
        apps.append(make_app(**overrides))
        return apps[-1]

    yield make
    for made in apps:
        with made.app_context():
            db.session.remove()
            db.engine.dispose()


def _as(app, user_id):
    client = app.test_client()
    login_as(client, user_id)
    return client


def _request(client, equipment_id, items, note="Toner acabando"):
    data = {"csrf_token": csrf_token(client), "observacao": note}
    for supply_id, quantity, counter in items:
        data[f"quantidade_{supply_id}"] = str(quantity)
        data[f"contador_{supply_id}"] = str(counter)
    return client.post(f"/suprimentos/solicitar/equipamento/{equipment_id}", data=data)


def _requests(db_ctx):
    with db_ctx() as session:
        return session.execute(select(SupplyRequest).order_by(SupplyRequest.id)).scalars().all()


def _outbox(db_ctx, kind):
    with db_ctx() as session:
        return [(m.recipients, m.subject, m.body_text) for m in session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).scalars()]


def _feed(db_ctx, entity):
    with db_ctx() as session:
        return [(e.op, e.web_id, e.data) for e in session.execute(
            select(ChangeFeedEntry).where(ChangeFeedEntry.entity == entity)
            .order_by(ChangeFeedEntry.seq)).scalars()]


def test_client_requests_toner_with_counter(app, db_ctx, world):
    client = _as(app, world["client"])
    page = client.get(f"/suprimentos/solicitar/equipamento/{world['equipment']}").get_data(as_text=True)
    assert "TONER PRETO TN-3472" in page and "CILINDRO DR-3440" in page
    assert "TONER HP 85A" not in page  # only supplies compatible with the model

    response = _request(client, world["equipment"], [(world["black"], 1, 12500)])
    assert response.status_code == 302
    (row,) = _requests(db_ctx)
    assert response.headers["Location"].endswith(f"/suprimentos/acompanhar/show/{row.id}")
    assert (row.status, row.client_id, row.equipment_id, row.note, row.department) == (
        SupplyStatus.PENDING, world["customer"], world["equipment"], "Toner acabando", "ADMINISTRATIVO")
    assert row.requested_by_id == world["client"] and row.warning is None
    with db_ctx() as session:
        items = [(i.supply_item_id, i.quantity, i.counter) for i in session.get(SupplyRequest, row.id).items]
        readings = session.execute(select(MeterReading.counter, MeterReading.supply_request_id)).all()
    assert items == [(world["black"], 1, 12500)]
    assert readings == [(12500, row.id)]
    ((op, web_id, data),) = _feed(db_ctx, "supply_request")
    assert (op, web_id, data["status"], data["items"][0]["counter"]) == ("create", row.id, "pending", 12500)
    ((recipients, subject, body),) = _outbox(db_ctx, "supply_request")
    assert recipients == "suprimentos@revenda.test"  # operators who asked; never the calls operator
    assert f"nº {row.id}" in subject and "TONER PRETO TN-3472: 1 (contador 12500)" in body
    assert f"http://portal.test/suprimentos/acompanhar/show/{row.id}" in body

    show = client.get(f"/suprimentos/acompanhar/show/{row.id}").get_data(as_text=True)
    assert "Toner acabando" in show and "12.500" in show and "Pendente" in show  # Brazilian numbers


def test_counter_below_the_last_known_is_refused(app, db_ctx, world):
    _history(db_ctx, world, (5000, 3))
    response = _request(_as(app, world["client"]), world["equipment"], [(world["black"], 1, 4999)])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "O contador informado para TONER PRETO TN-3472 (4999) é menor que o último contador" in page
    assert "(5000, em" in page
    assert _requests(db_ctx) == [] and _outbox(db_ctx, "supply_request") == []
    assert _feed(db_ctx, "supply_request") == []


def _history(db_ctx, world, *readings):
    from app.catalog.models import Equipment

    with db_ctx() as session:
        equipment = session.get(Equipment, world["equipment"])
        for counter, days_ago in readings:
            f.meter_reading(equipment, counter, utcnow() - timedelta(days=days_ago))


def test_implausibly_high_counter_is_accepted_with_a_warning(app, db_ctx, world):
    # 3,000 pages in 20 days = 150 a day; 10 days later at most max(3 × 1,500, 5,000) more.
    _history(db_ctx, world, (1000, 30), (4000, 10))
    client = _as(app, world["client"])
    assert _request(client, world["equipment"], [(world["black"], 1, 9000)]).status_code == 302
    assert _request(client, world["equipment"], [(world["cyan"], 1, 60000)]).status_code == 302
    plausible, implausible = _requests(db_ctx)
    assert plausible.warning is None
    assert "Contador 60000 muito acima do histórico do equipamento" in implausible.warning
    operator = _as(app, world["operator"])
    cards = operator.get("/suprimentos/acompanhar/list/").get_data(as_text=True)
    assert cards.count("pws-warning-flag") == 1
    show = operator.get(f"/suprimentos/acompanhar/show/{implausible.id}").get_data(as_text=True)
    assert "muito acima do histórico" in show
    assert "muito acima do histórico" in _outbox(db_ctx, "supply_request")[-1][2]


def test_second_open_request_for_the_same_supply_warns(app, db_ctx, world):
    client = _as(app, world["client"])
    _request(client, world["equipment"], [(world["black"], 1, 1000)])
    response = _request(client, world["equipment"], [(world["black"], 1, 1100), (world["cyan"], 1, 1100)])
    assert response.status_code == 302
    first, second = _requests(db_ctx)
    assert second.warning == (f"Já existe a solicitação nº {first.id} em aberto (Pendente) para "
                              "TONER PRETO TN-3472 neste equipamento.")
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Atenção: Já existe a solicitação" in follow  # the requester is told as well

    with db_ctx() as session:
        for row in session.execute(select(SupplyRequest)).scalars():
            row.status = SupplyStatus.CANCELLED
        session.commit()
    _request(client, world["equipment"], [(world["black"], 1, 1200)])
    assert _requests(db_ctx)[-1].warning is None  # cancelled requests are not open


def test_request_before_the_yield_share_was_printed_warns(app, db_ctx, world):
    from app.catalog.models import Equipment, SupplyItem

    with db_ctx() as session:
        equipment, black = session.get(Equipment, world["equipment"]), session.get(SupplyItem, world["black"])
        delivered = f.supply_request(equipment, [(black, 1, 10000)], status=SupplyStatus.DELIVERED).id
    client = _as(app, world["client"])
    _request(client, world["equipment"], [(world["black"], 1, 15000)])
    early = _requests(db_ctx)[-1]
    assert early.warning == (f"Desde a última entrega de TONER PRETO TN-3472 (solicitação nº {delivered}, "
                             "contador 10000) foram impressas 5000 páginas, menos de 80% do rendimento "
                             "(10000 páginas).")
    with db_ctx() as session:
        session.get(SupplyRequest, early.id).status = SupplyStatus.CANCELLED
        session.commit()
    _request(client, world["equipment"], [(world["black"], 1, 18000)])
    assert _requests(db_ctx)[-1].warning is None  # 8,000 pages = 80 % of the yield


def test_the_yield_share_is_configurable(app_with, db_ctx, world):
    app = app_with(PWS_SUPPLY_YIELD_SHARE=0.5)
    from app.catalog.models import Equipment, SupplyItem

    with db_ctx() as session:
        equipment, black = session.get(Equipment, world["equipment"]), session.get(SupplyItem, world["black"])
        f.supply_request(equipment, [(black, 1, 10000)], status=SupplyStatus.DELIVERED)
    _request(_as(app, world["client"]), world["equipment"], [(world["black"], 1, 16000)])
    assert _requests(db_ctx)[-1].warning is None


def test_form_errors_are_clear_and_nothing_is_saved(app, db_ctx, world):
    client = _as(app, world["client"])
    nothing = _request(client, world["equipment"], [])
    assert nothing.status_code == 422
    assert "Informe a quantidade de ao menos um suprimento." in nothing.get_data(as_text=True)
    no_counter = _request(client, world["equipment"], [(world["black"], 1, "")])
    assert "Informe o contador atual do equipamento para TONER PRETO TN-3472." in no_counter.get_data(as_text=True)
    letters = _request(client, world["equipment"], [(world["black"], 1, "abc")])
    assert "Contador inválido para TONER PRETO TN-3472" in letters.get_data(as_text=True)
    too_many = _request(client, world["equipment"], [(world["black"], 500, 100)])
    assert "Quantidade de TONER PRETO TN-3472 deve ficar entre 1 e 99." in too_many.get_data(as_text=True)
    incompatible = _request(client, world["equipment"], [(world["unrelated"], 1, 100)])
    assert incompatible.status_code == 422  # a supply of another model is not on the form
    assert _requests(db_ctx) == [] and _outbox(db_ctx, "supply_request") == []


def test_request_by_contract_and_model(app, db_ctx, world):
    client = _as(app, world["technician"])
    start = client.get("/suprimentos/solicitar/?contrato=C-").get_data(as_text=True)
    assert f"/suprimentos/solicitar/contrato/{world['contract']}" in start
    choose = client.get(f"/suprimentos/solicitar/contrato/{world['contract']}").get_data(as_text=True)
    assert "BROTHER 8080DN" in choose and "HP 1212" not in choose
    url = f"/suprimentos/solicitar/contrato/{world['contract']}?modelo={world['model']}"
    assert "TONER PRETO TN-3472" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(client), "modelo": world["model"],
                                      f"quantidade_{world['black']}": "2", "departamento": "Diretoria",
                                      "local": "Sala de reunião"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/suprimentos/solicitar/")  # no read access
    (row,) = _requests(db_ctx)
    assert (row.kind, row.equipment_id, row.contract_id, row.equipment_model_id, row.location) == (
        SupplyRequest.BY_MODEL, None, world["contract"], world["model"], "Sala de reunião")


def test_another_clients_equipment_cannot_be_requested(app, db_ctx, world):
    client = _as(app, world["client"])
    assert client.get(f"/suprimentos/solicitar/equipamento/{world['other_equipment']}").status_code == 404
    assert _request(client, world["other_equipment"], [(world["black"], 1, 10)]).status_code == 404
    page = client.get("/suprimentos/solicitar/").get_data(as_text=True)
    assert world["serial"] in page and world["other_serial"] not in page
    assert _requests(db_ctx) == []


def _edit(client, request_id, **fields):
    data = {**form_fields(client, f"/suprimentos/acompanhar/edit/{request_id}", "row_version"),
            "status": "pending", "carrier_id": "",
            "tracking_code": "", "invoice_number": "", "invoice_date": "", **fields}
    return client.post(f"/suprimentos/acompanhar/edit/{request_id}", data=data)


def test_operator_releases_with_carrier_and_invoice(app, db_ctx, world):
    _request(_as(app, world["client"]), world["equipment"], [(world["black"], 1, 100)])
    (row,) = _requests(db_ctx)
    operator = _as(app, world["operator"])
    form = operator.get(f"/suprimentos/acompanhar/edit/{row.id}").get_data(as_text=True)
    assert "TRANSPORTES SUL" in form and "Em falta" in form
    assert _edit(operator, row.id, status="control").status_code == 302
    response = _edit(operator, row.id, status="invoiced", carrier_id=world["carrier"],
                     tracking_code="BR123456789", invoice_number="4521", invoice_date="2026-11-05")
    assert response.status_code == 302
    (row,) = _requests(db_ctx)
    assert (row.status, row.carrier_id, row.tracking_code, row.invoice_number, row.invoice_date) == (
        "invoiced", world["carrier"], "BR123456789", "4521", date(2026, 11, 5))
    updates = [data for op, _id, data in _feed(db_ctx, "supply_request") if op == "update"]
    assert [u["status"] for u in updates] == ["control", "invoiced"]
    assert updates[-1]["carrier_erp_id"] is not None and updates[-1]["invoice_date"] == "2026-11-05"
    ((recipients, subject, body),) = _outbox(db_ctx, "supply_release")
    assert recipients == "cliente@jayob.test"
    assert "TRANSPORTES SUL" in body and "BR123456789" in body and "05/11/2026" in body

    assert _edit(operator, row.id, status="invoiced", carrier_id=world["carrier"], tracking_code="BR123456789",
                 invoice_number="4521", invoice_date="2026-11-05").status_code == 302
    assert len(_feed(db_ctx, "supply_request")) == 3 and len(_outbox(db_ctx, "supply_release")) == 1

    client = _as(app, world["client"])
    assert client.get(f"/suprimentos/acompanhar/edit/{row.id}").status_code == 403
    assert "Faturado" in client.get(f"/suprimentos/acompanhar/show/{row.id}").get_data(as_text=True)


def test_edit_refuses_bad_values(app, db_ctx, world):
    _request(_as(app, world["client"]), world["equipment"], [(world["black"], 1, 100)])
    (row,) = _requests(db_ctx)
    operator = _as(app, world["operator"])
    bad = _edit(operator, row.id, status="lost", invoice_number="9" * 30)
    assert bad.status_code == 200
    assert "Not a valid choice" in bad.get_data(as_text=True) or "inválid" in bad.get_data(as_text=True)
    assert _requests(db_ctx)[0].status == "pending"


def test_erp_changes_are_not_echoed_but_release_mail_goes_out(app, db_ctx, world):
    _request(_as(app, world["client"]), world["equipment"], [(world["black"], 1, 100)])
    with db_ctx() as session:
        row = session.execute(select(SupplyRequest)).scalar_one()
        update_supply_request(row, source="erp", status="invoiced", invoice_number="77",
                              invoice_date="2026-11-06", carrier_id=world["carrier"])
        session.commit()
    assert [op for op, _id, _data in _feed(db_ctx, "supply_request")] == ["create"]
    assert len(_outbox(db_ctx, "supply_release")) == 1


def test_cancelling_drops_the_counter_so_a_typo_does_not_block(app, db_ctx, world):
    client = _as(app, world["client"])
    _request(client, world["equipment"], [(world["black"], 1, 900000)])
    (typo,) = _requests(db_ctx)
    assert _edit(_as(app, world["operator"]), typo.id, status="cancelled").status_code == 302
    assert _request(client, world["equipment"], [(world["black"], 1, 1500)]).status_code == 302
    with db_ctx() as session:
        assert session.execute(select(MeterReading.counter)).scalars().all() == [1500]


def test_list_filters(app, db_ctx, world):
    from app.catalog.models import Equipment, SupplyItem

    with db_ctx() as session:
        mine = session.get(Equipment, world["equipment"])
        other = session.get(Equipment, world["other_equipment"])
        black = session.get(SupplyItem, world["black"])
        a = f.supply_request(mine, [(black, 1, 10)], requested_at=utcnow() - timedelta(days=40)).id
        b = f.supply_request(other, [(black, 1, 10)], status=SupplyStatus.INVOICED, requested_at=utcnow()).id
    operator = _as(app, world["operator"])

    def shown(query):
        html = operator.get("/suprimentos/acompanhar/list/?" + query).get_data(as_text=True)
        return {pk for pk in (a, b) if f"/suprimentos/acompanhar/show/{pk}\"" in html}

    assert shown("") == {a, b}
    assert shown("_flt_0_status=invoiced") == {b}
    assert shown("_flt_0_client=JAYOB") == {a}
    assert shown("_flt_1_client=Florian") == {a, b}
    assert shown(f"_flt_0_equipment={world['other_serial']}") == {b}
    assert shown(f"_flt_0_id={a}") == {a}
    assert shown("_flt_0_kind=model") == set()
    since = (utcnow() - timedelta(days=10)).date().isoformat()
    assert shown(f"_flt_0_requested_at={since}") == {b}
    assert shown(f"_flt_1_requested_at={since}") == {a}
    assert shown("_flt_9_status=x&_flt_0_id=abc") == set()  # unreadable filters never 500


def test_calls_operator_never_sees_supplies(app, db_ctx, world):
    client = _as(app, world["calls"])
    assert client.get("/suprimentos/acompanhar/list/").status_code == 403
    assert "Acompanhar solicitações" not in client.get("/").get_data(as_text=True)


# 8 queries come with every authenticated request before the page runs (user and its links,
# roles, groups, permissions, the scoping principal); a list adds its count, its page and the
# company selector of the top bar.
PAGE_QUERY_LIMIT = 11


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_supply_list_runs_a_constant_number_of_queries(app, db_ctx, world):
    from app.catalog.models import Equipment, SupplyItem

    def add(n):
        with db_ctx() as session:
            equipment = session.get(Equipment, world["equipment"])
            black = session.get(SupplyItem, world["black"])
            for _ in range(n):
                f.supply_request(equipment, [(black, 1, 10)])

    operator = _as(app, world["operator"])
    operator.get("/suprimentos/acompanhar/list/")  # warm-up: per-process reference cache
    counts = []
    for n in (2, 18):
        add(n)
        with count_queries(app) as statements:
            html = operator.get("/suprimentos/acompanhar/list/").get_data(as_text=True)
        counts.append(len(statements))
    assert html.count("pws-card\"") == 20
    assert counts[0] == counts[1] <= PAGE_QUERY_LIMIT, counts
    with db_ctx() as session:
        assert session.execute(select(func.count(SupplyRequest.id))).scalar() == 20


def test_values_past_their_columns_are_field_errors_not_500s_or_cuts(app, db_ctx, world):
    """Issue 22.6: a counter ≥ 2³¹, a 100,000-character Observação and a 121-character
    Departamento are refused with pt-BR errors; at the bound they are stored whole."""
    client = _as(app, world["client"])
    counter = _request(client, world["equipment"], [(world["black"], 1, 2**31)])
    assert counter.status_code == 422
    assert "Contador inválido para TONER PRETO TN-3472: Informe um número entre" in counter.get_data(as_text=True)
    note = _request(client, world["equipment"], [(world["black"], 1, 100)], note="x" * 100_000)
    assert note.status_code == 422 and "Observação: No máximo 2.000 caracteres." in note.get_data(as_text=True)
    data = {"csrf_token": csrf_token(client), f"quantidade_{world['black']}": "1",
            f"contador_{world['black']}": "100", "departamento": "D" * 121}
    department = client.post(f"/suprimentos/solicitar/equipamento/{world['equipment']}", data=data)
    assert department.status_code == 422
    assert "Departamento: No máximo 120 caracteres." in department.get_data(as_text=True)
    assert _requests(db_ctx) == []

    data["departamento"] = "D" * 120
    assert client.post(f"/suprimentos/solicitar/equipamento/{world['equipment']}", data=data).status_code == 302
    assert [r.department for r in _requests(db_ctx)] == ["D" * 120]

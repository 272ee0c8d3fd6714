"""One meter-reading history per equipment, fed by the technician's report (app API), supply
requests and the client, read by the supply validation and warnings, drawn on the equipment
page; never a negative figure."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.roles import SUPPLIES_OPERATOR
from app.calls.models import ServiceCall
from app.catalog.models import Equipment, SupplyItem
from app.core.db import utcnow
from app.supplies.models import MeterReading, SupplyRequest
from tests import factories as f
from tests.conftest import csrf_token, login
from tests.field_support import API, build_field, jwt_headers, start

SUPPLIES_EMAIL = "suprimentos@revenda.test"


@pytest.fixture
def meters(app, db_ctx):
    """The field world (its call in M), a toner for the call's equipment, a supplies operator."""
    with db_ctx() as session:
        field = build_field()
        call = session.get(ServiceCall, field.call)
        equipment = session.get(Equipment, call.equipment_id)
        toner = f.supply_item(models=[equipment.model], name="TONER TK-3182")
        toner.page_yield = 20000
        f.user(SUPPLIES_OPERATOR, [call.company], email=SUPPLIES_EMAIL)
        session.commit()
        return field, equipment.id, toner.id


def request_supply(client, equipment_id, toner_id, counter):
    return client.post(f"/suprimentos/solicitar/equipamento/{equipment_id}", data={
        f"quantidade_{toner_id}": "1", f"contador_{toner_id}": str(counter), "csrf_token": csrf_token(client)})


def readings(db_ctx, equipment_id):
    with db_ctx() as session:
        return [(r.source, r.counter) for r in session.execute(
            select(MeterReading).where(MeterReading.equipment_id == equipment_id)
            .order_by(MeterReading.read_at, MeterReading.id)).scalars()]


def test_each_source_feeds_the_supply_validation(app, db_ctx, meters):
    field, equipment_id, toner_id = meters
    client = app.test_client()
    form_url = f"/suprimentos/solicitar/equipamento/{equipment_id}"
    customer = app.test_client()
    login(customer, field.client_email)
    assert "nenhum" in customer.get(form_url).get_data(as_text=True)

    # the technician's report (app API): 125.500, and a report sent again replaces it
    tech = jwt_headers(client, field.tech_email)
    attendance = start(client, tech, field.call)["id"]
    for value in (125400, 125500):
        sent = client.post(f"{API}/atendimentos/{attendance}/relatorio", headers=tech, json={
            "services": "Limpeza", "counters": [{"name": "P&B", "value": 80000},
                                                {"name": "Total", "value": value}]})
        assert sent.status_code == 200, sent.get_json()
    assert readings(db_ctx, equipment_id) == [("attendance", 125500)]
    page = customer.get(form_url).get_data(as_text=True)
    assert "Último contador conhecido" in page and "125.500" in page
    refused = request_supply(customer, equipment_id, toner_id, 120000)
    assert refused.status_code == 422 and "menor que o último contador conhecido" in refused.get_data(as_text=True)

    # the client tells the counter on the equipment page
    informed = customer.post(f"/contadores/informar/{equipment_id}",
                             data={"contador": "126.000", "csrf_token": csrf_token(customer)})
    assert informed.status_code == 302
    lower = customer.post(f"/contadores/informar/{equipment_id}",
                          data={"contador": "125000", "csrf_token": csrf_token(customer)}, follow_redirects=True)
    assert "menor que o último contador conhecido" in lower.get_data(as_text=True)
    assert readings(db_ctx, equipment_id)[-1] == ("client", 126000)
    assert request_supply(customer, equipment_id, toner_id, 125900).status_code == 422

    # a supply request with its counter joins the same history
    assert request_supply(customer, equipment_id, toner_id, 127000).status_code == 302
    assert readings(db_ctx, equipment_id) == [("attendance", 125500), ("client", 126000),
                                              ("supply_request", 127000)]
    assert request_supply(customer, equipment_id, toner_id, 126500).status_code == 422

    # the equipment page draws the history; the chart of a foreign equipment is 404
    show = customer.get(f"/equipamentos/show/{equipment_id}").get_data(as_text=True)
    assert f"/contadores/{equipment_id}.svg" in show and "Informar contador atual" in show
    chart = customer.get(f"/contadores/{equipment_id}.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    svg = chart.get_data(as_text=True)
    assert svg.count("<circle") == 3 and "127.000" in svg and "125.500" in svg
    with db_ctx():
        foreign = f.equipment(f.client(f.company())).id
    assert customer.get(f"/contadores/{foreign}.svg").status_code == 404


def test_the_yield_warning_never_shows_a_negative_figure(app, db_ctx, meters):
    """The demo's case: a delivery recorded at a higher counter than the readings that followed
    (a replaced board): the yield warning stays quiet instead of "-199408 páginas"."""
    field, equipment_id, toner_id = meters
    with db_ctx() as session:
        equipment = session.get(Equipment, equipment_id)
        toner = session.get(SupplyItem, toner_id)
        f.supply_request(equipment, [(toner, 1, 325000)], status="delivered",
                         requested_at=utcnow() - timedelta(days=60))
        f.meter_reading(equipment, 125000, utcnow() - timedelta(days=10))
    operator = app.test_client()
    login(operator, SUPPLIES_EMAIL)
    created = request_supply(operator, equipment_id, toner_id, 125592)
    assert created.status_code == 302, created.get_data(as_text=True)
    with db_ctx() as session:
        newest = session.execute(select(SupplyRequest).order_by(SupplyRequest.id.desc())).scalars().first()
        assert newest.warning is None or "-" not in newest.warning
    # a real early request still warns, with a positive figure
    with db_ctx() as session:
        for row in session.execute(select(SupplyRequest)).scalars():
            row.status = "delivered"
        session.commit()
    early = request_supply(operator, equipment_id, toner_id, 126000)
    assert early.status_code == 302
    with db_ctx() as session:
        newest = session.execute(select(SupplyRequest).order_by(SupplyRequest.id.desc())).scalars().first()
        assert "foram impressas 408 páginas" in newest.warning

"""Dashboards per profile, the Dashboard de monitoramento, QR labels and constant query counts."""
import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import segno
import time_machine
from sqlalchemy import event

from app.accounts.models import PortalUser
from app.calls.labels import label_code
from app.calls.models import PreServiceMessage
from app.catalog.models import Client, Equipment
from app.core.db import db
from app.field.models import Attendance
from app.supplies.models import SupplyRequest
from app.sync.models import SyncToken
from tests import factories as f
from tests.calls_desk import (
    ATTENDANCE_OPERATOR, BILLING_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CARRIER, CLIENT,
    LOGISTICS_OPERATOR, SUPPLIES_OPERATOR, TECHNICIAN, as_user, make_desk,
)

PANEL_IDS = {"calls": "painel-chamados", "attendances": "painel-atendimentos",
             "pre_service": "painel-pre-atendimentos", "supplies": "painel-suprimentos",
             "deliveries": "painel-entregas", "billing": "painel-faturamento"}


@pytest.fixture
def desk(db_ctx):
    with db_ctx():
        return make_desk()


def add_rows(desk, count, status="A"):
    """``count`` calls, each with its own equipment, model and technician, an attendance, a
    pre-service message and a supply request: every panel gets ``count`` more rows."""
    client = db.session.get(Client, desk.client)
    author = db.session.get(PortalUser, desk.users[CALLS_OPERATOR])
    for _ in range(count):
        equipment = f.equipment(client)
        tech = f.technician()
        call = f.call(client, equipment, status=status, technician=tech,
                      priority_due=datetime(2030, 1, 7, 15))  # deadlines need the calendars
        db.session.add(Attendance(client_uid=uuid.uuid4().hex, call_id=call.id,
                                  technician_id=tech.id, started_at=call.opened_at))
        db.session.add(SupplyRequest(company_id=client.company_id, client_id=client.id,
                                     equipment_id=equipment.id, equipment_model_id=equipment.model_id,
                                     requested_at=call.opened_at))
        f.pre_service_message(call, author, body=f"Mensagem do chamado {call.id}")
    db.session.commit()


@contextmanager
def counted_queries(app):
    with app.app_context():
        engine = db.engine
    count = [0]

    def before(*_args):
        count[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", before)


def queries_for(app, user_id, url):
    client = as_user(app, user_id)
    client.get(url)  # warm up: nothing cached may depend on the number of rows
    with counted_queries(app) as count:
        assert client.get(url).status_code == 200
    return count[0]


# The page's own queries, beyond what every page costs (login, permissions, scope, consent):
# the list's capped count and rows; one per dashboard panel or monitoring block. Business
# calendars, holidays and the top bar's companies come from the per-process reference cache.
OWN_QUERIES = {"/chamados/list/": 2, "/": 4, "/monitoramento/": 2}
# A page with the same layout and permissions, and one query of its own (the equipment list).
BASELINE, BASELINE_OWN = "/chamados/abrir/", 1


@pytest.mark.parametrize("url", sorted(OWN_QUERIES))
def test_constant_number_of_queries(app, db_ctx, desk, url):
    user = desk.users[ATTENDANCE_OPERATOR]
    with db_ctx() as session:
        session.get(PortalUser, user).can_view_monitoring = True
        add_rows(desk, 2)
    with_two = queries_for(app, user, url)
    with db_ctx():
        add_rows(desk, 18)
    with_twenty = queries_for(app, user, url)
    baseline = queries_for(app, user, BASELINE)
    assert with_two == with_twenty, (with_two, with_twenty)
    assert with_twenty - (baseline - BASELINE_OWN) == OWN_QUERIES[url], (with_twenty, baseline)


PANELS_BY_PROFILE = {
    ATTENDANCE_OPERATOR: {"calls", "attendances", "pre_service", "supplies"},
    CALLS_OPERATOR: {"calls", "attendances", "pre_service"},  # never supplies
    SUPPLIES_OPERATOR: {"supplies"},
    LOGISTICS_OPERATOR: {"calls"},
    TECHNICIAN: {"calls", "attendances"},
    CLIENT: {"calls", "attendances", "pre_service", "supplies", "billing"},
    CALL_OPENER: {"calls", "pre_service"},
    CARRIER: {"deliveries"},
    BILLING_OPERATOR: {"billing"},
}


def test_each_profile_sees_its_panels(app, db_ctx, desk):
    with db_ctx():
        add_rows(desk, 1)
    wrong = {}
    for profile, panels in PANELS_BY_PROFILE.items():
        page = as_user(app, desk.users[profile]).get("/").get_data(as_text=True)
        shown = {name for name, html_id in PANEL_IDS.items() if f'id="{html_id}"' in page}
        if shown != panels:
            wrong[profile] = shown
    assert not wrong


def test_carrier_billing_and_supply_panels_show_their_rows(app, db_ctx, desk):
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        carrier = session.get(PortalUser, desk.users[CARRIER]).carrier
        pending = f.invoice(ours, carrier=carrier, number="771001").id
        delivered = f.invoice(ours, carrier=carrier, number="771002", confirmed=True)
        f.invoice(ours, carrier=f.carrier(), number="771003")  # another carrier's
        f.billing_file(ours, original_name="fatura_novembro.pdf")
        equipment = session.get(Equipment, desk.equipment)
        by_serial = f.supply_request(equipment)
        by_serial.equipment_model_id = None  # by série, as the ERP and the demo write it
        session.commit()
        model = equipment.model.name
        assert delivered.id
    carrier_page = as_user(app, desk.users[CARRIER]).get("/").get_data(as_text=True)
    assert "Entregas pendentes" in carrier_page and "771001" in carrier_page
    assert f"/entregas/show/{pending}" in carrier_page
    assert "771002" not in carrier_page and "771003" not in carrier_page
    billing_page = as_user(app, desk.users[BILLING_OPERATOR]).get("/").get_data(as_text=True)
    assert "Últimos arquivos de faturamento" in billing_page and "fatura_novembro.pdf" in billing_page
    supplies_page = as_user(app, desk.users[SUPPLIES_OPERATOR]).get("/").get_data(as_text=True)
    panel = supplies_page.split('id="painel-suprimentos"')[1]
    assert model in panel


def test_panels_show_the_last_ten_of_the_user_scope(app, db_ctx, desk):
    with db_ctx() as session:
        add_rows(desk, 12)
        messages = [m.body for m in session.query(PreServiceMessage).order_by(PreServiceMessage.id)]
        foreign_call = f.call(session.get(Client, desk.foreign_client))
        f.pre_service_message(foreign_call, session.get(PortalUser, desk.users[CALLS_OPERATOR]),
                              body="Mensagem de outro cliente")
    page = as_user(app, desk.users[CLIENT]).get("/").get_data(as_text=True)
    panel = page[page.index('id="painel-pre-atendimentos"'):page.index('id="painel-suprimentos"')]
    assert "Mensagem de outro cliente" not in page
    shown = [body for body in messages if f"<td>{body}</td>" in panel]
    assert shown == messages[2:]  # the newest ten
    assert panel.count("Aguardando interação") == 10
    supplies = page[page.index('id="painel-suprimentos"'):]
    assert supplies.count("Pendente") == 10


def test_logistics_dashboard_lists_only_calls_waiting_for_parts(app, db_ctx, desk):
    with db_ctx():
        add_rows(desk, 2, status="A")
        add_rows(desk, 1, status="S")
    page = as_user(app, desk.users[LOGISTICS_OPERATOR]).get("/").get_data(as_text=True)
    assert page.count('href="/chamados/show/') == 1 and "Estoque" in page


def test_monitoring_needs_the_flag(app, db_ctx, desk):
    assert as_user(app, desk.users[ATTENDANCE_OPERATOR]).get("/monitoramento/").status_code == 403
    assert "Monitoramento" not in as_user(app, desk.users[ATTENDANCE_OPERATOR]).get("/").get_data(as_text=True)
    with db_ctx() as session:
        session.get(PortalUser, desk.users[ATTENDANCE_OPERATOR]).can_view_monitoring = True
        session.get(PortalUser, desk.users[CLIENT]).can_view_monitoring = True
        session.commit()
    operator = as_user(app, desk.users[ATTENDANCE_OPERATOR])
    assert operator.get("/monitoramento/").status_code == 200
    assert "/monitoramento/" in operator.get("/").get_data(as_text=True)
    assert as_user(app, desk.users[CLIENT]).get("/monitoramento/").status_code == 403


NOW = datetime(2026, 11, 23, 15, 0)


@pytest.mark.parametrize("last_seen,stale", [(None, True), (timedelta(minutes=2), False),
                                             (timedelta(minutes=6), True)])
def test_monitoring_shows_last_20_calls_and_the_sync_age(app, db_ctx, desk, last_seen, stale):
    with db_ctx() as session:
        session.get(PortalUser, desk.users[ATTENDANCE_OPERATOR]).can_view_monitoring = True
        client = session.get(Client, desk.client)
        calls = [f.call(client, session.get(Equipment, desk.equipment),
                        opened_at=datetime(2026, 11, 1, 12) + timedelta(hours=i),
                        priority_due=datetime(2026, 11, 30, 12)).id for i in range(22)]
        if last_seen is not None:
            session.add(SyncToken(name="ILUX", token_hash=uuid.uuid4().hex,
                                  last_heartbeat_at=NOW - last_seen - timedelta(minutes=5),
                                  last_used_at=NOW - last_seen))
            session.add(SyncToken(name="antigo", token_hash=uuid.uuid4().hex,
                                  last_used_at=NOW, revoked_at=NOW))
        session.commit()
    with time_machine.travel(NOW, tick=False):
        page = as_user(app, desk.users[ATTENDANCE_OPERATOR]).get("/monitoramento/").get_data(as_text=True)
    shown = [int(pk) for pk in re.findall(r'href="/chamados/show/(\d+)"', page)]
    assert shown == calls[:1:-1]  # the 20 newest, newest first
    assert "30/11/2026 09:00" in page  # the deadline, in São Paulo time
    sync = page[page.index('id="ultima-sincronizacao"'):].split("</div>")[0]
    assert ("pws-sync-stale" in sync) is stale
    if last_seen is None:
        assert "Nenhuma sincronização registrada." in sync
    else:
        assert (NOW - last_seen - timedelta(hours=3)).strftime("%d/%m/%Y %H:%M") in sync


def test_qr_label_leads_after_login_to_a_prefilled_call(app, db_ctx, desk):
    with app.test_request_context():
        code = label_code(desk.equipment)
        foreign_code = label_code(desk.foreign_equipment)
    label = as_user(app, desk.users[CALLS_OPERATOR]).get(f"/etiquetas/{desk.equipment}")
    assert label.status_code == 200
    html = label.get_data(as_text=True)
    # the QR code drawn on the label is the one of the scan URL, built from PWS_BASE_URL
    expected = segno.make(f"http://portal.test/etiquetas/q/{code}", error="m")
    drawn = re.search(r'<path transform="scale\(4\)" class="qrline" stroke="#000" d="([^"]+)"', html)
    assert drawn and drawn.group(1) in expected.svg_inline(scale=4)
    assert desk.serial in html

    visitor = app.test_client().get(f"/etiquetas/q/{code}")
    assert visitor.status_code == 302 and "/login/" in visitor.headers["Location"]
    assert desk.serial not in visitor.get_data(as_text=True)

    clerk = as_user(app, desk.users[CALL_OPENER])
    landing = clerk.get(f"/etiquetas/q/{code}").get_data(as_text=True)
    target = f"/chamados/abrir/?equipamento={desk.equipment}"
    assert target in landing
    assert desk.serial in clerk.get(target).get_data(as_text=True)
    assert clerk.get(f"/etiquetas/q/{foreign_code}").status_code == 404
    assert clerk.get(f"/etiquetas/q/{code[:-2]}xx").status_code == 404
    assert as_user(app, desk.users[CLIENT]).get(f"/etiquetas/{desk.equipment}").status_code == 403


def test_qr_label_offers_the_supply_request_of_that_equipment(app, desk):
    with app.test_request_context():
        code = label_code(desk.equipment)
    client = as_user(app, desk.users[CLIENT])
    landing = client.get(f"/etiquetas/q/{code}").get_data(as_text=True)
    target = f"/suprimentos/solicitar/equipamento/{desk.equipment}"
    assert "Solicitar suprimentos" in landing and f'href="{target}"' in landing
    page = client.get(target)
    assert page.status_code == 200 and desk.serial in page.get_data(as_text=True)


def test_the_label_is_reachable_from_the_equipment_list_and_page(app, desk):
    operator = as_user(app, desk.users[CALLS_OPERATOR])
    label = f'href="/etiquetas/{desk.equipment}"'
    assert label in operator.get(f"/equipamentos/list/?_flt_0_serial={desk.serial}").get_data(as_text=True)
    assert label in operator.get(f"/equipamentos/show/{desk.equipment}").get_data(as_text=True)
    client = as_user(app, desk.users[CLIENT])
    assert "/etiquetas/" not in client.get(f"/equipamentos/show/{desk.equipment}").get_data(as_text=True)

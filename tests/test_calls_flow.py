"""Status flow through HTTP: every transition for every profile, history, feed, e-mails, and
the SLA clock (business hours, holidays, pauses in P/L/S) under frozen time."""
import re
from datetime import date, datetime

import pytest
import time_machine

from app.calls.models import CallStatusChange, ServiceCall
from app.calls.services import TRANSITIONS, change_status
from app.notifications.models import OutboxMessage
from app.feed.models import ChangeFeedEntry
from tests import factories as f
from tests.calls_desk import (
    ADMIN, ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGISTICS_OPERATOR,
    SUPPLIES_OPERATOR, TECHNICIAN, as_user, make_desk, post,
)
from app.catalog.models import Client, Company, Contract, Equipment

MOVERS = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR, LOGISTICS_OPERATOR, TECHNICIAN, CLIENT,
          CALL_OPENER)


@pytest.fixture
def desk(db_ctx):
    with db_ctx():
        return make_desk()


def new_call(desk, status, **kw):
    """A call of our tenant, assigned to our technician and opened by the clerk."""
    from app.accounts.models import PortalUser
    from app.core.db import db

    client = db.session.get(Client, desk.client)
    equipment = db.session.get(Equipment, desk.equipment)
    tech_user = db.session.get(PortalUser, desk.users[TECHNICIAN])
    opener = db.session.get(PortalUser, desk.users[CALL_OPENER])
    return f.call(client, equipment, status=status, technician=tech_user.technician,
                  opened_by=opener, contract_id=desk.contract, **kw).id


def status_of(db_ctx, call_id):
    with db_ctx() as session:
        return session.get(ServiceCall, call_id).status


def test_every_transition_for_every_profile(app, db_ctx, desk):
    """The TRANSITIONS table is the whole truth: allowed moves happen, others are 403 (or 404
    where the call is outside the profile's scope) and leave the call unchanged."""
    wrong = []
    clients = {profile: as_user(app, desk.users[profile]) for profile in MOVERS}
    for (frm, to), roles in TRANSITIONS.items():
        for profile in MOVERS:
            with db_ctx():
                call_id = new_call(desk, frm)
            response = post(clients[profile], f"/chamados/{call_id}/status", {"para": to})
            if profile == LOGISTICS_OPERATOR and frm not in ("L", "S"):
                expected, final = 404, frm
            elif profile in roles:
                expected, final = 302, to
            else:
                expected, final = 403, frm
            got = (response.status_code, status_of(db_ctx, call_id))
            if got != (expected, final):
                wrong.append(f"{profile} {frm}->{to}: {got}, esperado {(expected, final)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("frm,to", [("A", "M"), ("O", "A"), ("C", "E"), ("E", "E")])
def test_moves_outside_the_flow_are_refused(app, db_ctx, desk, frm, to):
    with db_ctx():
        call_id = new_call(desk, frm)
    client = as_user(app, desk.users[ADMIN])
    response = post(client, f"/chamados/{call_id}/status", {"para": to}, follow_redirects=True)
    assert "não pode passar para" in response.get_data(as_text=True)
    assert status_of(db_ctx, call_id) == frm
    with db_ctx():
        assert CallStatusChange.query.count() == 0


def test_profiles_without_the_resource_cannot_move(app, db_ctx, desk):
    with db_ctx():
        call_id = new_call(desk, "A")
    client = as_user(app, desk.users[SUPPLIES_OPERATOR])
    assert post(client, f"/chamados/{call_id}/status", {"para": "E"}).status_code == 403
    assert status_of(db_ctx, call_id) == "A"


def test_foreign_call_is_404_and_unchanged(app, db_ctx, desk):
    with db_ctx():
        foreign = f.call(Client.query.get(desk.foreign_client), status="A").id
    client = as_user(app, desk.users[CALLS_OPERATOR])
    assert post(client, f"/chamados/{foreign}/status", {"para": "E"}).status_code == 404
    assert status_of(db_ctx, foreign) == "A"


def test_dispatch_writes_history_feed_and_emails(app, db_ctx, desk):
    with db_ctx():
        call_id = new_call(desk, "A", contact_email="contato@cliente.com.br")
        other_tech = f.technician("TECNICO02").id
    client = as_user(app, desk.users[CALLS_OPERATOR])
    response = post(client, f"/chamados/{call_id}/status",
                    {"para": "E", "note": "Levar toner reserva", "technician": other_tech})
    assert response.status_code == 302
    with db_ctx() as session:
        call = session.get(ServiceCall, call_id)
        assert call.status == "E" and call.technician_id == other_tech
        change = CallStatusChange.query.filter_by(call_id=call_id).one()
        assert (change.from_status, change.to_status, change.changed_by_id, change.note,
                change.source) == ("A", "E", desk.users[CALLS_OPERATOR], "Levar toner reserva", "web")
        feed = ChangeFeedEntry.query.filter_by(entity="service_order", web_id=call_id).one()
        assert feed.op == "update" and feed.data["status"] == "E"
        assert feed.data["technician_erp_id"] is not None
        mails = {m.recipients: m for m in OutboxMessage.query.filter_by(kind="call_changed")}
        assert set(mails) == {"contato@cliente.com.br", desk.emails[ATTENDANCE_OPERATOR]}
        operator_copy, contact_copy = mails[desk.emails[ATTENDANCE_OPERATOR]], mails["contato@cliente.com.br"]
        assert "Despachado" in operator_copy.subject and "Levar toner reserva" in operator_copy.body_text
        # the contact is told the status, not the operator's note nor the portal's page
        assert "Despachado" in contact_copy.subject and "Levar toner reserva" not in contact_copy.body_text
        assert "/chamados/show/" not in contact_copy.body_text
    history = client.get(f"/chamados/show/{call_id}?aba=historico").get_data(as_text=True)
    assert "Levar toner reserva" in history and "Despachado" in history


def test_erp_changes_write_history_and_email_but_are_not_echoed(app, db_ctx, desk):
    with db_ctx() as session:
        call_id = new_call(desk, "A", contact_email="contato@cliente.com.br")
        call = session.get(ServiceCall, call_id)
        change_status(call, "E", source="erp")
        assert change_status(call, "E", source="erp") is None  # same status: nothing to do
        change_status(call, "O", source="erp", note="Encerrado no ILUX")
        session.commit()
    with db_ctx() as session:
        steps = [(c.from_status, c.to_status, c.source) for c in
                 CallStatusChange.query.filter_by(call_id=call_id).order_by(CallStatusChange.id)]
        assert steps == [("A", "E", "erp"), ("E", "O", "erp")]
        assert session.get(ServiceCall, call_id).closed_at is not None
        assert ChangeFeedEntry.query.count() == 0
        # two changes, each to the operator who asked for them and to the contact
        assert OutboxMessage.query.filter_by(kind="call_changed").count() == 4


def test_resolved_in_pre_service_closes_without_a_visit(app, db_ctx, desk):
    with db_ctx():
        call_id = new_call(desk, "A")
    client = as_user(app, desk.users[ATTENDANCE_OPERATOR])
    assert post(client, f"/chamados/{call_id}/status", {"para": "O"}).status_code == 302
    with db_ctx() as session:
        call = session.get(ServiceCall, call_id)
        assert call.status == "O" and call.resolved_in_pre_service and call.closed_at
        assert "pré atendimento" in CallStatusChange.query.filter_by(call_id=call_id).one().note


def at(day, hour, minute=0):
    """São Paulo wall-clock time of November 2026 as a time-machine destination (UTC)."""
    return datetime(2026, 11, day, hour + 3, minute)


def test_sla_counts_business_hours_holidays_and_pauses(app, db_ctx, desk):
    """The company works 08:00–17:00 Mon–Fri and Friday 20/11 is its holiday (another
    company's holiday on Thursday does not count); the clock stops in Pendente and Logística."""
    with db_ctx():
        company = Company.query.get(desk.company)
        f.business_calendar(company, starts_at="08:00", ends_at="17:00")
        f.holiday(date(2026, 11, 20), company, "Consciência Negra")
        f.holiday(date(2026, 11, 24), None, "Feriado de todas as empresas")
        f.holiday(date(2026, 11, 19), f.company(), "Feriado de outra empresa")
    def move(profile, to, when, **extra):
        with time_machine.travel(when, tick=False):  # a session cookie cannot come from the future
            response = post(as_user(app, desk.users[profile]), f"/chamados/{call_id}/status",
                            {"para": to, **extra})
        assert response.status_code == 302 and "/chamados/show/" in response.headers["Location"]

    def call():
        with db_ctx() as session:
            row = session.get(ServiceCall, call_id)
            return row.priority_due, row.priority_updated_at, row.sla_paused_seconds, row.status

    with time_machine.travel(at(19, 15), tick=False):  # Thursday 15:00
        response = post(as_user(app, desk.users[CLIENT]),
                        f"/chamados/abrir/?equipamento={desk.equipment}", {
                            "defect_type": desk.defect, "description": "Não imprime",
                            "contact_name": "Ana", "contact_phone": "48 3333-0000",
                            "contact_email": "ana@cliente.com.br"})
        assert response.status_code == 302 and "/chamados/show/" in response.headers["Location"]
    with db_ctx():
        call_id = ServiceCall.query.one().id
    # Thu 15–17 (2 h), Fri holiday, weekend, Mon 08:00 + 6 h = Mon 14:00
    assert call()[:2] == (at(23, 14), None)
    move(CALLS_OPERATOR, "E", at(19, 16), technician=desk.technician)
    move(TECHNICIAN, "M", at(19, 16, 30))
    move(TECHNICIAN, "P", at(19, 16, 30))               # pause: Thu 16:30
    move(CALLS_OPERATOR, "L", at(23, 9))                # still paused (P → L)
    move(LOGISTICS_OPERATOR, "E", at(23, 10))           # parts arrived: resume
    # the pause lasted Thu 16:30–17:00 and Mon 08:00–10:00: 2 h 30 of business time
    assert call() == (at(23, 16, 30), at(23, 10), 9000, "E")
    move(TECHNICIAN, "M", at(23, 11))
    move(TECHNICIAN, "O", at(23, 16))                   # within the pushed deadline
    with time_machine.travel(at(23, 17), tick=False):
        report = as_user(app, desk.users[CALLS_OPERATOR]).get("/chamados/sla/?mes=2026-11")
    with db_ctx():
        number = Contract.query.get(desk.contract).number
    row = re.sub(r"\s+", "", _row(report.get_data(as_text=True), number))
    # closed, within the deadline, past it, compliance, open and late
    assert row.endswith("<td>1</td><td>1</td><td>0</td><td>100,0%</td><td>0</td>")


def test_late_and_near_calls_are_highlighted(app, db_ctx, desk):
    with db_ctx():
        late = new_call(desk, "E", opened_at=at(23, 8), priority_due=at(23, 10))
        near = new_call(desk, "M", opened_at=at(23, 9), priority_due=at(23, 12))
        paused = new_call(desk, "P", opened_at=at(23, 9), priority_due=at(23, 10))
        f.user(ADMIN, email="monitor@revenda.com.br", can_view_monitoring=True)
        monitor_id = f.user(CALLS_OPERATOR, [Company.query.get(desk.company)],
                            can_view_monitoring=True).id
    with time_machine.travel(at(23, 10, 30), tick=False):
        client = as_user(app, monitor_id)
        listing = client.get("/chamados/list/").get_data(as_text=True)
        monitoring = client.get("/monitoramento/").get_data(as_text=True)
        report = client.get("/chamados/sla/?mes=2026-11").get_data(as_text=True)
    for page in (listing, monitoring):
        rows = {pk: _row(page, pk) for pk in (late, near, paused)}
        assert 'class="danger"' in rows[late] and "Atrasado" in rows[late]
        assert 'class="warning"' in rows[near] and "Próximo do prazo" in rows[near]
        assert 'class="info"' in rows[paused] and "Prazo pausado" in rows[paused]
    assert re.sub(r"\s+", "", report).count("<td>1</td></tr>") == 1  # one open call is late


def _row(html, key):
    start = html.index(f"<td>{key}</td>")
    return html[html.rindex("<tr", 0, start):html.index("</tr>", start)]


def test_state_changes_need_the_csrf_token(app, db_ctx, desk):
    with db_ctx():
        call_id = new_call(desk, "A")
    client = as_user(app, desk.users[ADMIN])
    assert client.post(f"/chamados/{call_id}/status", data={"para": "E"}).status_code == 400
    assert client.get(f"/chamados/{call_id}/status?para=E").status_code == 405
    assert status_of(db_ctx, call_id) == "A"

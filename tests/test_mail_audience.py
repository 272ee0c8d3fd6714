"""Issue 15's property: an e-mail goes to exactly the people who can open what it links to.

Over the route × role world (every profile, rows in and out of each scope) with every user
asking for every kind: for each action that sends e-mail, every recipient gets 200 on the page
his copy links to, and every user who gets 200 there (and is on the kind's side) received it.
Runs on SQLite and on MariaDB (TEST_DATABASE_URL).
"""
import re

import pytest
from sqlalchemy import select

from app.accounts.models import EMAIL_PREFERENCES, PortalUser
from app.accounts.principal import principal_for_user_id
from app.accounts.roles import (
    ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGISTICS_OPERATOR, TECHNICIAN,
)
from app.billing.services import Upload, import_billing_files
from app.calls import services as calls
from app.calls.models import ServiceCall
from app.catalog.models import Client, Company, Equipment, Technician
from app.contact.services import send_contact
from app.core.db import db
from app.notifications.kinds import MAIL_KINDS
from app.notifications.models import OutboxMessage
from app.notifications.recipients import SIDE_PROFILES
from app.supplies.models import SupplyStatus
from app.supplies.services import update_supply_request
from tests import factories as f
from tests.conftest import login_as
from tests.factories import pdf_bytes
from tests.world import build_world

BASE = "http://portal.test"
# The page each kind's copy for a portal user links to (billing: the file it announces).
PAGE = re.compile(BASE + r"(/(?:chamados/show|suprimentos/acompanhar/show|faturamento/baixar|"
                  r"contato/mensagens/show)/\d+(?:\?aba=[\w-]+)?)")


def _user(world, profile) -> PortalUser:
    return PortalUser.query.filter_by(email=world["users"][profile]).one()


def _actor(world, profile):
    """That profile's user as the services see him."""
    return principal_for_user_id(_user(world, profile).id)


def _erp_call(world, status="A"):
    """A call the ERP opened: no opener, its contact has no login."""
    return f.call(db.session.get(Client, world["client"]), db.session.get(Equipment, world["equipment"]),
                  status=status, contact_email="contato.erp@cliente.test")


def _opened_call(world):
    equipment = db.session.get(Equipment, world["equipment"])
    return calls.open_call(equipment=equipment, defect_type_id=world["defect"], description="Não liga",
                           contact_name="Ana", contact_phone="1133334444",
                           contact_email="ana@cliente.test", opener=_actor(world, CALL_OPENER))


def _dispatch(world):
    call = _erp_call(world)
    calls.change_status(call, "E", actor=_actor(world, ATTENDANCE_OPERATOR), note="Levar toner",
                        technician_id=world["technician"])


def _logistics(world):
    call = db.session.get(ServiceCall, world["call"])  # in L, opened by the clerk
    calls.change_status(call, "S", actor=_actor(world, LOGISTICS_OPERATOR))


def _dealer_message(world):
    calls.post_pre_service_message(_erp_call(world), author=_actor(world, CALLS_OPERATOR),
                                   body="Envie a foto do painel")


def _client_answer(world):
    call = _opened_call(world)
    calls.post_pre_service_message(call, author=_actor(world, CALL_OPENER), body="Segue")


def _supply_release(world):
    request = f.supply_request(db.session.get(Equipment, world["equipment"]))
    update_supply_request(request, status=SupplyStatus.INVOICED)


def _billing(world):
    import_billing_files(db.session.get(Client, world["client"]), contract=None, month=11, year=2026,
                         note=None, uploads=[Upload("fatura.pdf", pdf_bytes())], send_email=True,
                         actor=_actor(world, "Admin Revenda"))


def _contact(kind):
    def send(world):
        sender = _user(world, CLIENT)
        send_contact(sender, kind=kind, subject="Toner", message="Preciso de ajuda",
                     client=db.session.get(Client, world["client"]))
    return send


ACTIONS = {
    "abrir chamado no portal": _opened_call,
    "chamado aberto no ILUX": lambda world: calls.tell_call_opened(_erp_call(world)),
    "despachar chamado do ILUX": _dispatch,
    "logística passa para estoque": _logistics,
    "pré atendimento: revenda escreve": _dealer_message,
    "pré atendimento: cliente responde": _client_answer,
    "suprimentos faturados": _supply_release,
    "arquivos de faturamento": _billing,
    "contato": _contact("contact"),
    "oportunidade": _contact("opportunity"),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_email_reaches_exactly_who_can_open_its_page(app, db_ctx, action):
    with db_ctx() as session:
        world = build_world()
        for user in PortalUser.query:
            for name in EMAIL_PREFERENCES:
                setattr(user, name, True)
        session.commit()
        OutboxMessage.query.delete()
        ACTIONS[action](world)
        session.commit()
        sent = [(m.kind, m.recipients, m.user_id, m.body_text) for m in OutboxMessage.query]
        users = {u.email: (u.id, u.profile) for u in PortalUser.query}
    assert sent, f"{action}: no e-mail"
    wrong = []
    by_kind: dict[str, set] = {}
    for kind, address, user_id, text in sent:
        assert "," not in address
        spec = MAIL_KINDS[kind]
        by_kind.setdefault(kind, set()).add(address)
        if user_id is None:  # the call's contact: no portal page, no internal note
            assert spec.contact and address not in users, f"{kind} → {address}"
            assert "Levar toner" not in text and "/chamados/show/" not in text
            continue
        assert users[address][0] == user_id
        page = PAGE.search(text)
        assert page, f"{kind} for {address}: no page link in\n{text}"
        status = login_as(app.test_client(), user_id).get(page.group(1)).status_code
        if status != 200:
            wrong.append(f"{kind} → {users[address][1]} <{address}> gets {status} on {page.group(1)}")
        by_kind.setdefault(f"{kind}:page", set()).add(page.group(1))
    for kind, pages in by_kind.items():
        if ":" in kind or MAIL_KINDS[kind].personal:
            continue
        spec = MAIL_KINDS[kind]
        for path in by_kind.get(f"{kind}:page", ()):
            for address, (user_id, profile) in users.items():
                if spec.side and profile not in SIDE_PROFILES[spec.side]:
                    continue
                opens = login_as(app.test_client(), user_id).get(path).status_code == 200
                if opens and address not in pages and address not in by_kind[kind]:
                    wrong.append(f"{kind}: {profile} <{address}> opens {path} and was left out")
    assert not wrong, f"{action}:\n" + "\n".join(wrong)


def test_the_technician_is_told_of_a_call_dispatched_to_him_and_taken_from_him(app, db_ctx):
    with db_ctx() as session:
        world = build_world()
        technician = _user(world, TECHNICIAN)
        call = _erp_call(world)
        calls.change_status(call, "E", actor=_actor(world, CALLS_OPERATOR),
                            technician_id=world["technician"])
        session.commit()
        assert [(m.recipients, m.kind) for m in OutboxMessage.query.filter_by(kind="call_assignment")] == [
            (technician.email, "call_assignment")]
        other = Technician(erp_id="T-2", name="TECNICO02", active=True)
        session.add(other)
        session.flush()
        OutboxMessage.query.delete()
        calls.change_status(call, "A", actor=_actor(world, CALLS_OPERATOR))
        calls.change_status(call, "E", actor=_actor(world, CALLS_OPERATOR), technician_id=other.id)
        session.commit()
        taken = OutboxMessage.query.filter_by(kind="call_assignment").one()
        assert taken.recipients == technician.email
        assert "não está mais com você" in taken.body_text and "/chamados/show/" not in taken.body_text


def test_the_audience_table_in_the_docs_is_the_codes():
    from pathlib import Path

    from app.notifications.audience_table import audience_markdown

    doc = (Path(__file__).resolve().parent.parent / "docs" / "email.md").read_text(encoding="utf-8")
    shown = doc.split("<!-- audience:start -->\n", 1)[1].split("<!-- audience:end -->", 1)[0]
    assert shown == audience_markdown(), "run `flask pws email-audience` and paste it into docs/email.md"


def test_a_call_opened_in_the_erp_is_emailed_like_one_opened_in_the_portal(app, db_ctx, client):
    """Through the sync API: the opening e-mail goes to those who can open the ERP's call."""
    from tests.sync_support import master_data, push

    with db_ctx():
        plain = f.sync_token()[1]
    records = master_data()
    order = next(r for r in records if r["entity"] == "service_order")
    assert push(client, plain, [r for r in records if r is not order]).status_code == 200
    with db_ctx() as session:
        branch = session.execute(select(Company).filter_by(erp_id="2")).scalar_one()
        head_office = session.execute(select(Company).filter_by(erp_id="1")).scalar_one()
        customer = session.execute(select(Client).filter_by(erp_id="6")).scalar_one()
        wants = {"email_call_opened": True}
        f.user(ATTENDANCE_OPERATOR, [branch], email="filial@revenda.test", **wants)
        f.user(ATTENDANCE_OPERATOR, [head_office], email="matriz@revenda.test", **wants)
        f.user(CLIENT, [head_office], [customer], email="gestor@jayob.test", client_manager=True, **wants)
        f.user(CALL_OPENER, [head_office], [customer], email="abertura@jayob.test", **wants)
        session.commit()
    assert push(client, plain, [order]).status_code == 200  # the order is the head office's
    with db_ctx():
        sent = {m.recipients: m for m in OutboxMessage.query.filter_by(kind="call_opened")}
    assert sorted(sent) == ["gestor@jayob.test", "matriz@revenda.test"]
    assert all("Atolamento de papel na bandeja 2" in m.body_text for m in sent.values())

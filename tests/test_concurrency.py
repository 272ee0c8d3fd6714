"""Concurrent edits and double submits through HTTP, with real threads (issue 22, items 1–2).

Each race starts its requests together (a barrier) from clients logged in as different users;
on MariaDB the row lock and the unique key make the loser wait, on SQLite the version check of
the UPDATE and the database's one writer decide. Both passes run every test here.
"""
import threading
from datetime import date, datetime

from sqlalchemy import func, select

from app.calls.models import CallStatusChange, Holiday, PreServiceMessage, ServiceCall
from app.accounts.models import PortalUser
from app.catalog.models import Client, Equipment
from app.contact.models import ContactMessage
from app.core.db import utcnow
from app.core.idempotency import IdempotencyKey
from app.feed.models import ChangeFeedEntry
from app.notifications.models import OutboxMessage
from app.supplies.models import SupplyRequest
from tests import factories as f
from tests.calls_desk import ATTENDANCE_OPERATOR, CALLS_OPERATOR, CLIENT, SUPPLIES_OPERATOR, as_user, make_desk
from tests.conftest import form_fields, hidden_value, login_as
from tests.live import mariadb_pass_only

CHANGED = "acabou de ser alterado por outra pessoa e agora está em"
STALE = "Outra pessoa alterou este registro enquanto você o editava. Nada foi salvo"
REPEATED = "Este formulário já tinha sido enviado"


def together(*posts):
    """Run the POSTs at once, one thread each; their responses in order."""
    start = threading.Barrier(len(posts))
    answers = [None] * len(posts)

    def run(index, post):
        start.wait(timeout=30)
        answers[index] = post()

    threads = [threading.Thread(target=run, args=(i, post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers), "a request did not finish"
    return answers


def poster(client, url, data):
    return lambda: client.post(url, data=data)


def count(db_ctx, stmt):
    with db_ctx() as session:
        return session.execute(stmt).scalar()


def feed_entries(db_ctx, entity, web_id=None, op=None):
    stmt = select(func.count()).select_from(ChangeFeedEntry).where(ChangeFeedEntry.entity == entity)
    if web_id is not None:
        stmt = stmt.where(ChangeFeedEntry.web_id == web_id)
    if op is not None:
        stmt = stmt.where(ChangeFeedEntry.op == op)
    return count(db_ctx, stmt)


def emails(db_ctx, kind):
    return count(db_ctx, select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind))


# --- the status race --------------------------------------------------------------------------

def test_two_operators_moving_one_call_at_once_give_one_winner_and_one_refusal(app, peer_app, db_ctx):
    """In the Galera pass the second operator's server writes through another node."""
    with db_ctx() as session:
        desk = make_desk()
        customer, equipment = session.get(Client, desk.client), session.get(Equipment, desk.equipment)
        calls = [f.call(customer, equipment).id for _ in range(101)]
    first = as_user(app, desk.users[CALLS_OPERATOR])
    second = as_user(peer_app, desk.users[ATTENDANCE_OPERATOR])

    def move(client, pk, target):
        token = form_fields(client, f"/chamados/show/{pk}")["csrf_token"]
        return lambda: client.post(f"/chamados/{pk}/status",
                                   data={"csrf_token": token, "de": "A", "para": target})

    # One change alone, for the e-mails and feed entries a single change makes.
    control = calls.pop()
    assert move(first, control, "C")().status_code == 302
    one_change_emails = emails(db_ctx, "call_changed")
    assert one_change_emails > 0

    for pk in calls:
        cancel, dispatch = together(move(first, pk, "C"), move(second, pk, "E"))
        assert {cancel.status_code, dispatch.status_code} == {302}
        won = [r for r in (cancel, dispatch) if r.headers["Location"].endswith("aba=historico")]
        assert len(won) == 1, f"call {pk}: {cancel.headers['Location']} / {dispatch.headers['Location']}"
        loser_client = second if won[0] is cancel else first
        winner_status = "Cancelado" if won[0] is cancel else "Despachado"
        page = loser_client.get(f"/chamados/show/{pk}").get_data(as_text=True)
        assert f"O chamado Nº {pk} {CHANGED} {winner_status}. Nada foi alterado" in page
        with db_ctx() as session:
            moves = session.execute(select(CallStatusChange.to_status).where(
                CallStatusChange.call_id == pk, CallStatusChange.from_status == "A")).scalars().all()
            assert len(moves) == 1
            assert session.get(ServiceCall, pk).status == moves[0]
        assert feed_entries(db_ctx, "service_order", pk, "update") == 1
    assert emails(db_ctx, "call_changed") == one_change_emails * (len(calls) + 1)


def test_a_status_form_shown_before_another_change_is_refused(app, db_ctx):
    with db_ctx() as session:
        desk = make_desk()
        pk = f.call(session.get(Client, desk.client), session.get(Equipment, desk.equipment)).id
    operator = as_user(app, desk.users[CALLS_OPERATOR])
    seen = form_fields(operator, f"/chamados/show/{pk}", "de")
    assert seen["de"] == "A"
    with db_ctx() as session:
        session.get(ServiceCall, pk).status = "E"
        session.commit()
    response = operator.post(f"/chamados/{pk}/status", data={**seen, "para": "C"})
    assert response.headers["Location"].endswith(f"/chamados/show/{pk}")
    page = operator.get(f"/chamados/show/{pk}").get_data(as_text=True)
    assert f"O chamado Nº {pk} {CHANGED} Despachado. Nada foi alterado" in page
    with db_ctx() as session:
        assert session.get(ServiceCall, pk).status == "E"
        assert session.query(CallStatusChange).filter_by(call_id=pk).count() == 0


# --- edits of one row ---------------------------------------------------------------------------

def _supply_world(db_ctx):
    with db_ctx():
        company = f.company()
        customer = f.client(company)
        model = f.equipment_model()
        equipment = f.equipment(customer, model=model)
        toner = f.supply_item([model])
        carrier = f.carrier()
        operators = [f.user(SUPPLIES_OPERATOR, [company]).id, f.user(ATTENDANCE_OPERATOR, [company]).id]
        requests = [f.supply_request(equipment, [(toner, 1, 100)]).id for _ in range(20)]
        return operators, requests, carrier.id


def test_two_operators_editing_one_supply_request_at_once_change_it_once(app, db_ctx):
    operators, requests, carrier = _supply_world(db_ctx)
    clients = [login_as(app.test_client(), uid) for uid in operators]
    for pk in requests:
        url = f"/suprimentos/acompanhar/edit/{pk}"
        forms = [form_fields(client, url, "row_version") for client in clients]
        base = {"carrier_id": str(carrier), "invoice_number": "", "invoice_date": ""}
        answers = together(
            poster(clients[0], url, {**forms[0], **base, "status": "control", "tracking_code": "PRIMEIRO"}),
            poster(clients[1], url, {**forms[1], **base, "status": "cancelled", "tracking_code": "SEGUNDO"}))
        won = [i for i, r in enumerate(answers) if r.headers["Location"].endswith(f"/show/{pk}")]
        lost = [i for i, r in enumerate(answers) if r.headers["Location"].endswith(url)]
        assert len(won) == 1 and len(lost) == 1, [r.headers["Location"] for r in answers]
        page = clients[lost[0]].get(url).get_data(as_text=True)
        assert STALE in page
        with db_ctx() as session:
            row = session.get(SupplyRequest, pk)
            assert (row.tracking_code, row.status) == [("PRIMEIRO", "control"),
                                                       ("SEGUNDO", "cancelled")][won[0]]
            assert row.row_version == 2
        assert feed_entries(db_ctx, "supply_request", pk, "update") == 1


def test_a_stale_supply_edit_form_is_refused_and_shows_the_current_data(app, db_ctx):
    operators, requests, carrier = _supply_world(db_ctx)
    first, second = (login_as(app.test_client(), uid) for uid in operators)
    url = f"/suprimentos/acompanhar/edit/{requests[0]}"
    stale = form_fields(first, url, "row_version")
    fresh = form_fields(second, url, "row_version")
    base = {"carrier_id": str(carrier), "invoice_number": "", "invoice_date": "", "status": "control"}
    assert second.post(url, data={**fresh, **base, "tracking_code": "NOVO"}).status_code == 302
    response = first.post(url, data={**stale, **base, "tracking_code": "VELHO"})
    assert response.headers["Location"].endswith(url)
    page = first.get(url).get_data(as_text=True)
    assert STALE in page and 'value="NOVO"' in page and hidden_value(page, "row_version") == "2"
    with db_ctx() as session:
        assert session.get(SupplyRequest, requests[0]).tracking_code == "NOVO"


def test_a_stale_edit_form_of_a_generated_screen_is_refused(app, db_ctx):
    """The seam of every generated edit screen (here Feriados; users and defects alike)."""
    with db_ctx():
        company = f.company()
        holiday = f.holiday(date(2026, 12, 25), company, name="Natal").id
        company_id, admin = company.id, f.user("Admin Revenda").id
    first, second = login_as(app.test_client(), admin), login_as(app.test_client(), admin)
    url = f"/feriados/edit/{holiday}"
    stale, fresh = form_fields(first, url, "row_version"), form_fields(second, url, "row_version")
    data = {"day": "2026-12-25", "company": str(company_id)}
    assert second.post(url, data={**fresh, **data, "name": "Natal (revenda)"}).status_code == 302
    response = first.post(url, data={**stale, **data, "name": "Feriado de Natal"})
    assert response.headers["Location"].endswith(url)
    page = first.get(url).get_data(as_text=True)
    assert STALE in page and "Natal (revenda)" in page
    with db_ctx() as session:
        assert session.get(Holiday, holiday).name == "Natal (revenda)"


def test_two_admins_saving_one_holiday_at_once_change_it_once(app, db_ctx):
    """Both forms carry the same, current version: the UPDATE's version check picks one."""
    with db_ctx():
        company = f.company()
        company_id, admin = company.id, f.user("Admin Revenda").id
        holidays = [f.holiday(date(2026, 1, 1 + day), company, name="Feriado").id for day in range(10)]
    clients = [login_as(app.test_client(), admin) for _ in range(2)]
    for pk in holidays:
        url = f"/feriados/edit/{pk}"
        forms = [form_fields(client, url, "row_version") for client in clients]
        with db_ctx() as session:
            day = {"day": session.get(Holiday, pk).day.isoformat(), "company": str(company_id)}
        answers = together(*[poster(client, url, {**form, **day, "name": f"Feriado {index}"})
                             for index, (client, form) in enumerate(zip(clients, forms))])
        refused = [index for index, client in enumerate(clients) if STALE in client.get(url).get_data(as_text=True)]
        assert len(refused) == 1, [r.headers.get("Location") for r in answers]
        with db_ctx() as session:
            row = session.get(Holiday, pk)
            assert (row.name, row.row_version) == (f"Feriado {1 - refused[0]}", 2)


# --- double submits -------------------------------------------------------------------------------

def test_three_posts_of_one_abrir_chamado_form_open_one_call(app, db_ctx):
    with db_ctx():
        desk = make_desk()
    client = as_user(app, desk.users[CLIENT])
    url = f"/chamados/abrir/?equipamento={desk.equipment}"
    shown = form_fields(client, url, "pws_form_token")
    data = {**shown, "defect_type": desk.defect, "description": "Atolando papel na bandeja 2",
            "contact_name": "Luciano Peçanha", "contact_phone": "(48) 3028-1348",
            "contact_email": "luciano@cliente.com.br"}
    answers = together(*[poster(client, url, data)] * 3)
    with db_ctx() as session:
        calls = session.execute(select(ServiceCall.id)).scalars().all()
    assert len(calls) == 1
    assert {(r.status_code in (302, 303), r.headers["Location"].endswith(f"/chamados/show/{calls[0]}"))
            for r in answers} == {(True, True)}
    assert feed_entries(db_ctx, "service_order", calls[0], "create") == 1
    opened = emails(db_ctx, "call_opened")
    # The same form again, later: the first answer, nothing new.
    repeat = client.post(url, data=data)
    assert repeat.headers["Location"].endswith(f"/chamados/show/{calls[0]}")
    assert REPEATED in client.get(repeat.headers["Location"]).get_data(as_text=True)
    assert emails(db_ctx, "call_opened") == opened
    # A new display of the form has a new token: a second call.
    again = {**data, **form_fields(client, url, "pws_form_token")}
    assert again["pws_form_token"] != data["pws_form_token"]
    client.post(url, data=again)
    assert count(db_ctx, select(func.count()).select_from(ServiceCall)) == 2


def test_two_calls_opened_at_once_for_one_unknown_contact_send_one_confirmation(app, db_ctx):
    """Two forms (two tokens) naming the same address nobody confirmed yet: both calls open and
    the address is asked to confirm once (the contact_address row is one, not a 500). MariaDB:
    SQLite lets one writer at a time, so two openings cannot meet there."""
    mariadb_pass_only()
    with db_ctx():
        desk = make_desk()
    clients = [as_user(app, desk.users[CLIENT]), as_user(app, desk.users[ATTENDANCE_OPERATOR])]
    url = f"/chamados/abrir/?equipamento={desk.equipment}"
    posts = [poster(client, url, {**form_fields(client, url, "pws_form_token"), "defect_type": desk.defect,
                                  "description": "Sem toner", "contact_name": "Rita Quintana",
                                  "contact_phone": "(48) 3028-1349", "contact_email": "rita@novo-contato.com.br"})
             for client in clients]
    answers = together(*posts)
    assert [r.status_code for r in answers] == [302, 302]
    assert count(db_ctx, select(func.count()).select_from(ServiceCall)) == 2
    assert emails(db_ctx, "contact_confirmation") == 1


def test_three_posts_of_one_supply_request_form_make_one_request(app, db_ctx):
    operators, _requests, _carrier = _supply_world(db_ctx)
    with db_ctx() as session:
        request = session.get(SupplyRequest, _requests[0])
        equipment, toner = request.equipment_id, request.items[0].supply_item_id
        before = session.query(SupplyRequest).count()
    client = login_as(app.test_client(), operators[0])
    url = f"/suprimentos/solicitar/equipamento/{equipment}"
    data = {**form_fields(client, url, "pws_form_token"), "observacao": "Toner acabando",
            f"quantidade_{toner}": "1", f"contador_{toner}": "200"}
    answers = together(*[poster(client, url, data)] * 3)
    with db_ctx() as session:
        created = session.execute(select(SupplyRequest.id).order_by(SupplyRequest.id.desc())).scalars().first()
        assert session.query(SupplyRequest).count() == before + 1
    assert {r.headers["Location"].endswith(f"/suprimentos/acompanhar/show/{created}") for r in answers} == {True}
    assert feed_entries(db_ctx, "supply_request", created, "create") == 1


def test_three_posts_of_one_pre_service_message_make_one_message(app, db_ctx):
    with db_ctx() as session:
        desk = make_desk()
        pk = f.call(session.get(Client, desk.client), session.get(Equipment, desk.equipment),
                    contact_email="luciano@cliente.com.br").id
    operator = as_user(app, desk.users[CALLS_OPERATOR])
    shown = form_fields(operator, f"/chamados/show/{pk}?aba=pre-atendimento", "pws_form_token")
    data = {**shown, "body": "Pode enviar uma foto do painel?"}
    url = f"/chamados/pre-atendimento/{pk}/mensagem"
    answers = together(*[poster(operator, url, data)] * 3)
    assert {r.headers["Location"].endswith("aba=pre-atendimento") for r in answers} == {True}
    assert count(db_ctx, select(func.count()).select_from(PreServiceMessage)) == 1
    assert feed_entries(db_ctx, "pre_service_message", op="create") == 1
    one_set = emails(db_ctx, "pre_service_message")
    assert one_set > 0
    fresh = form_fields(operator, f"/chamados/show/{pk}?aba=pre-atendimento", "pws_form_token")
    operator.post(url, data={**fresh, "body": "E o número de série, por favor."})
    assert emails(db_ctx, "pre_service_message") == 2 * one_set
    assert count(db_ctx, select(func.count()).select_from(PreServiceMessage)) == 2


def test_a_create_form_of_a_generated_screen_posted_twice_makes_one_row(app, db_ctx):
    with db_ctx():
        admin = f.user("Admin Revenda").id
    client = login_as(app.test_client(), admin)
    data = {**form_fields(client, "/feriados/add", "pws_form_token"), "day": "2026-11-20",
            "name": "Consciência Negra", "company": ""}
    answers = together(*[poster(client, "/feriados/add", data)] * 2)
    assert len({r.headers["Location"] for r in answers}) == 1  # the repeat answers like the first
    assert count(db_ctx, select(func.count()).select_from(Holiday)) == 1


def test_a_contact_message_posted_twice_is_sent_once(app, db_ctx):
    with db_ctx():
        company = f.company()
        customer = f.client(company)
        sender = f.user(CLIENT, [company], [customer]).id
    client = login_as(app.test_client(), sender)
    data = {**form_fields(client, "/contato/", "pws_form_token"), "kind": "contact",
            "subject": "Toner", "message": "Olá, preciso de toner."}
    answers = together(*[poster(client, "/contato/", data)] * 2)
    assert {r.headers["Location"].endswith("/contato/") for r in answers} == {True}
    assert count(db_ctx, select(func.count()).select_from(ContactMessage)) == 1


def test_a_stale_user_edit_and_a_stale_meus_dados_are_refused(app, db_ctx):
    with db_ctx():
        company = f.company()
        admin = f.user("Admin Revenda").id
        operator_id = f.user(CALLS_OPERATOR, [company], email="operador@revenda.test").id
        company_id = company.id
    own = login_as(app.test_client(), operator_id)
    mine = form_fields(own, "/userinfoeditview/form", "row_version")
    with db_ctx() as session:  # meanwhile, a change to his row (here straight in the database)
        session.get(PortalUser, operator_id).email_call_changed = True
        session.commit()
    response = own.post("/userinfoeditview/form", data={**mine, "first_name": "Ana Maria"})
    assert STALE in own.get(response.headers["Location"]).get_data(as_text=True)
    with db_ctx() as session:
        assert session.get(PortalUser, operator_id).first_name != "Ana Maria"
    first, second = login_as(app.test_client(), admin), login_as(app.test_client(), admin)
    url = f"/usuarios/edit/{operator_id}"
    stale, fresh = form_fields(first, url, "row_version"), form_fields(second, url, "row_version")
    user = {"email": "operador@revenda.test", "profile": CALLS_OPERATOR, "companies": [str(company_id)],
            "active": "y"}
    assert second.post(url, data={**fresh, **user, "first_name": "Operadora Ana"}).status_code == 302
    response = first.post(url, data={**stale, **user, "first_name": "Operador Beto"})
    assert response.headers["Location"].endswith(url)
    assert STALE in first.get(url).get_data(as_text=True)
    with db_ctx() as session:
        assert session.get(PortalUser, operator_id).first_name == "Operadora Ana"


def test_purge_drops_the_form_tokens_past_their_window(app, db_ctx):
    with db_ctx() as session:
        session.add_all([IdempotencyKey(key_hash="a" * 64, created_at=datetime(2026, 11, 1)),
                         IdempotencyKey(key_hash="b" * 64, created_at=utcnow())])
        session.commit()
    result = app.test_cli_runner().invoke(args=["pws", "purge-idempotency"])
    assert result.exit_code == 0 and "apagadas: 1." in result.output
    with db_ctx() as session:
        assert session.execute(select(IdempotencyKey.key_hash)).scalars().all() == ["b" * 64]

"""Acompanhar chamados: search, sort, pagination, per-profile scope and the company selector."""
from datetime import datetime

import pytest

from app.accounts.models import PortalUser
from app.catalog.models import Client, Contract, Equipment, Technician
from tests import factories as f
from tests.calls_desk import (
    ADMIN, CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGISTICS_OPERATOR, TECHNICIAN, as_user, make_desk,
    post,
)
from tests.tenants import make_tenant


@pytest.fixture
def desk(db_ctx):
    with db_ctx():
        return make_desk()


def links(html):
    import re

    return [int(pk) for pk in re.findall(r'href="/chamados/show/(\d+)"', html)]


def listing(client, **args):
    response = client.get("/chamados/list/", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def rows(db_ctx, desk):
    """Ours and a foreign client of the same company, with look-alike values."""
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        company = ours.company
        theirs = f.client(company, name="CLIENTE VIZINHO")
        their_contract = f.contract(theirs)
        their_contract.number = "C-9999"
        their_equipment = f.equipment(theirs, contract=their_contract, asset_tag="PAT-0043")
        their_tech = f.technician("TECNICO ALFA")
        mine = f.call(ours, session.get(Equipment, desk.equipment), status="E",
                      technician=session.get(Technician, desk.technician), erp_id="1055120",
                      contract_id=desk.contract, opened_at=datetime(2026, 11, 10, 15, 0))
        other = f.call(theirs, their_equipment, status="E", technician=their_tech,
                       erp_id="1055121", contract_id=their_contract.id,
                       opened_at=datetime(2026, 11, 10, 16, 0))
        return {"mine": mine.id, "theirs": other.id, "serial": desk.serial,
                "contract": session.get(Contract, desk.contract).number,
                "tech": session.get(Technician, desk.technician).name,
                "client": ours.trade_name}


def test_client_searches_by_every_field_and_never_finds_foreign_calls(app, desk, rows):
    client = as_user(app, desk.users[CLIENT])
    searches = [
        {"numero": str(rows["mine"])}, {"numero": "1055120"}, {"serie": rows["serial"][:5]},
        {"serie": "PAT-004"}, {"contrato": "C-"}, {"tecnico": "TECNICO"},
        {"cliente": "CLIENTE"}, {"status": "E"}, {"de": "2026-11-10", "ate": "2026-11-10"},
    ]
    for args in searches:
        found = links(listing(client, **args))
        assert rows["mine"] in found, args
        assert rows["theirs"] not in found, args
    for args in ({"numero": "1055121"}, {"serie": "PAT-0043"}, {"contrato": "C-9999"},
                 {"cliente": "CLIENTE VIZINHO"}, {"status": "A"}, {"de": "2026-11-11"},
                 {"ate": "2026-11-09"}):
        assert links(listing(client, **args)) == [], args


def test_operator_finds_each_call_by_its_own_values(app, desk, rows):
    client = as_user(app, desk.users[CALLS_OPERATOR])
    assert links(listing(client)) == [rows["theirs"], rows["mine"]]
    assert links(listing(client, numero="1055121")) == [rows["theirs"]]
    assert links(listing(client, serie="PAT-0043")) == [rows["theirs"]]
    assert links(listing(client, tecnico="TECNICO AL")) == [rows["theirs"]]
    assert links(listing(client, cliente=rows["client"])) == [rows["mine"]]
    assert links(listing(client, contrato=rows["contract"])) == [rows["mine"]]
    assert links(listing(client, serie="%")) == []  # LIKE wildcards are literal


def test_period_uses_sao_paulo_dates(app, db_ctx, desk):
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        late_night = f.call(ours, opened_at=datetime(2026, 11, 11, 2, 30)).id  # 10/11 23:30 local
    client = as_user(app, desk.users[CALLS_OPERATOR])
    assert links(listing(client, de="2026-11-10", ate="2026-11-10")) == [late_night]
    assert links(listing(client, de="2026-11-11")) == []


def test_sorts_by_dates_and_deadline(app, db_ctx, desk):
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        made = {status: f.call(ours, status=status, opened_at=datetime(2026, 11, 1 + i, 12),
                               priority_due=datetime(2026, 11, 20 - i, 12)).id
                for i, status in enumerate(["O", "A", "P", "E"])}
    client = as_user(app, desk.users[CALLS_OPERATOR])
    assert links(listing(client, ordem="abertura")) == [made[s] for s in "OAPE"]
    assert links(listing(client)) == [made[s] for s in "EPAO"]
    assert links(listing(client, ordem="prazo")) == [made[s] for s in "EPA"]
    assert links(listing(client, ordem="prazo", status="O")) == [made["O"]]


def test_status_order_is_not_offered_the_status_filter_is(app, db_ctx, desk):
    """No index serves "status then date" across every company at a million calls: the list
    offers the status filter with the date order instead, and says so."""
    client = as_user(app, desk.users[CALLS_OPERATOR])
    assert client.get("/chamados/list/?ordem=status").status_code == 400
    page = listing(client)
    assert "ordem=status" not in page and "ordem=-status" not in page
    assert "escolha-o no filtro" in page


def test_by_deadline_only_calls_with_one_in_an_open_status(app, db_ctx, desk):
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        made = {status: f.call(ours, status=status, opened_at=datetime(2026, 11, 1, 12),
                               priority_due=datetime(2026, 11, 10 + i, 12)).id
                for i, status in enumerate(["O", "C", "T", "A", "E"])}
        f.call(ours, status="M", opened_at=datetime(2026, 11, 1, 12))  # no deadline
    client = as_user(app, desk.users[CALLS_OPERATOR])
    assert links(listing(client, ordem="prazo")) == [made["A"], made["E"]]
    assert links(listing(client, ordem="-prazo")) == [made["E"], made["A"]]
    assert links(listing(client, ordem="-prazo", status="C")) == [made["C"]]


def test_pagination_text(app, db_ctx, desk):
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        for _ in range(25):
            f.call(ours)
    client = as_user(app, desk.users[CALLS_OPERATOR])
    first = listing(client)
    assert "Página 1 de 2, mostrando 1 a 20 de 25 chamados" in first and len(links(first)) == 20
    second = listing(client, pagina=2)
    assert "Página 2 de 2, mostrando 21 a 25 de 25 chamados" in second
    assert len(links(second)) == 5 and not set(links(first)) & set(links(second))
    assert "Página 2 de 2" in listing(client, pagina=99)
    assert "Nenhum chamado encontrado" in listing(client, numero="0")


def test_logistics_sees_only_calls_waiting_for_parts(app, db_ctx, desk):
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        by_status = {status: f.call(ours, status=status).id for status in "AEMPLSOTC"}
    found = links(listing(as_user(app, desk.users[LOGISTICS_OPERATOR])))
    assert sorted(found) == sorted([by_status["L"], by_status["S"]])
    assert sorted(links(listing(as_user(app, desk.users[CALLS_OPERATOR])))) == sorted(by_status.values())


def test_a_non_manager_client_user_sees_only_his_calls(app, db_ctx, desk):
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        his = f.call(ours, opened_by=session.get(PortalUser, desk.users[CALL_OPENER])).id
        f.call(ours)
    assert links(listing(as_user(app, desk.users[CALL_OPENER]))) == [his]
    assert len(links(listing(as_user(app, desk.users[CLIENT])))) == 2


def test_a_technician_sees_his_assigned_and_opened_calls_each_once_in_order(app, db_ctx, desk):
    """His scope is a union of two index-served reads (app.core.scoping.scoped_union): the
    list counts, sorts and pages over both, a call in both appears once, others' calls never."""
    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        tech = session.get(Technician, desk.technician)
        him = session.get(PortalUser, desk.users[TECHNICIAN])

        def made(day, **kw):
            return f.call(ours, status="A", opened_at=datetime(2026, 11, day, 12),
                          priority_due=datetime(2026, 12, 30 - day, 12), **kw).id
        assigned = [made(day, technician=tech) for day in (1, 3, 5)]
        opened = [made(day, opened_by=him) for day in (2, 4)]
        both = made(6, technician=tech, opened_by=him)
        made(7)  # neither
    newest_first = [both, assigned[2], opened[1], assigned[1], opened[0], assigned[0]]
    client = as_user(app, desk.users[TECHNICIAN])
    assert links(listing(client)) == newest_first
    assert links(listing(client, ordem="abertura")) == newest_first[::-1]
    assert links(listing(client, ordem="-prazo")) == newest_first[::-1]
    app.config["PAGE_SIZE"], size = 4, app.config["PAGE_SIZE"]
    try:
        second = listing(client, pagina=2)
    finally:
        app.config["PAGE_SIZE"] = size
    assert "Página 2 de 2, mostrando 5 a 6 de 6 chamados" in second
    assert links(second) == newest_first[4:]


def test_company_selector_narrows_the_list(app, db_ctx, desk):
    with db_ctx() as session:
        first = f.call(session.get(Client, desk.client)).id
        other = make_tenant()
        second = f.call(other.client).id
        other_company = other.company.id
        admin = f.user(ADMIN).id
    client = as_user(app, admin)
    assert sorted(links(listing(client))) == sorted([first, second])
    assert post(client, "/empresa/selecionar", {"company_id": other_company}).status_code == 302
    assert links(listing(client)) == [second]
    assert client.get(f"/chamados/show/{first}").status_code == 404
    post(client, "/empresa/selecionar", {"company_id": ""})
    assert sorted(links(listing(client))) == sorted([first, second])


def test_a_common_prefix_read_in_date_order_lists_the_same_calls(app, db_ctx, desk, rows, monkeypatch):
    """A prefix found in many rows of its table is read newest first from the date index, each
    call's searched row checked by its key (MariaDB): the same calls in the same order as the
    searched table's way, within each user's scope."""
    from app.calls import queries

    with db_ctx() as session:
        ours = session.get(Client, desk.client)
        for day, status in ((3, "E"), (5, "O"), (7, "E")):
            f.call(ours, session.get(Equipment, desk.equipment), status=status, contract_id=desk.contract,
                   technician=session.get(Technician, desk.technician), opened_at=datetime(2026, 11, day, 9))
    serial = rows["serial"][:3]
    searches = [{"serie": serial}, {"serie": "PAT-004"}, {"cliente": "CLIENTE"}, {"contrato": "C-"},
                {"tecnico": "TECNICO"}, {"serie": serial, "status": "E"}, {"serie": serial, "ordem": "abertura"},
                {"cliente": "CLIENTE", "de": "2026-11-04"}, {"serie": serial, "contrato": "C-"}]
    for user in (CLIENT, CALLS_OPERATOR, ADMIN):
        client = as_user(app, desk.users[user])
        monkeypatch.setattr(queries, "COMMON_PREFIX_ROWS", 10**9)
        by_searched_table = [links(listing(client, **args)) for args in searches]
        monkeypatch.setattr(queries, "COMMON_PREFIX_ROWS", 1)
        in_date_order = [links(listing(client, **args)) for args in searches]
        assert in_date_order == by_searched_table, user
        assert len(by_searched_table[0]) >= 4, "the calls of the test's equipment are found"
        if user == CLIENT:
            assert rows["theirs"] not in sum(by_searched_table, []), "never a foreign call"

"""Peças → logística, through HTTP with the profile that does each step: the ERP sends its
parts list (sync), the technician requests parts (app API and web page), the call moves to the
configured status, the Operador de Logística sees and advances the request, the technician
sees the state, every step is in the change feed and the ERP sets the state through the sync."""
import pytest
from sqlalchemy import select

from app.accounts.roles import ADMIN, LOGISTICS_OPERATOR
from app.calls.models import CallSettings, CallStatusChange, PartsRequest, ServiceCall
from app.catalog.models import Equipment, Part
from tests import factories as f
from tests.conftest import csrf_token, login
from tests.field_support import API, build_field, jwt_headers, uid
from tests.sync_support import changes, push, rec

LOGISTICS_EMAIL = "logistica@revenda.test"
ADMIN_EMAIL = "admin@revenda.test"


@pytest.fixture
def chain(app, db_ctx):
    """The field world, its call in M (the technician is at the client), a logistics operator,
    an admin and a sync token; the ERP's parts list arrives through the sync."""
    with db_ctx() as session:
        field = build_field()
        call = session.get(ServiceCall, field.call)
        call.status = "M"
        company = call.company
        f.user(LOGISTICS_OPERATOR, [company], email=LOGISTICS_EMAIL)
        f.user(ADMIN, email=ADMIN_EMAIL)
        model_erp_id = session.get(Equipment, call.equipment_id).model.erp_id
        other_model = f.equipment_model("OUTRO MODELO").erp_id
        plain = f.sync_token()[1]
        session.commit()
    client = app.test_client()
    answer = push(client, plain, [
        rec("part", "P-FUSOR", name="UNIDADE FUSORA 302", code="FK-1150", model_erp_ids=[model_erp_id]),
        rec("part", "P-ROLO", name="ROLO DE TRAÇÃO", code="RT-9"),  # no model list: fits every model
        rec("part", "P-OUTRO", name="PEÇA DE OUTRO MODELO", model_erp_ids=[other_model]),
    ])
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["created"] == 3
    with db_ctx() as session:
        parts = {p.erp_id: p.id for p in session.execute(select(Part)).scalars()}
    return field, plain, parts


def feed(client, plain, entity="parts_request"):
    return [c for c in changes(client, plain, limit=500).get_json()["changes"] if c["entity"] == entity]


def test_parts_chain_from_the_app_to_logistics_and_back_from_the_erp(app, db_ctx, chain):
    field, plain, parts = chain
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)

    # the app lists the parts of the ERP that fit the equipment (and those for any model)
    offered = client.get(f"{API}/chamados/{field.call}/pecas", headers=tech).get_json()["result"]
    assert {p["name"] for p in offered["parts"]} == {"UNIDADE FUSORA 302", "ROLO DE TRAÇÃO"}
    assert offered["requests"] == []

    body = {"uid": uid(), "note": "Fusor queimado", "items": [
        {"part_id": parts["P-FUSOR"], "quantity": 1},
        {"description": "Mola da bandeja 2 (sem código no ILUX)", "quantity": 2}]}
    created = client.post(f"{API}/chamados/{field.call}/pecas", headers=tech, json=body)
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["result"]["id"]
    assert created.get_json()["result"]["state"] == "requested"
    again = client.post(f"{API}/chamados/{field.call}/pecas", headers=tech, json=body)
    assert again.status_code == 200 and again.get_json()["result"]["id"] == request_id

    with db_ctx() as session:
        call = session.get(ServiceCall, field.call)
        assert call.status == "L"  # the default parts status
        last = session.execute(select(CallStatusChange).where(CallStatusChange.call_id == call.id)
                               .order_by(CallStatusChange.id.desc())).scalars().first()
        assert (last.from_status, last.to_status) == ("M", "L") and f"nº {request_id}" in last.note
        assert len(session.execute(select(PartsRequest)).scalars().all()) == 1

    # the Operador de Logística sees it (the call is in L) and advances it step by step
    logistics = app.test_client()
    login(logistics, LOGISTICS_EMAIL)
    listing = logistics.get("/pecas/").get_data(as_text=True)
    assert "UNIDADE FUSORA 302" in listing and "Mola da bandeja 2" in listing
    assert "TECNICO APP" in listing and "Solicitada" in listing
    page = logistics.get(f"/chamados/show/{field.call}").get_data(as_text=True)
    assert 'id="pecas"' in page and "UNIDADE FUSORA 302" in page
    for state, label in (("separated", "Separada"), ("sent", "Enviada")):
        moved = logistics.post(f"/pecas/{request_id}/situacao",
                               data={"situacao": state, "csrf_token": csrf_token(logistics)})
        assert moved.status_code == 302
        assert label in logistics.get("/pecas/").get_data(as_text=True)
    back = logistics.post(f"/pecas/{request_id}/situacao",
                          data={"situacao": "requested", "csrf_token": csrf_token(logistics)})
    assert back.status_code == 302
    with db_ctx() as session:
        assert session.get(PartsRequest, request_id).state == "sent"  # never backwards in the portal

    # the technician sees the state, in the app and on the call page; he cannot advance it
    state = client.get(f"{API}/chamados/{field.call}/pecas", headers=tech).get_json()["result"]
    assert state["requests"][0]["state"] == "sent" and state["requests"][0]["state_label"] == "Enviada"
    technician = app.test_client()
    login(technician, field.tech_email)
    assert "Enviada" in technician.get(f"/chamados/show/{field.call}").get_data(as_text=True)
    assert technician.post(f"/pecas/{request_id}/situacao", data={
        "situacao": "received", "csrf_token": csrf_token(technician)}).status_code == 403

    # every step is in the change feed, with the ERP's ids
    steps = feed(client, plain)
    assert [(c["op"], c["data"]["state"]) for c in steps] == [
        ("create", "requested"), ("update", "separated"), ("update", "sent")]
    first = steps[0]
    assert first["web_id"] == request_id and first["data"]["call_erp_id"] == "1407318"
    assert first["data"]["items"] == [
        {"part_erp_id": "P-FUSOR", "code": "FK-1150", "description": "UNIDADE FUSORA 302", "quantity": 1},
        {"part_erp_id": None, "code": None, "description": "Mola da bandeja 2 (sem código no ILUX)",
         "quantity": 2}]
    assert [c["data"]["status"] for c in feed(client, plain, "service_order")] == ["L"]

    # the ERP marks it received through the batch, all or nothing, and it is not echoed back
    bad = push(client, plain, [rec("parts_request", None, web_id=request_id, state="received"),
                               rec("parts_request", None, web_id=999999, state="received")])
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "web_id"
    with db_ctx() as session:
        assert session.get(PartsRequest, request_id).state == "sent"
    good = push(client, plain, [rec("parts_request", None, web_id=request_id, state="received")])
    assert good.status_code == 200, good.get_json()
    with db_ctx() as session:
        assert session.get(PartsRequest, request_id).state == "received"
    assert len(feed(client, plain)) == 3
    state = client.get(f"{API}/chamados/{field.call}/pecas", headers=tech).get_json()["result"]
    assert state["requests"][0]["state_label"] == "Recebida pelo técnico"


@pytest.mark.parametrize("configured", CallSettings.PARTS_CHOICES)
def test_the_web_request_moves_the_call_to_the_configured_status(app, db_ctx, chain, configured):
    field, _plain, parts = chain
    admin = app.test_client()
    login(admin, ADMIN_EMAIL)
    saved = admin.post(f"/parametros-chamados/{field.company}", data={
        "abertura": "A", "pecas": configured, "csrf_token": csrf_token(admin)})
    assert saved.status_code == 302
    assert f'value="{configured}" selected' in admin.get("/parametros-chamados/").get_data(as_text=True)

    technician = app.test_client()
    login(technician, field.tech_email)
    form = technician.get(f"/pecas/solicitar/{field.call}")
    assert form.status_code == 200 and "UNIDADE FUSORA 302" in form.get_data(as_text=True)
    assert "PEÇA DE OUTRO MODELO" not in form.get_data(as_text=True)
    sent = technician.post(f"/pecas/solicitar/{field.call}", data={
        f"quantidade_{parts['P-ROLO']}": "2", "descricao_1": "Engrenagem 34 dentes", "qtd_1": "1",
        "csrf_token": csrf_token(technician)})
    assert sent.status_code == 302, sent.get_data(as_text=True)
    with db_ctx() as session:
        assert session.get(ServiceCall, field.call).status == configured
        request = session.execute(select(PartsRequest)).scalar_one()
        assert [(i.description, i.quantity) for i in request.items] == [
            ("ROLO DE TRAÇÃO", 2), ("Engrenagem 34 dentes", 1)]


def test_requests_are_refused_outside_the_list_scope_and_closed_calls(app, db_ctx, chain):
    field, _plain, parts = chain
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)
    wrong_part = client.post(f"{API}/chamados/{field.call}/pecas", headers=tech, json={
        "uid": uid(), "items": [{"part_id": parts["P-OUTRO"], "quantity": 1}]})
    assert wrong_part.status_code == 422
    empty = client.post(f"{API}/chamados/{field.call}/pecas", headers=tech, json={
        "uid": uid(), "items": [{"quantity": 1}]})
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "items.0.description"
    foreign = client.post(f"{API}/chamados/{field.foreign_call}/pecas", headers=tech, json={
        "uid": uid(), "items": [{"description": "X", "quantity": 1}]})
    assert foreign.status_code == 404
    with db_ctx() as session:
        session.get(ServiceCall, field.other_call).status = "O"
        session.commit()
    closed = client.post(f"{API}/chamados/{field.other_call}/pecas", headers=tech, json={
        "uid": uid(), "items": [{"description": "X", "quantity": 1}]})
    assert closed.status_code == 422 and "encerrado" in closed.get_json()["message"]
    operator = app.test_client()
    login(operator, field.operator_email)
    assert operator.get(f"/pecas/solicitar/{field.call}").status_code == 403
    with db_ctx() as session:
        assert session.execute(select(PartsRequest)).first() is None

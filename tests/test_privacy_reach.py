"""LGPD anonymisation reaches every copy of the person (issue 18.9): after it, a dump of every
text of every table holds neither her name, nor her e-mail, nor her phone — calls she opened or
was the contact of, pré atendimento messages, supply requests, contact messages, the outbox,
the change feed — while the records stay."""
import html
import io
import json

from sqlalchemy import inspect, select, text

from app.accounts.models import DataRequest, PortalUser
from app.calls.models import ServiceCall
from app.catalog.models import Equipment
from app.core.db import db
from app.feed.models import ChangeFeedEntry
from app.supplies.models import SupplyRequest
from tests import factories as f
from tests.calls_desk import ADMIN, CALLS_OPERATOR, CALL_OPENER, CLIENT, as_user, make_desk, png_bytes, post
from tests.conftest import csrf_token

NAME, EMAIL, PHONE = "Ana Beatriz Souza", "ana.souza@jayob.com.br", "(48) 99123-4567"


def dump() -> str:
    """Every row of every table, as the database returns it (JSON columns as their text)."""
    lines = []
    for table in inspect(db.engine).get_table_names():
        if table == "alembic_version":
            continue
        for row in db.session.execute(text(f"SELECT * FROM {table}")):
            lines.append(f"{table}: " + " | ".join(str(value) for value in row))
    return "\n".join(lines)


def traces(haystack: str) -> list[str]:
    """The dump's lines that hold her name, e-mail or phone, as typed or escaped, in any case."""
    forms = {form.lower() for needle in (NAME, EMAIL, PHONE)
             for form in (needle, json.dumps(needle)[1:-1], html.escape(needle))}
    return [line for line in haystack.splitlines() if any(form in line.lower() for form in forms)]


def test_nothing_of_her_is_left_anywhere_after_anonymisation(app, db_ctx):
    with db_ctx() as session:
        desk = make_desk()
        ana = session.get(PortalUser, desk.users[CLIENT])
        ana.first_name, ana.last_name, ana.email, ana.username = "Ana Beatriz", "Souza", EMAIL, EMAIL
        session.commit()
        ana_id = ana.id
    open_url = f"/chamados/abrir/?equipamento={desk.equipment}"
    her = as_user(app, ana_id)
    response = post(her, open_url, {
        "defect_type": desk.defect, "description": f"Falar com {NAME} na recepção, ramal {PHONE}",
        "contact_name": NAME, "contact_phone": PHONE, "contact_email": EMAIL,
        "attachments": [(io.BytesIO(png_bytes()), f"painel {NAME}.png")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    colleague = as_user(app, desk.users[CALL_OPENER])
    assert post(colleague, open_url, {
        "defect_type": desk.defect, "description": "Toner acabando", "contact_name": NAME.upper(),
        "contact_phone": PHONE, "contact_email": EMAIL.upper()}).status_code == 302
    with db_ctx() as session:
        mine, named = session.execute(select(ServiceCall.id).order_by(ServiceCall.id)).scalars().all()
    operator = as_user(app, desk.users[CALLS_OPERATOR])
    assert post(operator, f"/chamados/pre-atendimento/{mine}/mensagem",
                {"body": f"{NAME}, envie a foto do painel."}, content_type="multipart/form-data").status_code == 302
    assert post(her, f"/chamados/pre-atendimento/{mine}/mensagem",
                {"body": f"Segue. {NAME}, {PHONE}"}, content_type="multipart/form-data").status_code == 302
    assert her.post("/contato/", data={"csrf_token": csrf_token(her), "kind": "contact", "client": desk.client,
                                       "subject": "Visita", "message": f"Ligar para {PHONE}"}).status_code == 302
    with db_ctx() as session:
        f.supply_request(session.get(Equipment, desk.equipment), note=f"Entregar a {NAME}", requested_by_id=ana_id)
    assert her.post("/lgpd/meus-dados/exclusao", data={"csrf_token": csrf_token(her),
                                                       "motivo": f"Sou {NAME} e saí da empresa"}).status_code == 302
    with db_ctx() as session:
        assert traces(dump())  # she is everywhere before
        request_id = session.execute(select(DataRequest.id)).scalar_one()

    admin = as_user(app, desk.users[ADMIN])
    response = admin.post(f"/solicitacoes-lgpd/action/anonymize/{request_id}", data={"csrf_token": csrf_token(admin)})
    assert response.status_code == 302

    with db_ctx() as session:
        assert traces(dump()) == []
        calls = {call.id: call for call in session.execute(select(ServiceCall)).scalars()}
        assert set(calls) == {mine, named} and calls[mine].opened_by_id == ana_id  # the records stay
        assert (calls[mine].contact_name, calls[mine].contact_phone, calls[mine].contact_email) == (None,) * 3
        assert calls[mine].description == "Falar com [anonimizado] na recepção, ramal [anonimizado]"
        assert calls[named].contact_email is None and calls[named].description == "Toner acabando"
        assert session.execute(select(SupplyRequest.note)).scalar_one() == "Entregar a [anonimizado]"
        told = session.execute(select(ChangeFeedEntry).where(ChangeFeedEntry.entity == "person")).scalar_one()
        assert (told.op, told.web_id, told.data["service_order_web_ids"]) == ("anonymised", ana_id, [mine, named])
        updates = session.execute(select(ChangeFeedEntry.data).where(
            ChangeFeedEntry.entity == "service_order", ChangeFeedEntry.op == "update")).scalars().all()
        assert [d["contact_email"] for d in updates[-2:]] == [None, None]

"""Compartilhar, "Técnico a caminho" and Avaliação: public links that expire and reveal
nothing after; the survey is answered once."""
import re
from datetime import timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from app.core.db import utcnow
from app.field.models import ShareLink, Survey
from app.notifications.models import OutboxMessage
from app.feed.models import ChangeFeedEntry
from tests import factories as f
from tests.conftest import csrf_token, form_csrf_token, login
from tests.field_support import API, build_field, event, iso, jwt_headers, post_events, start, uid

LINK = re.compile(r"http://portal\.test(/(?:acompanhar|avaliacao)/[\w-]+)")


@pytest.fixture
def field(app, db_ctx):
    with db_ctx():
        return build_field()


def outbox(db_ctx, kind):
    with db_ctx() as session:
        return session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalars().all()


def link_in(message) -> str:
    paths = {match for match in LINK.findall(message.body_text)}
    assert len(paths) == 1 and LINK.search(message.body_html)
    return paths.pop()


def expire(db_ctx, model):
    with db_ctx() as session:
        session.execute(update(model).values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()


def test_share_link_shows_the_os_until_revoked_or_expired(app, field, db_ctx):
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)
    attendance = start(client, tech, field.call)["id"]
    client.post(f"{API}/atendimentos/{attendance}/relatorio", headers=tech,
                json={"services": "Troca do rolo <de> pressão"})
    post_events(client, tech, attendance, event("concluded", iso()))

    operator = app.test_client()
    login(operator, field.operator_email)
    page = operator.post(f"/atendimentos/compartilhar/{attendance}",
                         data={"csrf_token": csrf_token(operator)}).get_data(as_text=True)
    url = re.search(r'id="pws-share-url" readonly value="http://portal\.test(/acompanhar/[\w-]+)"', page).group(1)
    with db_ctx() as session:
        stored = session.execute(select(ShareLink).where(ShareLink.purpose == "share")).scalar_one()
        assert url.rsplit("/", 1)[1] not in stored.token_hash  # only the hash is kept

    visitor = app.test_client()
    shared = visitor.get(url)
    assert shared.status_code == 200 and shared.headers["Referrer-Policy"] == "no-referrer"
    assert shared.headers["Cache-Control"] == "no-store"
    html = shared.get_data(as_text=True)
    assert "1407318" in html and "Troca do rolo &lt;de&gt; pressão" in html
    pdf = visitor.get(url + "/pdf")
    assert pdf.status_code == 200 and "1407318" in PdfReader(BytesIO(pdf.data)).pages[0].extract_text()
    assert visitor.get(url[:-3] + "xyz").status_code == 404

    listing = operator.get(f"/atendimentos/compartilhar/{attendance}").get_data(as_text=True)
    assert "Ativo" in listing and url not in listing  # shown once, never again
    revoke = re.search(r'action="(/atendimentos/revogar/\d+/\d+)"', listing).group(1)
    assert operator.post(revoke, data={"csrf_token": csrf_token(operator)}).status_code == 302
    for path in (url, url + "/pdf"):
        gone = visitor.get(path)
        assert gone.status_code == 410
        assert "1407318" not in gone.get_data(as_text=True) and "rolo" not in gone.get_data(as_text=True)
    assert "Revogado em" in operator.get(f"/atendimentos/compartilhar/{attendance}").get_data(as_text=True)

    page = operator.post(f"/atendimentos/compartilhar/{attendance}", data={"csrf_token": csrf_token(operator)})
    fresh = re.search(r'value="http://portal\.test(/acompanhar/[\w-]+)"', page.get_data(as_text=True)).group(1)
    assert visitor.get(fresh).status_code == 200
    expire(db_ctx, ShareLink)
    gone = visitor.get(fresh)
    assert gone.status_code == 410 and "expirou" in gone.get_data(as_text=True)
    assert "1407318" not in gone.get_data(as_text=True)


def test_technician_on_the_way_link_shows_position_and_eta_until_arrival(app, field, db_ctx):
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)
    # a previous visit taught the portal where this client is
    earlier = start(client, tech, field.other_call)["id"]
    post_events(client, tech, earlier, event("arrived", iso(-600), -27.5000, -48.5000),
                event("concluded", iso(-590)))
    attendance = start(client, tech, field.call)["id"]
    post_events(client, tech, attendance, event("travel_started", iso(-10), -27.6, -48.5))
    post_events(client, tech, attendance, event("travel_started", iso(-9), -27.6, -48.5))  # a second tap
    (message,) = outbox(db_ctx, "technician_on_the_way")
    assert message.recipients == "contato@cliente.test"
    assert "TECNICO APP" in message.body_text and "Técnico a caminho" in message.subject
    url = link_in(message)

    visitor = app.test_client()
    leaving = visitor.get(url).get_data(as_text=True)  # the position of "Viagem iniciada"
    # 11.1 km in a straight line × 1.3 at 30 km/h ≈ 29 minutes
    assert "TECNICO APP" in leaving and "cerca de 29 minutos" in leaving and "-27.6" in leaving
    client.post(f"{API}/posicao", headers=tech, json={"uid": uid(), "recorded_at": iso(-1),
                                                      "latitude": -27.5500, "longitude": -48.5000})
    page = visitor.get(url)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    # 5.56 km in a straight line × 1.3 at 30 km/h ≈ 14 minutes
    assert "Previsão de chegada: cerca de 14 minutos" in html and "-27.55" in html

    post_events(client, tech, attendance, event("arrived", iso(0), -27.5001, -48.5001))
    arrived = visitor.get(url).get_data(as_text=True)
    assert "O técnico chegou" in arrived and "-27.5" not in arrived and "Previsão" not in arrived

    expire(db_ctx, ShareLink)
    gone = visitor.get(url)
    assert gone.status_code == 410 and "TECNICO APP" not in gone.get_data(as_text=True)


def test_no_trip_e_mail_without_a_contact_or_for_an_old_trip(app, db_ctx):
    with db_ctx():
        field = build_field(contact_email=None)
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)
    attendance = start(client, tech, field.call)["id"]
    post_events(client, tech, attendance, event("travel_started", iso(-5)))
    other = start(client, tech, field.other_call)["id"]
    post_events(client, tech, other, event("travel_started", iso(-24 * 60)))
    assert outbox(db_ctx, "technician_on_the_way") == []


def conclude(app, field):
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)
    attendance = start(client, tech, field.call)["id"]
    post_events(client, tech, attendance, event("concluded", iso()))
    return attendance


def test_survey_is_answered_once_from_the_e_mailed_link(app, field, db_ctx):
    attendance = conclude(app, field)
    (message,) = outbox(db_ctx, "survey_invitation")
    assert message.recipients == "contato@cliente.test"
    url = link_in(message)
    visitor = app.test_client()
    form = visitor.get(url)
    assert form.status_code == 200 and "1407318" in form.get_data(as_text=True)
    token = form_csrf_token(visitor, url)
    invalid = visitor.post(url, data={"csrf_token": token, "rating": "6"})
    assert invalid.status_code == 200 and "Escolha uma nota de 1 a 5." in invalid.get_data(as_text=True)
    done = visitor.post(url, data={"csrf_token": token, "rating": "4", "comment": "Rápido <e> educado"})
    assert done.status_code == 200 and "Obrigado" in done.get_data(as_text=True)
    again = visitor.post(url, data={"csrf_token": token, "rating": "1"})
    assert again.status_code == 410
    assert visitor.get(url).status_code == 410
    assert visitor.get("/avaliacao/nao-existe").status_code == 404
    with db_ctx() as session:
        survey = session.execute(select(Survey)).scalar_one()
        assert (survey.rating, survey.comment, survey.attendance_id) == (4, "Rápido <e> educado", attendance)
        (entry,) = session.execute(select(ChangeFeedEntry).where(ChangeFeedEntry.entity == "survey")).scalars()
        assert entry.data["rating"] == 4 and entry.data["call_erp_id"] == "1407318"


def test_expired_survey_reveals_nothing(app, field, db_ctx):
    conclude(app, field)
    url = link_in(outbox(db_ctx, "survey_invitation")[0])
    expire(db_ctx, Survey)
    visitor = app.test_client()
    gone = visitor.get(url)
    assert gone.status_code == 410 and "1407318" not in gone.get_data(as_text=True)
    token = csrf_token(visitor)
    assert visitor.post(url, data={"csrf_token": token, "rating": "5"}).status_code == 410
    with db_ctx() as session:
        assert session.execute(select(Survey)).scalar_one().rating is None


def test_a_client_user_rates_in_the_portal_once(app, field, db_ctx):
    attendance = conclude(app, field)
    customer = app.test_client()
    login(customer, field.client_email)
    html = customer.get(f"/atendimentos/show/{attendance}").get_data(as_text=True)
    assert "Enviar avaliação" in html
    customer.post(f"/avaliacoes/responder/{attendance}", data={"csrf_token": csrf_token(customer), "rating": "5"})
    customer.post(f"/avaliacoes/responder/{attendance}", data={"csrf_token": csrf_token(customer), "rating": "1"})
    with db_ctx() as session:
        assert session.execute(select(Survey)).scalar_one().rating == 5
    assert "Nota: <strong>5</strong>" in customer.get(f"/atendimentos/show/{attendance}").get_data(as_text=True)


def test_ratings_per_technician_and_month(app, field, db_ctx):
    conclude(app, field)
    url = link_in(outbox(db_ctx, "survey_invitation")[0])
    visitor = app.test_client()
    visitor.post(url, data={"csrf_token": form_csrf_token(visitor, url), "rating": "4", "comment": "Bom"})
    with db_ctx() as session:
        elsewhere = f.company("REVENDA NORTE")
        far_call = f.call(f.client(elsewhere), technician=f.technician("TECNICO DO NORTE"))
        far = f.attendance(far_call)
        session.add(Survey(attendance_id=far.id, token_hash="x" * 64, expires_at=utcnow(),
                           rating=1, answered_at=utcnow()))
        session.commit()
        month = utcnow().strftime("%Y-%m")
    operator = app.test_client()
    login(operator, field.operator_email)
    html = operator.get(f"/avaliacoes/?mes={month}").get_data(as_text=True)
    summary = re.search(r'id="pws-survey-summary">(.*?)</table>', html, re.S).group(1)
    assert "TECNICO APP" in summary and "4,0" in summary and "TECNICO DO NORTE" not in summary
    assert "Bom" in html
    empty = operator.get("/avaliacoes/?mes=2020-01").get_data(as_text=True)
    assert "Nenhuma avaliação respondida neste mês." in empty

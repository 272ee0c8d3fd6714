"""Atendimentos – APP, Rastreamento and Avaliações as the dealer's staff and clients use them."""
import json
import re
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.roles import ADMIN, ATTENDANCE_OPERATOR, CLIENT
from app.catalog.models import Technician
from app.core.db import utcnow
from app.field.models import AttendanceEvent, TrackPoint
from tests import factories as f
from tests.conftest import csrf_token, login
from tests.field_support import (
    API, build_field, event, iso, jwt_headers, png_bytes, post_events, start, uid,
)
from tests.querycount import count_queries


@pytest.fixture
def field(app, db_ctx):
    with db_ctx():
        return build_field()


def map_data(html):
    match = re.search(r'<script type="application/json" id="pws-map-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1)) if match else None


def recorded_attendance(client, field, services_text="Troca do fusor"):
    """An attendance recorded through the app API, with a trip, a report and a signature."""
    tech = jwt_headers(client, field.tech_email)
    attendance = start(client, tech, field.call)["id"]
    post_events(client, tech, attendance, event("travel_started", iso(-60), -27.60, -48.50))
    client.post(f"{API}/posicoes", headers=tech, json={"points": [
        {"uid": uid(), "recorded_at": iso(-60 + 5 * i), "latitude": -27.60 + 0.01 * i,
         "longitude": -48.50, "attendance_id": attendance} for i in range(4)]})
    post_events(client, tech, attendance, event("arrived", iso(-45), -27.57, -48.50))
    client.post(f"{API}/atendimentos/{attendance}/relatorio", headers=tech, json={
        "services": services_text, "counters": [{"name": "Total", "value": 5000}]})
    client.post(f"{API}/atendimentos/{attendance}/assinatura", headers=tech, data={
        "uid": uid(), "signer_name": "Maria", "file": (BytesIO(png_bytes()), "a.png")})
    post_events(client, tech, attendance, event("concluded", iso(-30)))
    return attendance


def test_operator_sees_timeline_map_distance_and_prints(app, field):
    operator = app.test_client()
    attendance = recorded_attendance(app.test_client(), field)
    login(operator, field.operator_email)
    listing = operator.get("/atendimentos/list/").get_data(as_text=True)
    assert "TECNICO APP" in listing and "GRAFICA BOA VISTA" in listing and "Concluído" in listing
    assert f"<td>{field.call} / 1407318</td>" in listing  # the web number and ILUX's
    assert f"/atendimentos/show/{attendance}" in listing and f"/atendimentos/imprimir/{attendance}" in listing
    html = operator.get(f"/atendimentos/show/{attendance}").get_data(as_text=True)
    assert "Viagem iniciada" in html and "Chegada no cliente" in html and "Atendimento concluído" in html
    assert "Distância percorrida" in html and "3,34 km" in html and "15 minutos" in html
    data = map_data(html)
    # four track points plus the positions of "Viagem iniciada" and "Chegada no cliente"
    assert len(data["track"]) == 6 and data["track"][0] == [-27.6, -48.5]
    assert {m["label"] for m in data["markers"]} == {"Viagem iniciada", "Chegada no cliente"}
    assert data["tile_url"] == app.config["PWS_MAP_TILE_URL"]
    assert "Maria" in html and f"/atendimentos/assinatura/{attendance}" in html
    signature = operator.get(f"/atendimentos/assinatura/{attendance}")
    assert signature.mimetype == "image/png" and signature.headers["X-Content-Type-Options"] == "nosniff"
    pdf = operator.get(f"/atendimentos/imprimir/{attendance}")
    assert pdf.status_code == 200 and pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert "1407318" in PdfReader(BytesIO(pdf.data)).pages[0].extract_text()


def test_the_call_page_links_to_its_attendances(app, field):
    attendance = recorded_attendance(app.test_client(), field)
    operator = app.test_client()
    login(operator, field.operator_email)
    page = operator.get(f"/chamados/show/{field.call}").get_data(as_text=True)
    link = f"/atendimentos/list/?chamado={field.call}"
    assert f'href="{link}"' in page and "Atendimentos do chamado" in page
    assert f"/atendimentos/show/{attendance}" in operator.get(link).get_data(as_text=True)


def test_the_client_sees_his_attendance_but_not_the_technicians_gps(app, field):
    attendance = recorded_attendance(app.test_client(), field)
    customer = app.test_client()
    login(customer, field.client_email)
    html = customer.get(f"/atendimentos/show/{attendance}").get_data(as_text=True)
    assert "Atendimento concluído" in html and "Troca do fusor" in html
    assert map_data(html) is None and "-27.6" not in html


def test_user_text_is_escaped_in_the_page_and_the_pdf(app, field):
    hostile = '<b>Fusor</b> & "limpeza" <script>alert(1)</script>'
    attendance = recorded_attendance(app.test_client(), field, services_text=hostile)
    operator = app.test_client()
    login(operator, field.operator_email)
    html = operator.get(f"/atendimentos/show/{attendance}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;b&gt;Fusor&lt;/b&gt;" in html
    pdf = operator.get(f"/atendimentos/imprimir/{attendance}")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.data)).pages)
    assert '<b>Fusor</b> & "limpeza" <script>alert(1)</script>' in text
    assert "Ordem de Serviço" in text and "1407318" in text


def test_a_technician_sees_only_his_attendances_and_foreign_ones_are_404(app, db_ctx, field):
    with db_ctx() as session:
        from app.calls.models import ServiceCall

        mine = f.attendance(session.get(ServiceCall, field.call)).id
        colleague = f.attendance(session.get(ServiceCall, field.foreign_call)).id
    tech = app.test_client()
    login(tech, field.tech_email)
    html = tech.get("/atendimentos/list/").get_data(as_text=True)
    assert f"/atendimentos/show/{mine}\"" in html and f"/atendimentos/show/{colleague}\"" not in html
    for path in ("show", "imprimir", "compartilhar", "assinatura"):
        assert tech.get(f"/atendimentos/{path}/{colleague}").status_code == 404, path
    assert tech.get(f"/atendimentos/foto/{colleague}/1").status_code == 404
    token = csrf_token(tech)
    assert tech.post(f"/atendimentos/compartilhar/{colleague}", data={"csrf_token": token}).status_code == 404
    assert tech.post(f"/atendimentos/revogar/{colleague}/1", data={"csrf_token": token}).status_code == 404
    with db_ctx() as session:
        from app.field.models import ShareLink

        assert session.execute(select(ShareLink)).first() is None


def test_filters_of_the_manual(app, db_ctx, field):
    with db_ctx() as session:
        from app.calls.models import ServiceCall

        call = session.get(ServiceCall, field.call)
        other = session.get(ServiceCall, field.foreign_call)
        second_client = f.client(call.company, "MUNDO DISTRIBUIDORA")
        third = f.call(second_client, status="E", technician=other.technician, erp_id="1406751")
        mine = f.attendance(call, started_at=datetime(2026, 7, 5, 19, 47))  # 16:47 in São Paulo
        cancelled = f.attendance(other, status="cancelled", started_at=datetime(2026, 7, 8, 21, 14))
        theirs = f.attendance(third, started_at=datetime(2026, 7, 12, 20, 54))
        ids = {"mine": mine.id, "cancelled": cancelled.id, "theirs": theirs.id}
        tech = other.technician_id
    operator = app.test_client()
    login(operator, field.operator_email)

    def shown(**args):
        html = operator.get("/atendimentos/list/", query_string=args).get_data(as_text=True)
        return {name for name, pk in ids.items() if f"/atendimentos/show/{pk}\"" in html}

    assert shown() == {"mine", "cancelled", "theirs"}
    assert shown(chamado=field.call) == {"mine"}
    assert shown(chamado_ilux="1406751") == {"theirs"}
    assert shown(status="cancelled") == {"cancelled"}
    assert shown(cliente="MUNDO") == {"theirs"}
    assert shown(tecnico=tech) == {"cancelled", "theirs"}
    assert shown(inicio="2026-07-06") == {"cancelled", "theirs"}
    assert shown(fim="05/07/2026") == {"mine"}
    assert shown(inicio="2026-07-08", fim="2026-07-08") == {"cancelled"}
    assert shown(cliente="NINGUEM") == set()


@pytest.mark.parametrize("profile", [ATTENDANCE_OPERATOR, CLIENT])
def test_attendance_list_queries_do_not_grow_with_rows(app, db_ctx, profile):
    with db_ctx():
        company = f.company()
        customer = f.client(company)
        f.user(profile, [company], [customer] if profile == CLIENT else [], email="u@x.test",
               client_manager=True)
        ids = {"company": company.id, "client": customer.id}
    client = app.test_client()
    login(client, "u@x.test")

    def grow(n):
        with db_ctx() as session:
            from app.catalog.models import Client

            owner = session.get(Client, ids["client"])
            for _ in range(n):
                other = f.client(owner.company)
                f.attendance(f.call(other if profile != CLIENT else owner, technician=f.technician()))

    def queries():
        client.get("/atendimentos/list/")
        with count_queries(app) as statements:
            html = client.get("/atendimentos/list/").get_data(as_text=True)
        return statements, html

    grow(2)
    few, html = queries()
    assert html.count("/atendimentos/show/") == 2
    grow(18)
    many, html = queries()
    assert html.count("/atendimentos/show/") == 20
    assert len(many) == len(few), many[len(few):]
    assert len(few) <= 10, few


def test_tracking_shows_last_positions_of_the_viewers_companies(app, db_ctx, field):
    with db_ctx() as session:
        ours = session.get(Technician, field.technician)
        ours.last_latitude, ours.last_longitude, ours.last_position_at = -27.59, -48.55, utcnow()
        elsewhere = f.company("REVENDA NORTE")
        far_client = f.client(elsewhere, "CLIENTE DO NORTE")
        far_tech = f.technician("TECNICO DO NORTE")
        far_tech.last_latitude, far_tech.last_longitude, far_tech.last_position_at = -3.1, -60.0, utcnow()
        f.call(far_client, technician=far_tech)
        f.technician("TECNICO SEM POSICAO")
        f.user(ADMIN, email="admin@revenda.test")
        session.commit()
    operator = app.test_client()
    login(operator, field.operator_email)
    html = operator.get("/rastreamento/").get_data(as_text=True)
    assert "TECNICO APP" in html and "TECNICO DO NORTE" not in html and "SEM POSICAO" not in html
    assert [m["label"] for m in map_data(html)["markers"]] == ["TECNICO APP"]
    admin = app.test_client()
    login(admin, "admin@revenda.test")
    labels = {m["label"] for m in map_data(admin.get("/rastreamento/").get_data(as_text=True))["markers"]}
    assert labels == {"TECNICO APP", "TECNICO DO NORTE"}


def test_tracking_refreshes_its_positions_without_a_reload(app, db_ctx, field):
    with db_ctx() as session:
        ours = session.get(Technician, field.technician)
        ours.last_latitude, ours.last_longitude, ours.last_position_at = -27.59, -48.55, utcnow() - timedelta(hours=1)
        session.commit()
    operator = app.test_client()
    login(operator, field.operator_email)
    data = map_data(operator.get("/rastreamento/").get_data(as_text=True))
    assert data["markers"][0]["time"].endswith("(há 1 h 00 min)")  # the last position's age
    assert data["refresh_url"] == "/rastreamento/posicoes" and data["refresh_seconds"] > 0
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)
    client.post(f"{API}/posicao", headers=tech, json={"uid": uid(), "recorded_at": iso(0),
                                                      "latitude": -27.5, "longitude": -48.4})
    fresh = operator.get(data["refresh_url"])
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == "no-store"
    [marker] = fresh.get_json()["markers"]
    assert (marker["label"], marker["lat"], marker["lon"]) == ("TECNICO APP", -27.5, -48.4)


def test_live_position_moves_only_forward(app, db_ctx, field):
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)
    client.post(f"{API}/posicao", headers=tech, json={"uid": uid(), "recorded_at": iso(-1),
                                                      "latitude": -27.5, "longitude": -48.4})
    client.post(f"{API}/posicoes", headers=tech, json={"points": [
        {"uid": uid(), "recorded_at": iso(-30), "latitude": -27.9, "longitude": -48.9}]})  # late batch
    with db_ctx() as session:
        technician = session.get(Technician, field.technician)
        assert (technician.last_latitude, technician.last_longitude) == (-27.5, -48.4)


def test_gps_older_than_the_retention_is_purged(app, db_ctx, field):
    client = app.test_client()
    tech = jwt_headers(client, field.tech_email)
    attendance = start(client, tech, field.call)["id"]
    post_events(client, tech, attendance, event("arrived", iso(), -27.6, -48.5))
    client.post(f"{API}/posicoes", headers=tech, json={"points": [
        {"uid": uid(), "recorded_at": iso(-5), "latitude": -27.6, "longitude": -48.5}]})
    old = utcnow() - timedelta(days=200)
    with db_ctx() as session:
        session.add(TrackPoint(client_uid=uid(), technician_id=field.technician, recorded_at=old,
                               latitude=-27.0, longitude=-48.0))
        session.add(AttendanceEvent(client_uid=uid(), attendance_id=attendance, kind="selected",
                                    device_time=old, latitude=-27.0, longitude=-48.0))
        session.commit()
    result = app.test_cli_runner().invoke(args=["pws", "purge-gps"])
    assert result.exit_code == 0 and "1 pontos" in result.output
    with db_ctx() as session:
        assert [p.recorded_at > old for p in session.execute(select(TrackPoint)).scalars()] == [True]
        events = {e.kind: e.latitude for e in session.execute(select(AttendanceEvent)).scalars()}
        assert events == {"selected": None, "arrived": -27.6}
        assert session.get(Technician, field.technician).last_position_at is not None
    result = app.test_cli_runner().invoke(args=["pws", "purge-gps", "--days", "0"])
    with db_ctx() as session:
        assert session.execute(select(TrackPoint)).first() is None
        assert session.get(Technician, field.technician).last_latitude is None


def test_field_screens_speak_portuguese(app, db_ctx, field):
    from tests.test_portuguese import english_left

    attendance = recorded_attendance(app.test_client(), field)
    with db_ctx():
        f.user(ADMIN, email="admin@revenda.test")
    admin = app.test_client()
    login(admin, "admin@revenda.test")
    for url in ("/atendimentos/list/", f"/atendimentos/show/{attendance}",
                f"/atendimentos/compartilhar/{attendance}", "/rastreamento/", "/avaliacoes/"):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert english_left(response.get_data(as_text=True)) == [], url


def test_the_technicians_page_is_installable(app, field):
    """The page links its manifest (pt-BR, standalone, opens on his orders, icons that exist)
    and registers a worker whose scope covers it; neither file needs a session."""
    technician = login(app.test_client(), field.tech_email)
    page = technician.get("/atendimentos/registrar/").get_data(as_text=True)
    assert '<link rel="manifest" href="/atendimentos/registrar/app.webmanifest">' in page
    config = json.loads(re.search(r'id="pws-tech-config">(.*?)</script>', page, re.S).group(1))
    assert (config["worker"], config["scope"]) == ("/atendimentos/registrar/sw.js", "/atendimentos/registrar/")

    anonymous = app.test_client()
    response = anonymous.get("/atendimentos/registrar/app.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "PWS – Atendimentos em campo" and manifest["lang"] == "pt-BR"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/atendimentos/registrar/"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"any", "192x192", "512x512"}
    for icon in manifest["icons"]:
        assert anonymous.get(icon["src"]).status_code == 200, icon["src"]
    worker = anonymous.get("/atendimentos/registrar/sw.js")
    assert worker.mimetype == "text/javascript"
    assert 'importScripts("/static/field/queue.js")' in worker.get_data(as_text=True)
    assert anonymous.get("/static/field/queue.js").status_code == 200

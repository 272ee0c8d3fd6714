"""Routes of Atendimentos em campo: screens, the technicians' app API, the public links."""
from datetime import timedelta

from app.field import images, services
from app.field.models import AttendancePhoto, Survey
from app.core.db import db, utcnow
from app.core.tokens import digest
from tests import factories as f
from tests.access import (
    ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR, CLIENT, TECHNICIAN, allow, api_allow, public,
)
from tests.field_support import png_bytes

READERS = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR, TECHNICIAN, CLIENT)
SURVEY_TOKEN = "avaliacao-do-mundo-de-teste-0123456789abcdef"
API = "/api/v1/tecnico"


def build(ids, users):
    """A concluded attendance on the world's call, with a photo, a signature, links, a survey."""
    from app.calls.models import ServiceCall

    call = db.session.get(ServiceCall, ids["call"])
    attendance = f.attendance(call, signer_name="Maria", signature_uid="assinatura-1",
                              signature_stored_name=images.store(images.clean_image(png_bytes(), ("PNG",))))
    clean = images.clean_image(png_bytes(), ("PNG",))
    photo = AttendancePhoto(client_uid="foto-do-mundo-1", attendance_id=attendance.id,
                            stored_name=images.store(clean), content_type=clean.content_type)
    db.session.add(photo)
    share, share_token = services.share_attendance(attendance, None)
    _eta, eta_token = services.create_link(attendance, services.ETA, None, timedelta(hours=8))
    db.session.add(Survey(attendance_id=attendance.id, token_hash=digest(SURVEY_TOKEN),
                          expires_at=utcnow() + timedelta(days=30)))
    db.session.commit()
    return {"attendance": attendance.id, "photo": photo.id, "share_link": share.id,
            "share_token": share_token, "eta_token": eta_token, "survey_token": SURVEY_TOKEN}


ROUTES = {
    # Atendimentos – APP
    ("GET", "/atendimentos/"): allow(*READERS, ok=302),
    ("GET", "/atendimentos/list/"): allow(*READERS),
    ("GET", "/atendimentos/show/{attendance}"): allow(*READERS),
    ("GET", "/atendimentos/imprimir/{attendance}"): allow(*READERS),
    ("GET", "/atendimentos/foto/{attendance}/{photo}"): allow(*READERS),
    ("GET", "/atendimentos/assinatura/{attendance}"): allow(*READERS),
    ("GET", "/atendimentos/compartilhar/{attendance}"): allow(*READERS),
    ("POST", "/atendimentos/compartilhar/{attendance}"): allow(*READERS),
    ("POST", "/atendimentos/revogar/{attendance}/{share_link}"): allow(*READERS, ok=302),
    # the technician's web page (a client of the app API)
    ("GET", "/atendimentos/registrar/"): allow(TECHNICIAN),
    # what makes it installable and offline: no user data, fetched without cookies
    ("GET", "/atendimentos/registrar/app.webmanifest"): public(200),
    ("GET", "/atendimentos/registrar/sw.js"): public(200),
    # Rastreamento de técnicos, Avaliações
    ("GET", "/rastreamento/"): allow(ADMIN, ATTENDANCE_OPERATOR),
    ("GET", "/rastreamento/posicoes"): allow(ADMIN, ATTENDANCE_OPERATOR),
    ("GET", "/avaliacoes/"): allow(ADMIN, ATTENDANCE_OPERATOR),
    ("POST", "/avaliacoes/responder/{attendance}"): allow(ADMIN, CLIENT, ok=302),
    # public pages behind e-mailed / shared links (the token is the authority)
    ("GET", "/avaliacao/{survey_token}"): public(200),
    ("POST", "/avaliacao/{survey_token}"): public(200),
    ("GET", "/acompanhar/{share_token}"): public(200),
    ("GET", "/acompanhar/{eta_token}"): public(200),
    ("GET", "/acompanhar/{share_token}/pdf"): public(200),
    # the technicians' app API: Técnico only; a cookie-authenticated write without the CSRF
    # header is refused (400), as the route × role test posts through the session
    ("GET", f"{API}/chamados"): api_allow(TECHNICIAN),
    ("GET", f"{API}/atendimentos"): api_allow(TECHNICIAN),
    ("POST", f"{API}/atendimentos"): api_allow(TECHNICIAN, ok=400),
    ("GET", f"{API}/atendimentos/{{attendance}}"): api_allow(TECHNICIAN),
    ("GET", f"{API}/atendimentos/{{attendance}}/pdf"): api_allow(TECHNICIAN),
    ("POST", f"{API}/atendimentos/{{attendance}}/eventos"): api_allow(TECHNICIAN, ok=400),
    ("POST", f"{API}/atendimentos/{{attendance}}/fotos"): api_allow(TECHNICIAN, ok=400),
    ("POST", f"{API}/atendimentos/{{attendance}}/assinatura"): api_allow(TECHNICIAN, ok=400),
    ("POST", f"{API}/atendimentos/{{attendance}}/relatorio"): api_allow(TECHNICIAN, ok=400),
    ("POST", f"{API}/posicoes"): api_allow(TECHNICIAN, ok=400),
    ("POST", f"{API}/posicao"): api_allow(TECHNICIAN, ok=400),
    ("GET", f"{API}/chamados/{{call}}/pecas"): api_allow(TECHNICIAN),
    ("POST", f"{API}/chamados/{{call}}/pecas"): api_allow(TECHNICIAN, ok=400),
}

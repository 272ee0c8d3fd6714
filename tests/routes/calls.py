"""Routes of chamados, pré atendimento, SLA, calendars, monitoring and QR labels."""
from datetime import date

from app.calls.labels import label_code
from tests import factories as f
from tests.access import (
    ADMIN, ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGGED_IN,
    LOGISTICS_OPERATOR, SUPPLIES_OPERATOR, TECHNICIAN, allow, public,
)

# Everyone who sees the world's call (status L: the logistics operator sees it too).
CALL_READERS = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR, LOGISTICS_OPERATOR, TECHNICIAN,
                CLIENT, CALL_OPENER)
OPENERS = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR, TECHNICIAN, CLIENT, CALL_OPENER)
PRE_SERVICE = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR, CLIENT, CALL_OPENER)
DEALER_DESK = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR)
PARTS_READERS = (*DEALER_DESK, LOGISTICS_OPERATOR, TECHNICIAN)
PRE_SERVICE_TOKEN = "token-de-teste-do-pre-atendimento"
CONTACT_TOKEN = "token-de-teste-do-contato-sem-login"


def build(ids, users):
    from app.calls.models import PartsRequest, PartsRequestItem, ServiceCall
    from app.catalog.models import Client, Company, Equipment, Technician
    from app.core.db import db

    customer = db.session.get(Client, ids["client"])
    equipment = db.session.get(Equipment, ids["equipment"])
    company = db.session.get(Company, ids["company"])
    tech = db.session.get(Technician, ids["technician"])
    open_call = f.call(customer, equipment, status="A", technician=tech,
                       opened_by=users[CALL_OPENER])
    world_call = db.session.get(ServiceCall, ids["call"])
    message = f.pre_service_message(open_call, users[CALLS_OPERATOR], token=PRE_SERVICE_TOKEN)
    to_contact = f.pre_service_message(open_call, users[CALLS_OPERATOR], body="Segue o manual de instalação.",
                                       token=CONTACT_TOKEN, link_email="contato@jayob.test")
    thread_file = f.call_attachment(open_call, name="orientacoes.pdf")
    thread_file.message_id = to_contact.id
    for profile in (ADMIN, ATTENDANCE_OPERATOR):
        users[profile].can_view_monitoring = True
    parts_request = PartsRequest(call_id=world_call.id, technician_id=tech.id,
                                 items=[PartsRequestItem(description="Unidade fusora", quantity=1)])
    db.session.add(parts_request)
    db.session.flush()
    return {
        "parts_request": parts_request.id,
        "call_open": open_call.id,
        "call_attachment": f.call_attachment(world_call).id,
        "pre_service_message": message.id,
        "pre_service_token": PRE_SERVICE_TOKEN,
        "contact_token": CONTACT_TOKEN,
        "contact_thread_file": thread_file.id,
        "business_calendar": f.business_calendar(company).id,
        "holiday": f.holiday(date(2026, 12, 25), company, "Natal").id,
        "label_code": label_code(equipment.id),
    }


ROUTES = {
    ("GET", "/chamados/list/"): allow(*CALL_READERS),
    ("GET", "/chamados/list/?status=L&ordem=prazo"): allow(*CALL_READERS),
    ("GET", "/chamados/show/{call}"): allow(*CALL_READERS),
    ("GET", "/chamados/show/{call_open}?aba=pre-atendimento"): allow(
        *OPENERS, **{LOGISTICS_OPERATOR: 404}),  # a call in A is outside his scope
    ("POST", "/chamados/{call}/status#para=Z"): allow(*CALL_READERS, ok=400),
    ("GET", "/chamados/anexo/{call_attachment}"): allow(*CALL_READERS),
    ("GET", "/chamados/abrir/"): allow(*OPENERS),
    ("GET", "/chamados/abrir/?busca=SER"): allow(*OPENERS),
    ("POST", "/chamados/abrir/"): allow(*OPENERS),
    ("GET", "/chamados/abrir/?equipamento={equipment}"): allow(*OPENERS),
    ("POST", "/chamados/abrir/?equipamento={equipment}"): allow(*OPENERS),
    # a call by contract without an equipment (the "Contratos / chamados" defects)
    ("GET", "/chamados/abrir/?tipo=contrato&busca=C"): allow(*OPENERS),
    ("GET", "/chamados/abrir/?contrato={contract}"): allow(*OPENERS),
    ("POST", "/chamados/abrir/?contrato={contract}"): allow(*OPENERS),
    ("GET", "/chamados/sla/"): allow(*DEALER_DESK),
    ("GET", "/indicadores/"): allow(*DEALER_DESK, CLIENT),
    ("GET", "/indicadores/csv/sla"): allow(*DEALER_DESK, CLIENT),
    ("GET", "/indicadores/pdf"): allow(*DEALER_DESK, CLIENT),
    # the supplies figures only for who reads supply requests
    ("GET", "/indicadores/csv/suprimentos"): allow(*DEALER_DESK, CLIENT, **{CALLS_OPERATOR: 404}),
    ("GET", "/indicadores/csv/inexistente"): allow(*DEALER_DESK, CLIENT, ok=404),
    ("GET", "/chamados/pre-atendimento/{pre_service_token}"): allow(*PRE_SERVICE, ok=302),
    ("POST", "/chamados/pre-atendimento/{call_open}/mensagem#body=Segue a foto"): allow(*PRE_SERVICE, ok=302),
    ("POST", "/chamados/pre-atendimento/mensagem/{pre_service_message}/revogar"): allow(*DEALER_DESK, ok=302),
    # The call's contact without a login: the e-mailed link is the authority, the same for all.
    ("GET", "/pre-atendimento/{contact_token}"): public(),
    ("POST", "/pre-atendimento/{contact_token}#body=Segue a foto"): public(302),
    ("GET", "/pre-atendimento/{contact_token}/anexo/{contact_thread_file}"): public(),
    ("GET", "/pre-atendimento/token-inventado"): public(404),
    ("GET", "/pre-atendimento/{contact_token}/anexo/{call_attachment}"): public(404),
    # only users with the "Visualizar monitoramento" flag (set for these two in build)
    ("GET", "/monitoramento/"): allow(ADMIN, ATTENDANCE_OPERATOR),
    # Expediente e feriados (SLA)
    ("GET", "/calendarios/list/"): allow(ADMIN),
    ("GET", "/calendarios/show/{business_calendar}"): allow(ADMIN),
    ("GET", "/calendarios/add"): allow(ADMIN),
    ("POST", "/calendarios/add"): allow(ADMIN),
    ("GET", "/calendarios/edit/{business_calendar}"): allow(ADMIN),
    ("POST", "/calendarios/edit/{business_calendar}"): allow(ADMIN, ok=302),  # no row version: refused
    ("POST", "/calendarios/delete/{business_calendar}"): allow(ADMIN, ok=302),
    ("GET", "/feriados/list/"): allow(ADMIN),
    ("GET", "/feriados/show/{holiday}"): allow(ADMIN),
    ("GET", "/feriados/add"): allow(ADMIN),
    ("POST", "/feriados/add"): allow(ADMIN),
    ("GET", "/feriados/edit/{holiday}"): allow(ADMIN),
    ("POST", "/feriados/edit/{holiday}"): allow(ADMIN, ok=302),  # no row version: refused
    ("POST", "/feriados/delete/{holiday}"): allow(ADMIN, ok=302),
    # Etiquetas QR: printing is the dealer's; the scan lands on the user's own actions
    ("GET", "/etiquetas/{equipment}"): allow(*DEALER_DESK, SUPPLIES_OPERATOR),
    ("GET", "/etiquetas/q/{label_code}"): allow(*OPENERS, SUPPLIES_OPERATOR),  # abrir chamado or solicitar suprimentos
    ("GET", "/etiquetas/q/codigo-invalido"): allow(*LOGGED_IN, ok=404),
    # Peças solicitadas: the technician (and the admin) asks, logistics marks the steps
    ("GET", "/pecas/"): allow(*PARTS_READERS),
    ("GET", "/pecas/?situacao=todas"): allow(*PARTS_READERS),
    ("GET", "/pecas/solicitar/{call}"): allow(ADMIN, TECHNICIAN),
    ("POST", "/pecas/solicitar/{call}"): allow(ADMIN, TECHNICIAN, ok=422),  # nothing chosen
    ("POST", "/pecas/{parts_request}/situacao#situacao=separated"): allow(ADMIN, LOGISTICS_OPERATOR, ok=302),
    # Parâmetros de chamados (status padrão para abertura, status ao solicitar peças)
    ("GET", "/parametros-chamados/"): allow(ADMIN),
    ("POST", "/parametros-chamados/{company}#abertura=A&pecas=L"): allow(ADMIN, ok=302),
}

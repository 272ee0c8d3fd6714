"""Peças → logística (§3.2.1 "solicita peças", §3.3.5): the technician asks for the parts a call
needs, the call moves to the status the company configured for a parts request (L by default,
P or S) through the status flow, and the Operador de Logística marks each request separated,
sent and received by the technician. Every step enters the change feed; the ERP may set the
state through the sync. Shared by the web page, the app API and the sync; callers commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.roles import ADMIN, LOGISTICS_OPERATOR, TECHNICIAN
from app.calls.models import CallStatus, PartsRequest, PartsRequestItem, ServiceCall
from app.calls.services import (
    TRANSITIONS, CallError, TransitionForbidden, call_settings, change_status,
)
from app.catalog.models import Part, part_model
from app.core.db import db, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import Principal
from app.core.timefmt import isoformat_local
from app.feed.changes import record_change

# Who may ask for parts and who moves a request on, in the portal (the ERP may set any state).
REQUESTERS = (TECHNICIAN, ADMIN)
LOGISTICS = (LOGISTICS_OPERATOR, ADMIN)
STATE_LABELS = {
    PartsRequest.REQUESTED: _l("Solicitada"), PartsRequest.SEPARATED: _l("Separada"),
    PartsRequest.SENT: _l("Enviada"), PartsRequest.RECEIVED: _l("Recebida pelo técnico"),
}
# The Operador de Logística's buttons: the next step of each state.
NEXT_STATE = {PartsRequest.REQUESTED: PartsRequest.SEPARATED,
              PartsRequest.SEPARATED: PartsRequest.SENT,
              PartsRequest.SENT: PartsRequest.RECEIVED}
MAX_ITEMS = 50
MAX_QUANTITY = 999
PARTS_LIST_LIMIT = 500


class PartsError(CallError):
    """A parts request (or a step of it) the rules refuse; the message is shown as is."""


@dataclass
class RequestedPart:
    part_id: int | None = None
    description: str | None = None
    quantity: int = 1


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def parts_for(call: ServiceCall) -> list[Part]:
    """The ERP's active parts this call may need: those listed for its equipment's model and
    those listed for no model at all (every part when the call has no equipment)."""
    stmt = select(Part).where(Part.active.is_(True))
    model_id = call.equipment.model_id if call.equipment is not None else None
    if model_id is not None:
        fits = exists().where(part_model.c.part_id == Part.id, part_model.c.equipment_model_id == model_id)
        any_model = exists().where(part_model.c.part_id == Part.id)
        stmt = stmt.where(or_(fits, ~any_model))
    return list(db.session.execute(stmt.order_by(Part.name).limit(PARTS_LIST_LIMIT)).scalars())


def requests_of(call_id: int) -> list[PartsRequest]:
    """A call's parts requests, newest first, with their items and technician (one page, the
    app's answer and the call page read them whole)."""
    return list(db.session.execute(
        select(PartsRequest).where(PartsRequest.call_id == call_id)
        .options(selectinload(PartsRequest.items), joinedload(PartsRequest.technician))
        .order_by(PartsRequest.requested_at.desc(), PartsRequest.id.desc())).unique().scalars())


def _lines(call: ServiceCall, wanted: list[RequestedPart]) -> list[PartsRequestItem]:
    if not wanted:
        raise PartsError(_("Informe ao menos uma peça (da lista ou descrita) com a quantidade."))
    if len(wanted) > MAX_ITEMS:
        raise PartsError(_("No máximo %(max)d peças por solicitação.", max=MAX_ITEMS))
    offered = {part.id: part for part in parts_for(call)}
    lines, errors = [], []
    for line in wanted:
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
            errors.append(_("A quantidade deve ficar entre 1 e %(max)d.", max=MAX_QUANTITY))
            continue
        if line.part_id is not None:
            part = offered.get(line.part_id)
            if part is None:
                errors.append(_("A peça escolhida não está na lista de peças deste equipamento."))
                continue
            lines.append(PartsRequestItem(part_id=part.id, description=part.name, quantity=line.quantity))
            continue
        description = (line.description or "").strip()
        if not description or len(description) > 200:
            errors.append(_("Descreva a peça (até 200 caracteres) ou escolha uma da lista."))
            continue
        lines.append(PartsRequestItem(description=description, quantity=line.quantity))
    if errors:
        raise PartsError(" ".join(dict.fromkeys(errors)))
    return lines


def request_parts(call: ServiceCall, wanted: list[RequestedPart], *, actor: Principal,
                  note: str | None = None, attendance_id: int | None = None,
                  uid: str | None = None) -> tuple[PartsRequest, bool]:
    """Record the request, enter it in the change feed and move the call to the company's
    parts status when the flow has that move. The same ``uid`` again returns the first
    request (False: nothing new). The caller checked the call is in the actor's scope."""
    if uid:
        known = db.session.execute(select(PartsRequest).where(PartsRequest.client_uid == uid)).scalar_one_or_none()
        if known is not None:
            if known.call_id != call.id:
                raise PartsError(_("Este identificador já foi usado em outro chamado."))
            return known, False
    if not actor.system and actor.profile not in REQUESTERS:
        raise TransitionForbidden(_("Seu perfil não pode solicitar peças."))
    if call.status in CallStatus.CLOSED:
        raise PartsError(_("O chamado está encerrado: não é possível solicitar peças."))
    now = utcnow()
    request = PartsRequest(
        client_uid=uid or None, call_id=call.id, attendance_id=attendance_id,
        technician_id=call.technician_id or actor.technician_id, requested_by_id=actor.user_id,
        requested_at=now, state=PartsRequest.REQUESTED, state_changed_at=now,
        state_changed_by_id=actor.user_id, note=(note or "").strip() or None,
        items=_lines(call, wanted))
    db.session.add(request)
    db.session.flush()
    record_change("parts_request", "create", web_id=request.id, erp_id=call.erp_id,
                  company_id=call.company_id, data=feed_data(request))
    target = call_settings(call.company_id).parts_request_status
    if call.status != target and (call.status, target) in TRANSITIONS:
        change_status(call, target, actor=actor, flow_only=True,
                      note=_("Peças solicitadas (solicitação nº %(id)s).", id=request.id))
    return request, True


def advance(request: PartsRequest, state: str, *, actor: Principal, source: str = "web") -> bool:
    """Separada → Enviada → Recebida pelo técnico (the portal moves forward only; the ERP sets
    any state). Portal steps enter the change feed; ERP ones are not echoed back."""
    if source != "erp" and not actor.system and actor.profile not in LOGISTICS:
        raise TransitionForbidden(_("Seu perfil não pode alterar a situação das peças."))
    if state not in PartsRequest.STATES:
        raise PartsError(_("Situação inválida: %(state)s", state=state))
    if state == request.state:
        return False
    if source != "erp":
        if PartsRequest.STATES.index(state) < PartsRequest.STATES.index(request.state):
            raise PartsError(_("A solicitação já está em %(state)s.", state=state_label(request.state)))
    request.state = state
    request.state_changed_at = utcnow()
    request.state_changed_by_id = actor.user_id
    if source != "erp":
        call = request.call
        record_change("parts_request", "update", web_id=request.id, erp_id=call.erp_id,
                      company_id=call.company_id, data=feed_data(request))
    return True


def feed_data(request: PartsRequest) -> dict:
    call = request.call or db.session.get(ServiceCall, request.call_id)
    return {
        "call_web_id": call.id, "call_erp_id": call.erp_id,
        "technician_erp_id": request.technician.erp_id if request.technician else None,
        "attendance_id": request.attendance_id,
        "requested_at": isoformat_local(request.requested_at),
        "state": request.state, "state_changed_at": isoformat_local(request.state_changed_at),
        "note": request.note,
        "items": [{"part_erp_id": item.part.erp_id if item.part else None,
                   "code": item.part.code if item.part else None,
                   "description": item.description, "quantity": item.quantity}
                  for item in request.items],
    }

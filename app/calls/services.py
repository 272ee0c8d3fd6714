"""Domain actions on chamados, shared by the web screens, the APIs and the ERP sync.

Every action works in the caller's transaction: it adds rows, outbox messages and change-feed
entries to the session and never commits (views and the sync commit once).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import PortalUser
from app.accounts.roles import (
    ADMIN, ATTENDANCE_OPERATOR, CALL_OPENER, CALLS_OPERATOR, CLIENT, LOGISTICS_OPERATOR, TECHNICIAN,
)
from app.calls import files, sla
from app.calls.models import (
    BusinessCalendar, CallAttachment, CallSettings, CallStatus, CallStatusChange, Holiday,
    PreServiceMessage, ServiceCall,
)
from app.catalog.models import Contract, DefectType, Equipment, Technician
from app.core import tokens
from app.core.cache import reference
from app.core.db import db, on_commit, on_rollback, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import Principal, check_references, get_scoped
from app.feed.changes import record_change
from app.notifications.contacts import ask_confirmation, normalized
from app.notifications.outbox import Recipient, queue_email
from app.notifications.recipients import account_holders, contact_copy, readers

CLOSED_STATUSES = CallStatus.CLOSED

STATUS_LABELS = {
    CallStatus.OPEN: _l("Abertura"), CallStatus.DISPATCHED: _l("Despachado"),
    CallStatus.MAINTENANCE: _l("Manutenção"), CallStatus.PENDING: _l("Pendente"),
    CallStatus.CONCLUDED: _l("Concluído"), CallStatus.ATTENDED: _l("Atendido"),
    CallStatus.CANCELLED: _l("Cancelado"), CallStatus.LOGISTICS: _l("Logística"),
    CallStatus.STOCK: _l("Estoque"),
}

DEALER_DESK = (ADMIN, ATTENDANCE_OPERATOR, CALLS_OPERATOR)
CLIENT_DESK = (CLIENT, CALL_OPENER)
A, E, M, P, O, T, C, L, S = (CallStatus.OPEN, CallStatus.DISPATCHED, CallStatus.MAINTENANCE,
                             CallStatus.PENDING, CallStatus.CONCLUDED, CallStatus.ATTENDED,
                             CallStatus.CANCELLED, CallStatus.LOGISTICS, CallStatus.STOCK)

# The status flow (§5): (from, to) -> the profiles that may make that move in the portal.
# The ERP (source="erp") is the master of the call and may set any status.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (A, E): DEALER_DESK,                        # despachar para atendimento técnico
    (A, O): DEALER_DESK,                        # resolvido no pré atendimento, sem visita
    (A, C): DEALER_DESK + CLIENT_DESK,          # cancelado pelo cliente ou pela revenda
    (E, A): DEALER_DESK,                        # devolvido para abertura
    (E, M): DEALER_DESK + (TECHNICIAN,),        # técnico aceitou e iniciou o deslocamento
    (E, C): DEALER_DESK,
    (M, E): DEALER_DESK + (TECHNICIAN,),        # atendimento cancelado: volta para despacho
    (M, P): DEALER_DESK + (TECHNICIAN,),        # pendência: peças, ponto de rede/energia…
    (M, O): DEALER_DESK + (TECHNICIAN,),        # concluído sem pendência
    (M, T): DEALER_DESK + (TECHNICIAN,),        # atendido, falta ação interna da revenda
    (M, L): DEALER_DESK,
    (M, S): DEALER_DESK,
    (P, E): DEALER_DESK,                        # retorno para finalização
    (P, M): DEALER_DESK + (TECHNICIAN,),
    (P, L): DEALER_DESK,                        # aguardando peças: logística
    (P, S): DEALER_DESK,                        # aguardando peças: estoque
    (P, C): DEALER_DESK,
    (L, S): DEALER_DESK + (LOGISTICS_OPERATOR,),
    (S, L): DEALER_DESK + (LOGISTICS_OPERATOR,),
    (L, E): DEALER_DESK + (LOGISTICS_OPERATOR,),  # peças disponíveis: despachar de novo
    (S, E): DEALER_DESK + (LOGISTICS_OPERATOR,),
    (T, O): DEALER_DESK,                        # ação interna concluída
}

RESOLVED_IN_PRE_SERVICE_NOTE = _l("Resolvido no pré atendimento, sem visita técnica.")
_STORED_FILES_KEY = "pws_stored_call_files"
AWAITING_INTERACTION = _l("Aguardando interação")
AWAITING_ANSWER = _l("Aguardando resposta")


class CallError(ValueError):
    """A request the call cannot take; the message is shown to the user."""


class TransitionError(CallError):
    """A status change the flow does not allow; the message is shown to the user."""


class TransitionForbidden(TransitionError):
    """The flow has this move, but not for the user's profile (answered as 403)."""


class CallChanged(CallError):
    """Someone else changed the call first. The caller rolls back (nothing of this change is
    kept: no history row, e-mail or feed entry) and shows ``changed_meanwhile``."""


def changed_meanwhile(call_id: int) -> str:
    """The refusal, with the call's status as committed now (read after the rollback)."""
    status = db.session.execute(select(ServiceCall.status).where(ServiceCall.id == call_id)).scalar()
    return _("O chamado Nº %(number)s acabou de ser alterado por outra pessoa e agora está em "
             "%(current)s. Nada foi alterado: confira o chamado e, se ainda for o caso, altere de novo.",
             number=call_id, current=status_label(status))


def status_label(status: str | None) -> str:
    return str(STATUS_LABELS.get(status, status or ""))


# --- business calendar -------------------------------------------------------------------

def _clock(value: str, fallback: time) -> time:
    try:
        hours, minutes = (int(part) for part in (value or "").split(":"))
        return time(hours, minutes)
    except ValueError:
        return fallback


def _calendar(row: BusinessCalendar | None, holidays: Iterable, tz: ZoneInfo) -> sla.Calendar:
    near = timedelta(minutes=current_app.config["PWS_SLA_NEAR_MINUTES"])
    if row is None:
        return sla.Calendar(tz=tz, holidays=frozenset(holidays), near=near)
    workdays = frozenset(i for i, name in enumerate(BusinessCalendar.DAYS) if getattr(row, name))
    return sla.Calendar(tz=tz, workdays=workdays, start=_clock(row.starts_at, time(8)),
                        end=_clock(row.ends_at, time(18)), holidays=frozenset(holidays),
                        near=timedelta(minutes=row.near_minutes))


def calendars_for(company_ids: Iterable[int]) -> dict[int, sla.Calendar]:
    """The business calendar of each company (from the per-process reference cache)."""
    ids = {pk for pk in company_ids if pk}
    if not ids:
        return {}
    calendars, default = reference("calendars", _all_calendars)
    return {pk: calendars.get(pk, default) for pk in ids}


def _all_calendars() -> tuple[dict[int, sla.Calendar], sla.Calendar]:
    """Every company's calendar and the one of a company without its own: two queries."""
    tz = ZoneInfo(current_app.config["PWS_TIMEZONE"])
    rows = {row.company_id: row for row in db.session.execute(select(BusinessCalendar)).scalars()}
    days: dict[int | None, set] = {}
    for company_id, day in db.session.execute(select(Holiday.company_id, Holiday.day)):
        days.setdefault(company_id, set()).add(day)
    common = days.get(None, set())
    company_ids = set(rows) | {pk for pk in days if pk is not None}
    return ({pk: _calendar(rows.get(pk), common | days.get(pk, set()), tz) for pk in company_ids},
            _calendar(None, common, tz))


def calendar_for(company_id: int) -> sla.Calendar:
    return calendars_for([company_id])[company_id]


def deadline_states(calls: Iterable[ServiceCall], now: datetime | None = None) -> dict[int, str]:
    """ok / near / late / paused / met / missed / none for each call, a ServiceCall or a listed row
    with its id, company_id, status, priority_due and closed_at (constant queries)."""
    calls = list(calls)
    now = now or utcnow()
    calendars = calendars_for(call.company_id for call in calls if call.priority_due)
    states = {}
    for call in calls:
        if call.priority_due is None or call.status == CallStatus.CANCELLED:
            states[call.id] = sla.NONE
            continue
        states[call.id] = sla.deadline_state(
            call.priority_due, now, calendars[call.company_id],
            paused=call.status in CallStatus.PAUSED,
            closed_at=call.closed_at if call.status in CLOSED_STATUSES else None)
    return states


def set_priority_due(call: ServiceCall, due: datetime | None, at: datetime | None = None) -> None:
    """Change the prazo de atendimento; a change of an existing one is "prioridade atualizada"."""
    if due == call.priority_due:
        return
    if call.priority_due is not None:
        call.priority_updated_at = at or utcnow()
    call.priority_due = due


# --- change feed and e-mails ---------------------------------------------------------------

def call_feed_data(call: ServiceCall) -> dict:
    return {
        "status": call.status, "company_id": call.company_id, "client_id": call.client_id,
        "equipment_id": call.equipment_id, "contract_id": call.contract_id,
        "defect_type_id": call.defect_type_id, "technician_id": call.technician_id,
        "company_erp_id": call.company.erp_id if call.company else None,
        "client_erp_id": call.client.erp_id if call.client else None,
        "equipment_erp_id": call.equipment.erp_id if call.equipment else None,
        "contract_erp_id": call.contract.erp_id if call.contract else None,
        "defect_erp_id": call.defect_type.erp_id if call.defect_type else None,
        "technician_erp_id": call.technician.erp_id if call.technician else None,
        "opened_at": call.opened_at.isoformat() if call.opened_at else None,
        "priority_due": call.priority_due.isoformat() if call.priority_due else None,
        "description": call.description, "service_address": call.service_address,
        "contact_name": call.contact_name,
        "contact_phone": call.contact_phone, "contact_email": call.contact_email,
    }


def call_url(call: ServiceCall, tab: str | None = None) -> str:
    """Links in e-mails come from PWS_BASE_URL, never from the request's Host."""
    url = f"{current_app.config['PWS_BASE_URL']}/chamados/show/{call.id}"
    return f"{url}?aba={tab}" if tab else url


def _call_recipients(kind: str, call: ServiceCall) -> list[Recipient]:
    """Who can open the call and chose ``kind``, each with his link; then the call's contact,
    told what the manual tells the client: no portal link, no internal note."""
    return [*readers(kind, call, context={"url": call_url(call)}),
            *contact_copy(kind, call, {"url": None, "note": None, "for_contact": True})]


def _technician_users(technician_id: int | None) -> list[int]:
    if technician_id is None:
        return []
    return list(db.session.execute(
        select(PortalUser.id).where(PortalUser.technician_id == technician_id)).scalars())


def _tell_technicians(call: ServiceCall, previous_technician_id: int | None) -> None:
    """Chamado despachado para o técnico: his users are told when a call is dispatched to
    him, and those of the technician it was taken from (who can no longer open it)."""
    if call.status == CallStatus.DISPATCHED and call.technician_id is not None:
        queue_email("call_assignment", readers(
            "call_assignment", call, among=_technician_users(call.technician_id),
            context={"assigned": True, "url": call_url(call)}), {"call": call})
    if previous_technician_id is not None and previous_technician_id != call.technician_id:
        queue_email("call_assignment", account_holders(
            "call_assignment", _technician_users(previous_technician_id),
            context={"assigned": False, "url": None}), {"call": call})


def _user_name(user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = db.session.get(PortalUser, user_id)
    return user.name if user else ""


# --- opening -------------------------------------------------------------------------------

def call_settings(company_id: int) -> CallSettings:
    """The company's Parâmetros de chamados, or the defaults (A to open, L for parts) when the
    admin saved none. The row is read unscoped: it applies to whoever opens the call."""
    row = db.session.execute(
        select(CallSettings).where(CallSettings.company_id == company_id)).scalar_one_or_none()
    return row or CallSettings(company_id=company_id, opening_status=CallSettings.DEFAULT_OPENING,
                               parts_request_status=CallSettings.DEFAULT_PARTS)


def defect_category(equipment: Equipment) -> str:
    return DefectType.WITH_CONTRACT if equipment.contract_id else DefectType.WITHOUT_CONTRACT


def defects_for(equipment: Equipment | None) -> list[DefectType]:
    """Only the defects the admin listed on the portal for the equipment's category (§3.1); a
    call by contract without an equipment offers the third list, "Contratos / chamados"."""
    category = defect_category(equipment) if equipment is not None else DefectType.CONTRACT
    return list(db.session.execute(
        select(DefectType).where(DefectType.category == category,
                                 DefectType.listed_on_portal.is_(True), DefectType.active.is_(True))
        .order_by(DefectType.name)).scalars())


def open_call(*, equipment: Equipment | None, defect_type_id: int | None, description: str,
              contact_name: str, contact_phone: str, contact_email: str,
              opener: Principal, uploads: Iterable[files.CheckedFile] = (),
              contract: Contract | None = None, service_address: str | None = None) -> ServiceCall:
    """Abrir chamado: company, client and contract come from the equipment — or, for a call by
    contract without an equipment (desinstalação, remanejamento, treinamento…), from the
    contract, with the address where to attend — never from the form."""
    opener_id = opener.user_id
    if equipment is None and (contract is None or not contract.active):
        raise CallError(_("Escolha o equipamento ou o contrato."))
    defect = next((d for d in defects_for(equipment) if d.id == defect_type_id), None)
    if defect is None:
        raise CallError(_("Selecione um tipo de defeito da lista."))
    if equipment is None and not (service_address or "").strip():
        raise CallError(_("Informe o endereço do atendimento."))
    now = utcnow()
    owner = equipment if equipment is not None else contract
    contract = equipment.contract if equipment is not None else contract
    sla_hours = contract.sla_hours if contract is not None and contract.active else None
    status = call_settings(owner.company_id).opening_status
    call = ServiceCall(
        company_id=owner.company_id, client_id=owner.client_id, equipment=equipment,
        contract_id=contract.id if contract is not None else None,
        service_address=(service_address or "").strip() or None,
        defect_type=defect, opened_by_id=opener_id, status=status, opened_at=now,
        sla_paused_at=now if status in CallStatus.PAUSED else None,
        sla_hours=sla_hours, sla_paused_seconds=0, description=description,
        contact_name=contact_name, contact_phone=contact_phone, contact_email=contact_email,
        priority_due=sla.deadline(now, sla_hours, calendar_for(owner.company_id)),
    )
    db.session.add(call)
    check_references(db.session, call)
    db.session.flush()
    db.session.add(CallStatusChange(call_id=call.id, from_status=None, to_status=status,
                                    changed_by_id=opener_id, changed_at=now, source="web",
                                    note=str(_l("Chamado aberto no portal."))))
    attach(call, uploads, uploader_id=opener_id)
    record_change("service_order", "create", web_id=call.id, company_id=call.company_id,
                  data=call_feed_data(call))
    tell_call_opened(call)
    call.contact_confirmation = ask_confirmation(call, opener_id)
    return call


def tell_call_opened(call: ServiceCall) -> None:
    """"Abertura de chamado" e-mails, for a call opened in the portal or in the ERP."""
    queue_email("call_opened", _call_recipients("call_opened", call), {
        "call": call, "status": status_label(call.status),
        "opener": _user_name(call.opened_by_id) if call.opened_by_id else "ILUX",
    })


@on_commit
def _keep_stored_files(session):
    session.info.pop(_STORED_FILES_KEY, None)


@on_rollback
def _discard_stored_files(session):
    stored = session.info.pop(_STORED_FILES_KEY, [])
    if stored and has_app_context():
        files.discard(stored)


def attach(call: ServiceCall, uploads: Iterable[files.CheckedFile], *, uploader_id: int | None,
           message: PreServiceMessage | None = None) -> list[CallAttachment]:
    rows = []
    for checked in uploads:
        stored = files.store(checked)
        db.session.info.setdefault(_STORED_FILES_KEY, []).append(stored)
        row = CallAttachment(call_id=call.id, message_id=message.id if message else None,
                             original_name=checked.original_name, stored_name=stored,
                             content_type=checked.content_type, size=len(checked.data),
                             uploaded_by_id=uploader_id, uploaded_at=utcnow())
        db.session.add(row)
        rows.append(row)
    return rows


# --- status flow ---------------------------------------------------------------------------

def allowed_targets(call: ServiceCall, profile: str | None) -> list[str]:
    """The statuses this profile may move the call to, in the order of the flow."""
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == call.status and profile in roles]


FINAL_STATUSES = frozenset(to for _frm, to in TRANSITIONS) - {frm for frm, _to in TRANSITIONS}


def final_move_warnings(call: ServiceCall, targets: Iterable[str]) -> dict[str, str]:
    """What the user is told before a move the portal cannot undo (a status the flow never
    leaves: O, C): the screen asks for a confirmation with this text."""
    warnings = {}
    for target in set(targets) & FINAL_STATUSES:
        status = f"{target} – {status_label(target)}"
        if target == CallStatus.CANCELLED:
            warnings[target] = _("Cancelar o chamado? Ele passa para %(status)s e não poderá mais ser "
                                 "atendido nem reaberto pelo portal.", status=status)
        elif call.status == CallStatus.OPEN:
            warnings[target] = _("Encerrar o chamado como resolvido no pré atendimento? Ele passa para "
                                 "%(status)s sem visita técnica e não poderá ser reaberto pelo portal.",
                                 status=status)
        else:
            warnings[target] = _("Concluir o chamado? Ele passa para %(status)s e não poderá ser "
                                 "reaberto pelo portal.", status=status)
    return warnings


def _check_transition(call: ServiceCall, to_status: str, actor: Principal | None, source: str,
                      flow_only: bool = False) -> None:
    if to_status not in CallStatus.ALL:
        raise TransitionError(_("Status inválido: %(status)s", status=to_status))
    if source == "erp":
        return
    roles = TRANSITIONS.get((call.status, to_status))
    if roles is None:
        raise TransitionError(_("O chamado em %(current)s não pode passar para %(target)s.",
                                current=status_label(call.status), target=status_label(to_status)))
    if actor is not None and not actor.system and not flow_only and actor.profile not in roles:
        raise TransitionForbidden(_("Seu perfil não pode passar o chamado de %(current)s para "
                                    "%(target)s.", current=status_label(call.status),
                                    target=status_label(to_status)))


def _run_sla_clock(call: ServiceCall, to_status: str, now: datetime) -> None:
    """Pause the SLA clock in P, L and S; on leaving them push the deadline by the pause."""
    was_paused, pauses = call.status in CallStatus.PAUSED, to_status in CallStatus.PAUSED
    if pauses and not was_paused:
        call.sla_paused_at = now
    elif was_paused and not pauses:
        if call.sla_paused_at is not None and call.priority_due is not None:
            due, paused = sla.resumed_deadline(call.priority_due, call.sla_paused_at, now,
                                               calendar_for(call.company_id))
            call.sla_paused_seconds = (call.sla_paused_seconds or 0) + int(paused.total_seconds())
            set_priority_due(call, due, now)
        call.sla_paused_at = None


def _lock(call: ServiceCall) -> None:
    """The call as committed now, its row locked until the caller commits (``SELECT … FOR
    UPDATE``; a no-op on SQLite, where the version check of the UPDATE decides instead)."""
    try:
        db.session.flush()  # the caller's own pending changes are kept, not refreshed away
        db.session.refresh(call, with_for_update=True)
    except StaleDataError:
        raise CallChanged() from None


def change_status(call: ServiceCall, to_status: str, *, actor: Principal | None = None,
                  source: str = "web", note: str | None = None,
                  technician_id: int | None = None, seen_status: str | None = None,
                  flow_only: bool = False) -> CallStatusChange | None:
    """Move a call to ``to_status``: the flow and role check (portal side), history, SLA
    clock, close date, "Alteração de chamado" e-mails and, for portal-side changes, the ERP
    change feed — all in the caller's transaction (the caller commits).

    The move is decided on the committed state under the row's lock: with ``seen_status`` (the
    status the user's page showed) a call someone else moved meanwhile raises CallChanged, as
    does losing the race to another writer on SQLite (the version check, when flushed).

    The ERP may set any status; an ERP change to the status the call already has is a no-op.
    ``flow_only``: the move must be in the flow, but whether this actor may cause it was the
    caller's rule (a technician's parts request moves his call to the configured status).
    """
    _lock(call)
    if seen_status is not None and call.status != seen_status:
        raise CallChanged()
    if source == "erp" and to_status == call.status:
        return None
    _check_transition(call, to_status, actor, source, flow_only)
    actor_id = actor.user_id if actor is not None else None
    previous_technician_id = call.technician_id
    if technician_id is not None:
        technician = get_scoped(db.session, Technician, technician_id)
        if technician is None or not technician.active:
            raise CallError(_("Selecione um técnico ativo."))
        call.technician = technician
    now = utcnow()
    from_status = call.status
    change = CallStatusChange(call_id=call.id, from_status=from_status, to_status=to_status,
                              changed_by_id=actor_id, source=source, note=note, changed_at=now)
    _run_sla_clock(call, to_status, now)
    call.status = to_status
    call.closed_at = now if to_status in CLOSED_STATUSES else None
    if source != "erp" and (from_status, to_status) == (A, O):
        call.resolved_in_pre_service = True
    db.session.add(change)
    try:
        db.session.flush()  # the version check: on SQLite the writer that came second stops here
    except StaleDataError:
        raise CallChanged() from None
    if source != "erp":
        record_change("service_order", "update", web_id=call.id, erp_id=call.erp_id,
                      company_id=call.company_id, data=call_feed_data(call))
    queue_email("call_changed", _call_recipients("call_changed", call), {
        "call": call, "from_status": status_label(from_status), "status": status_label(to_status),
        "note": note, "actor": _user_name(actor_id) if source != "erp" else "ILUX",
        "changed_at": now,
    })
    _tell_technicians(call, previous_technician_id)
    return change


# --- pré atendimento -----------------------------------------------------------------------

def thread_state(messages: list) -> str | None:
    """Aguardando interação (the client's turn) or Aguardando resposta (the dealer's turn)."""
    if not messages:
        return None
    last = max(messages, key=lambda m: (m.created_at, m.id))
    return str(AWAITING_INTERACTION if last.direction == PreServiceMessage.FROM_DEALER
               else AWAITING_ANSWER)


def contact_thread_url(token: str) -> str:
    return f"{current_app.config['PWS_BASE_URL']}/pre-atendimento/{token}"


def post_pre_service_message(call: ServiceCall, *, author: Principal | None, body: str,
                             uploads: Iterable[files.CheckedFile] = (),
                             author_email: str | None = None) -> PreServiceMessage:
    """A message of the pre-service thread and the other side's e-mails. Without ``author``:
    a reply of the call's contact through his e-mailed link (``author_email``, no portal user)."""
    author_id = author.user_id if author is not None else None
    client_side = author.client_side if author is not None else True
    if call.status != CallStatus.OPEN:
        raise CallError(_("O pré atendimento só é possível para chamados em Abertura."))
    body = (body or "").strip()
    if not body:
        raise CallError(_("Escreva a mensagem."))
    now = utcnow()
    message = PreServiceMessage(
        call_id=call.id, author_id=author_id, author_email=author_email, body=body, created_at=now,
        direction=PreServiceMessage.FROM_CLIENT if client_side else PreServiceMessage.FROM_DEALER,
    )
    db.session.add(message)
    db.session.flush()
    attach(call, uploads, uploader_id=author_id, message=message)
    record_change("pre_service_message", "create", web_id=message.id, erp_id=call.erp_id,
                  company_id=call.company_id, data={
                      "call_web_id": call.id, "call_erp_id": call.erp_id,
                      "direction": message.direction, "body": body, "at": now.isoformat()})
    context = {"call": call, "message": message, "author": _user_name(author_id) or author_email or ""}
    thread = {"url": call_url(call, "pre-atendimento")}
    if client_side:
        queue_email("pre_service_answer", readers("pre_service_answer", call, context=thread), context)
        return message
    recipients = readers("pre_service_message", call, context=thread)
    contact = normalized(call.contact_email)
    copy = [] if contact in {r.address.lower() for r in recipients} else contact_copy(
        "pre_service_message", call, {"for_contact": True}, address=contact)
    if copy:
        # The contact may have no login: his link opens this call's thread alone, for a while.
        token, message.link_token_hash = tokens.new_token()
        message.link_email = contact
        message.link_expires_at = now + timedelta(days=current_app.config["PWS_PRE_SERVICE_LINK_DAYS"])
        copy[0].context["url"] = contact_thread_url(token)
        recipients += copy
    queue_email("pre_service_message", recipients, context)
    return message


def contact_link(token: str) -> PreServiceMessage | None:
    """The message whose link was e-mailed to the call's contact: that link alone opens the
    call's thread without a login. TokenGone when expired or revoked."""
    message = message_for_link(token)
    return message if message is not None and message.link_email else None


def message_for_link(token: str) -> PreServiceMessage | None:
    """The message an e-mailed link points to; TokenGone when expired or revoked."""
    return tokens.find(PreServiceMessage, token, hash_column="link_token_hash",
                       expires="link_expires_at", revoked="link_revoked_at")


def revoke_link(message: PreServiceMessage) -> None:
    if message.link_revoked_at is None:
        message.link_revoked_at = utcnow()

"""Domain actions on solicitações de suprimentos, shared by web, APIs and the ERP sync.

The rules (docs/supplies.md): a counter below the equipment's last known counter is refused;
a counter far above its history, a second open request for the same supply, or a request
before the pages printed since the last delivery reach a share of the supply's yield are
accepted with a warning the operator sees. Callers commit.
"""
import math
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.catalog.models import Contract, Equipment, EquipmentModel, SupplyItem, supply_item_model
from app.core.db import db, utcnow
from app.core.scoping import Principal, check_references
from app.core.timefmt import format_date, format_datetime, isoformat_local
from app.notifications.outbox import queue_email
from app.notifications.recipients import readers
from app.supplies.models import MeterReading, SupplyRequest, SupplyRequestItem, SupplyStatus
from app.feed.changes import record_change

EDITABLE_FIELDS = ("status", "carrier_id", "tracking_code", "invoice_number", "invoice_date")
MAX_QUANTITY = 99
MIN_HISTORY_DAYS = 7
MAX_COUNTER = 2**31 - 1  # the column's range; a figure beyond it is a typo, not a reading
SUPPLY_PATH = "/suprimentos/acompanhar"  # the operator's screen, linked from e-mails
# Supply e-mails go only to profiles that may follow supply requests (never the Operador de
# Chamados, whatever his preferences say).


class SupplyError(ValueError):
    """A request or change the rules refuse; each message is shown to the user as is."""

    def __init__(self, *messages: str):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


@dataclass
class RequestedItem:
    supply_item_id: int
    quantity: int
    counter: int | None = None


@dataclass
class _Reading:
    counter: int
    read_at: datetime


@dataclass
class SupplyRequestDraft:
    """What the requester typed; the equipment or the contract were already read in scope."""

    items: list[RequestedItem]
    equipment: Equipment | None = None
    contract: Contract | None = None
    model: EquipmentModel | None = None
    note: str | None = None
    department: str | None = None
    location: str | None = None
    warnings: list[str] = field(default_factory=list)


def compatible_supplies(model_id: int) -> list[SupplyItem]:
    """Active supplies the ERP lists for the equipment model, by name."""
    stmt = (select(SupplyItem)
            .join(supply_item_model, supply_item_model.c.supply_item_id == SupplyItem.id)
            .where(supply_item_model.c.equipment_model_id == model_id, SupplyItem.active.is_(True))
            .order_by(SupplyItem.name))
    return list(db.session.execute(stmt).scalars())


def last_reading(equipment_id: int) -> _Reading | None:
    return last_readings([equipment_id]).get(equipment_id)


def last_readings(equipment_ids) -> dict[int, _Reading]:
    """The newest reading of each equipment, in one statement (a list of orders shows them)."""
    ids = sorted(set(equipment_ids))
    if not ids:
        return {}
    ranked = select(
        MeterReading.equipment_id, MeterReading.counter, MeterReading.read_at,
        func.row_number().over(partition_by=MeterReading.equipment_id,
                               order_by=(MeterReading.read_at.desc(), MeterReading.id.desc())).label("rank"),
    ).where(MeterReading.equipment_id.in_(ids)).subquery()
    rows = db.session.execute(select(ranked.c.equipment_id, ranked.c.counter, ranked.c.read_at)
                              .where(ranked.c.rank == 1))
    return {row.equipment_id: _Reading(row.counter, row.read_at) for row in rows}


def record_reading(equipment_id: int, counter: int, *, source: str, read_at: datetime | None = None,
                   supply_request_id: int | None = None, attendance_id: int | None = None,
                   read_by_id: int | None = None) -> MeterReading:
    """Add a counter to the equipment's one history (caller commits)."""
    if not 0 <= counter <= MAX_COUNTER:
        raise SupplyError(_("Contador fora do intervalo aceito."))
    reading = MeterReading(equipment_id=equipment_id, counter=counter, read_at=read_at or utcnow(),
                           source=source, supply_request_id=supply_request_id,
                           attendance_id=attendance_id, read_by_id=read_by_id)
    db.session.add(reading)
    return reading


def readings_of(equipment_id: int, limit: int = 24) -> list[MeterReading]:
    """The latest readings of an equipment, oldest first (the chart's order)."""
    rows = db.session.execute(
        select(MeterReading).where(MeterReading.equipment_id == equipment_id)
        .order_by(MeterReading.read_at.desc(), MeterReading.id.desc()).limit(limit)).scalars().all()
    return list(reversed(rows))


def client_reading(equipment: Equipment, counter: int, *, actor: Principal) -> MeterReading:
    """A counter the client reads on the equipment: never below the last known one."""
    last = last_reading(equipment.id)
    if last is not None and counter < last.counter:
        raise SupplyError(_(
            "O contador informado (%(counter)s) é menor que o último contador conhecido deste "
            "equipamento (%(last)s, em %(date)s).", counter=counter, last=last.counter,
            date=format_datetime(last.read_at)))
    return record_reading(equipment.id, counter, source=MeterReading.CLIENT, read_by_id=actor.user_id)


def _first_reading(equipment_id: int) -> _Reading | None:
    row = db.session.execute(
        select(MeterReading.counter, MeterReading.read_at)
        .where(MeterReading.equipment_id == equipment_id)
        .order_by(MeterReading.read_at.asc(), MeterReading.id.asc()).limit(1)
    ).first()
    return _Reading(row.counter, row.read_at) if row else None


def plausible_limit(first: _Reading, last: _Reading, now: datetime) -> int:
    """The highest counter that still looks plausible now.

    With at least MIN_HISTORY_DAYS of history, the equipment's average pages per day times
    PWS_SUPPLY_COUNTER_FACTOR; otherwise (or when that is lower) PWS_SUPPLY_MAX_PAGES_PER_DAY
    per day since the last reading. At least one day always counts.
    """
    config = current_app.config
    days = max((now - last.read_at).total_seconds() / 86400, 1.0)
    ceiling = config["PWS_SUPPLY_MAX_PAGES_PER_DAY"] * days
    span = (last.read_at - first.read_at).total_seconds() / 86400
    if span >= MIN_HISTORY_DAYS and last.counter > first.counter:
        daily = (last.counter - first.counter) / span
        allowed = max(daily * days * config["PWS_SUPPLY_COUNTER_FACTOR"],
                      config["PWS_SUPPLY_MAX_PAGES_PER_DAY"])
    else:
        allowed = ceiling
    return last.counter + math.ceil(allowed)


def _check_items(draft: SupplyRequestDraft, model_id: int) -> tuple[list[str], dict[int, SupplyItem]]:
    errors = []
    compatible = {item.id: item for item in compatible_supplies(model_id)}
    if not draft.items:
        errors.append(_("Informe a quantidade de ao menos um suprimento."))
    for requested in draft.items:
        supply = compatible.get(requested.supply_item_id)
        if supply is None:
            errors.append(_("O suprimento escolhido não é compatível com o modelo do equipamento."))
            continue
        if not 1 <= requested.quantity <= MAX_QUANTITY:
            errors.append(_("Quantidade de %(item)s deve ficar entre 1 e %(max)s.",
                            item=supply.name, max=MAX_QUANTITY))
        if draft.equipment is not None and requested.counter is None:
            errors.append(_("Informe o contador atual do equipamento para %(item)s.", item=supply.name))
        if requested.counter is not None and requested.counter < 0:
            errors.append(_("O contador de %(item)s não pode ser negativo.", item=supply.name))
    return errors, compatible


def _counter_rules(draft: SupplyRequestDraft, supplies: dict[int, SupplyItem], now: datetime) -> list[str]:
    """Refusals for counters below the last known one; plausibility lands in the warnings."""
    equipment = draft.equipment
    counters = [(supplies[i.supply_item_id], i.counter) for i in draft.items if i.counter is not None]
    last = last_reading(equipment.id)
    if last is None or not counters:
        return []
    errors = [
        _("O contador informado para %(item)s (%(counter)s) é menor que o último contador conhecido "
          "deste equipamento (%(last)s, em %(date)s). Confira o contador no painel do equipamento.",
          item=supply.name, counter=counter, last=last.counter, date=format_datetime(last.read_at))
        for supply, counter in counters if counter < last.counter
    ]
    if errors:
        return errors
    limit = plausible_limit(_first_reading(equipment.id), last, now)
    highest = max(counter for _supply, counter in counters)
    if highest > limit:
        draft.warnings.append(_(
            "Contador %(counter)s muito acima do histórico do equipamento (último %(last)s em "
            "%(date)s; esperado até cerca de %(limit)s). Confira antes de liberar.",
            counter=highest, last=last.counter, date=format_datetime(last.read_at), limit=limit))
    return []


def _open_request_for(draft: SupplyRequestDraft, supply_item_id: int):
    stmt = (select(SupplyRequest.id, SupplyRequest.status)
            .join(SupplyRequestItem, SupplyRequestItem.request_id == SupplyRequest.id)
            .where(SupplyRequest.status.in_(SupplyStatus.OPEN),
                   SupplyRequestItem.supply_item_id == supply_item_id))
    if draft.equipment is not None:
        stmt = stmt.where(SupplyRequest.equipment_id == draft.equipment.id)
    else:
        stmt = stmt.where(SupplyRequest.kind == SupplyRequest.BY_MODEL,
                          SupplyRequest.contract_id == draft.contract.id,
                          SupplyRequest.equipment_model_id == draft.model.id)
    return db.session.execute(stmt.order_by(SupplyRequest.id.desc()).limit(1)).first()


def _last_delivery_of(equipment_id: int, supply_item_id: int):
    return db.session.execute(
        select(SupplyRequest.id, SupplyRequestItem.counter, SupplyRequestItem.quantity)
        .join(SupplyRequestItem, SupplyRequestItem.request_id == SupplyRequest.id)
        .where(SupplyRequest.equipment_id == equipment_id,
               SupplyRequest.status == SupplyStatus.DELIVERED,
               SupplyRequestItem.supply_item_id == supply_item_id,
               SupplyRequestItem.counter.is_not(None))
        .order_by(SupplyRequest.requested_at.desc(), SupplyRequest.id.desc()).limit(1)
    ).first()


def short_of_yield(printed: int, page_yield: int, units: int) -> bool:
    """Fewer pages printed than PWS_SUPPLY_YIELD_SHARE of what ``units`` of a supply yield: asked
    again too early (a request's warning, the Indicadores' flag). A negative count (a replaced
    board, a reset) says nothing about the yield."""
    return 0 <= printed < current_app.config["PWS_SUPPLY_YIELD_SHARE"] * page_yield * units


def _supply_warnings(draft: SupplyRequestDraft, supplies: dict[int, SupplyItem]) -> None:
    """Second open request for the same supply; too few pages since the last delivery."""
    share = current_app.config["PWS_SUPPLY_YIELD_SHARE"]
    for requested in draft.items:
        supply = supplies[requested.supply_item_id]
        open_request = _open_request_for(draft, supply.id)
        if open_request is not None:
            where = _("neste equipamento") if draft.equipment is not None else _("neste contrato e modelo")
            draft.warnings.append(_(
                "Já existe a solicitação nº %(id)s em aberto (%(status)s) para %(item)s %(where)s.",
                id=open_request.id, status=SupplyStatus.LABELS[open_request.status],
                item=supply.name, where=where))
        if draft.equipment is None or requested.counter is None or not supply.page_yield:
            continue
        delivered = _last_delivery_of(draft.equipment.id, supply.id)
        if delivered is None:
            continue
        printed = requested.counter - delivered.counter
        expected = supply.page_yield * (delivered.quantity or 1)
        if short_of_yield(printed, supply.page_yield, delivered.quantity or 1):
            draft.warnings.append(_(
                "Desde a última entrega de %(item)s (solicitação nº %(id)s, contador %(counter)s) "
                "foram impressas %(pages)s páginas, menos de %(share)s%% do rendimento "
                "(%(pages_yield)s páginas).",
                item=supply.name, id=delivered.id, counter=delivered.counter, pages=printed,
                share=round(share * 100), pages_yield=expected))


def create_supply_request(draft: SupplyRequestDraft, *, actor: Principal) -> SupplyRequest:
    """Validate, record the request with its items and counter, notify the supply operators
    ("Solicitação de suprimentos") and enter it in the ERP change feed. The caller commits."""
    equipment, contract = draft.equipment, draft.contract
    if equipment is not None:
        model_id = equipment.model_id
        owner = equipment
    elif contract is not None and draft.model is not None:
        model_id = draft.model.id
        owner = contract
    else:
        raise SupplyError(_("Escolha o equipamento, ou o contrato e o modelo."))
    now = utcnow()
    errors, supplies = _check_items(draft, model_id)
    if errors:
        raise SupplyError(*errors)
    if equipment is not None:
        errors = _counter_rules(draft, supplies, now)
        if errors:
            raise SupplyError(*errors)
    _supply_warnings(draft, supplies)

    request = SupplyRequest(
        kind=SupplyRequest.BY_EQUIPMENT if equipment is not None else SupplyRequest.BY_MODEL,
        company_id=owner.company_id, client_id=owner.client_id,
        equipment_id=equipment.id if equipment is not None else None,
        equipment_model_id=model_id,
        contract_id=equipment.contract_id if equipment is not None else contract.id,
        requested_by_id=actor.user_id, requested_at=now, status=SupplyStatus.PENDING,
        note=(draft.note or "").strip() or None,
        department=(draft.department or "").strip() or None,
        location=(draft.location or "").strip() or None,
        warning="\n".join(draft.warnings) or None,
        items=[SupplyRequestItem(supply_item_id=i.supply_item_id, quantity=i.quantity, counter=i.counter)
               for i in draft.items],
    )
    db.session.add(request)
    check_references(db.session, request)
    db.session.flush()
    counters = [i.counter for i in draft.items if i.counter is not None]
    if equipment is not None and counters:
        record_reading(equipment.id, max(counters), read_at=now, source=MeterReading.SUPPLY_REQUEST,
                       supply_request_id=request.id, read_by_id=actor.user_id)
    record_change("supply_request", "create", web_id=request.id, company_id=request.company_id,
                  data=_create_feed_data(request, supplies))
    queue_email("supply_request",
                readers("supply_request", request),
                _email_context(request, supplies))
    return request


def _create_feed_data(request: SupplyRequest, supplies: dict[int, SupplyItem]) -> dict:
    equipment, contract = request.equipment, request.contract
    return {
        **supply_feed_data(request),
        "kind": request.kind,
        "requested_at": isoformat_local(request.requested_at),
        "client_erp_id": request.client.erp_id if request.client else None,
        "equipment_id": request.equipment_id,
        "equipment_erp_id": equipment.erp_id if equipment else None,
        "contract_erp_id": contract.erp_id if contract else None,
        "model_erp_id": request.equipment_model.erp_id if request.equipment_model else None,
        "department": request.department, "location": request.location,
        "note": request.note, "warning": request.warning,
        "items": [{"supply_item_id": item.supply_item_id,
                   "supply_item_erp_id": supplies[item.supply_item_id].erp_id,
                   "quantity": item.quantity, "counter": item.counter} for item in request.items],
    }


def _email_context(request: SupplyRequest, supplies: dict[int, SupplyItem] | None = None) -> dict:
    base = current_app.config["PWS_BASE_URL"]
    return {
        "supply": request,
        "status": SupplyStatus.LABELS.get(request.status, request.status),
        "items": [(supplies[i.supply_item_id].name if supplies else i.supply_item.name, i.quantity, i.counter)
                  for i in request.items],
        "requested_at": format_datetime(request.requested_at),
        "invoice_date": format_date(request.invoice_date),
        "url": f"{base}{SUPPLY_PATH}/show/{request.id}",
    }


def supply_feed_data(request: SupplyRequest) -> dict:
    data = {name: getattr(request, name) for name in EDITABLE_FIELDS} | {
        "company_id": request.company_id, "client_id": request.client_id,
        "carrier_erp_id": request.carrier.erp_id if request.carrier else None,
    }
    data["invoice_date"] = data["invoice_date"].isoformat() if data["invoice_date"] else None
    return data


def update_supply_request(request: SupplyRequest, *,
                          source: str = "web", **changes) -> SupplyRequest:
    """Apply operator or ERP changes (caller commits).

    Portal-side changes enter the change feed, ERP-side ones are not echoed back. Whatever
    the source, entering "Faturado" sends "Liberação de suprimentos", and cancelling drops
    the request's counter reading so a mistyped counter does not block the next request.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise SupplyError(_("Campos não editáveis: %(fields)s", fields=", ".join(sorted(unknown))))
    if "status" in changes and changes["status"] not in SupplyStatus.ALL:
        raise SupplyError(_("Status inválido: %(status)s", status=changes["status"]))
    if isinstance(changes.get("invoice_date"), str):
        changes["invoice_date"] = date.fromisoformat(changes["invoice_date"]) if changes["invoice_date"] else None
    for name in ("tracking_code", "invoice_number"):
        if isinstance(changes.get(name), str):
            changes[name] = changes[name].strip() or None
    changed = {name: value for name, value in changes.items() if getattr(request, name) != value}
    if not changed:
        return request
    previous_status = request.status
    for name, value in changed.items():
        setattr(request, name, value)
    db.session.add(request)
    check_references(db.session, request)
    if "carrier_id" in changed:
        db.session.flush()
        db.session.expire(request, ["carrier"])
    if request.status == SupplyStatus.CANCELLED and previous_status != SupplyStatus.CANCELLED:
        db.session.execute(delete(MeterReading).where(MeterReading.supply_request_id == request.id))
    if source != "erp":
        record_change("supply_request", "update", web_id=request.id, company_id=request.company_id,
                      data=supply_feed_data(request))
    if request.status == SupplyStatus.INVOICED and previous_status != SupplyStatus.INVOICED:
        queue_email("supply_release",
                    readers("supply_release", request),
                    _email_context(request))
    return request

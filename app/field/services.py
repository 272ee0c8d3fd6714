"""Atendimentos em campo: the domain actions behind the app API, the technician's web page,
the operator's screens and the public links. Callers commit once.

Offline rules (docs/field.md): every event, point and upload carries the device's id, so a
retry is recognised and ignored; events keep the device's time and the timeline is ordered by
it, whatever the order of arrival. A concluded or cancelled attendance stays closed: late events
join its timeline without reopening it. Work events move the call to M while the attendance is
open; closing it moves the call to O, P (pending) or back to E (cancelled).
"""
import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from app.calls.models import CallStatus, ServiceCall
from app.calls.services import TransitionError, change_status
from app.catalog.models import Equipment, Technician
from app.core import tokens
from app.core.bounds import problem
from app.core.db import db, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import OutOfScope, Principal, get_scoped, scope_condition, scoped
from app.core.timefmt import isoformat_local, to_naive_utc
from app.field import images
from app.field.geo import eta_seconds, track_length_m
from app.field.models import (
    Attendance, AttendanceEvent, AttendancePhoto, ShareLink, Survey, TrackPoint,
)
from app.notifications.outbox import queue_email
from app.notifications.recipients import contact_copy
from app.supplies.models import MeterReading
from app.supplies.services import MAX_COUNTER, record_reading
from app.feed.changes import record_change

log = logging.getLogger(__name__)

OPEN_CALL_STATUSES = (CallStatus.DISPATCHED, CallStatus.MAINTENANCE, CallStatus.PENDING)
CLOSED_CALL_STATUSES = (CallStatus.CONCLUDED, CallStatus.ATTENDED, CallStatus.CANCELLED)
WORK_EVENTS = ("travel_started", "arrived", "service_started", "service_finished", "form_filled")
AFTER_DEPARTURE = ("arrived", "service_started", "service_finished", "form_filled", "concluded",
                   "cancelled")
CLOSING_EVENTS = {"concluded": Attendance.CONCLUDED, "cancelled": Attendance.CANCELLED}
MAX_PHOTOS = 30
SHARE, ETA = "share", "eta"
STATUS_SOURCE = "app"

EVENT_LABELS = {
    "selected": _l("Atendimento selecionado"),
    "travel_started": _l("Viagem iniciada"),
    "arrived": _l("Chegada no cliente"),
    "service_started": _l("Início do atendimento"),
    "service_finished": _l("Fim do atendimento"),
    "form_filled": _l("Formulário preenchido"),
    "concluded": _l("Atendimento concluído"),
    "cancelled": _l("Atendimento cancelado"),
}
LINK_LABELS = {SHARE: _l("Compartilhamento"), ETA: _l("Técnico a caminho")}
STATUS_LABELS = {
    Attendance.IN_PROGRESS: _l("Em andamento"),
    Attendance.CONCLUDED: _l("Concluído"),
    Attendance.CANCELLED: _l("Atendimento cancelado"),
}


class FieldError(Exception):
    """A request the domain refuses; the message (pt-BR) goes back to the user or the app."""

    status = 422

    def __init__(self, message, errors=None, **extra):
        super().__init__(str(message))
        self.message = str(message)
        self.errors = errors or []
        self.extra = extra


class Conflict(FieldError):
    """An id already used for something else, or a second open attendance for one order."""

    status = 409


def as_utc(value: datetime | None) -> datetime | None:
    """A device's aware datetime as the naive UTC the database stores."""
    if value is None or value.tzinfo is None:
        return value
    return to_naive_utc(value)


# --- orders and attendances --------------------------------------------------------------

def is_technician(principal: Principal) -> bool:
    """The app and its web page serve a Técnico linked to an ERP technician, nobody else."""
    return principal.own_orders and principal.technician_id is not None


def my_open_orders(principal: Principal) -> list[ServiceCall]:
    """The technician's orders in E, M or P, most urgent first, with what a visit needs."""
    stmt = (
        select(ServiceCall)
        .where(ServiceCall.status.in_(OPEN_CALL_STATUSES),
               ServiceCall.technician_id == principal.technician_id)
        .options(joinedload(ServiceCall.client), joinedload(ServiceCall.defect_type),
                 joinedload(ServiceCall.equipment).joinedload(Equipment.model))
        .order_by(ServiceCall.priority_due.is_(None), ServiceCall.priority_due, ServiceCall.opened_at)
        .limit(500)
    )
    return list(db.session.execute(scoped(stmt, ServiceCall, principal)).scalars())


def open_attendances_by_call(principal: Principal, call_ids) -> dict[int, Attendance]:
    if not call_ids:
        return {}
    stmt = select(Attendance).where(Attendance.call_id.in_(call_ids),
                                    Attendance.status == Attendance.IN_PROGRESS)
    return {a.call_id: a for a in db.session.execute(scoped(stmt, Attendance, principal)).scalars()}


def my_order(principal: Principal, call_id: int) -> ServiceCall:
    """One of the technician's orders, or 404 (another technician's or another scope's)."""
    call = get_scoped(db.session, ServiceCall, call_id, principal)
    if call is None or call.technician_id != principal.technician_id:
        raise OutOfScope("ServiceCall")
    return call


def my_attendance(principal: Principal, attendance_id: int) -> Attendance:
    attendance = get_scoped(db.session, Attendance, attendance_id, principal)
    if attendance is None:
        raise OutOfScope("Attendance")
    return attendance


def start_attendance(principal: Principal, data: dict) -> tuple[Attendance, bool]:
    """Open an attendance for an order; the same device id again returns the same one."""
    call = my_order(principal, data["call_id"])
    existing = db.session.execute(
        select(Attendance).where(Attendance.client_uid == data["uid"])).scalar_one_or_none()
    if existing is not None:
        if existing.call_id == call.id and existing.technician_id == principal.technician_id:
            return existing, False
        raise Conflict(_("Este identificador já foi usado em outro atendimento."))
    if call.status not in OPEN_CALL_STATUSES:
        raise FieldError(_("O chamado %(call)s não está aberto para atendimento (status %(status)s).",
                           call=call, status=call.status))
    open_one = open_attendances_by_call(principal, [call.id]).get(call.id)
    if open_one is not None:
        raise Conflict(_("Já existe um atendimento em andamento para este chamado."),
                       attendance_id=open_one.id)
    attendance = Attendance(client_uid=data["uid"], call_id=call.id,
                            technician_id=principal.technician_id,
                            started_at=as_utc(data.get("started_at")) or utcnow(),
                            status=Attendance.IN_PROGRESS)
    db.session.add(attendance)
    db.session.flush()
    return attendance, True


def timeline(attendance: Attendance) -> list[AttendanceEvent]:
    """The events in the order they happened on the device, whatever their arrival order."""
    stmt = (select(AttendanceEvent).where(AttendanceEvent.attendance_id == attendance.id)
            .order_by(AttendanceEvent.device_time, AttendanceEvent.id))
    return list(db.session.execute(stmt).scalars())


def _existing_by_uid(model, uids) -> dict:
    if not uids:
        return {}
    rows = db.session.execute(select(model).where(model.client_uid.in_(list(uids)))).scalars()
    return {row.client_uid: row for row in rows}


def _lock_technician(technician_id: int) -> None:
    """Events and track points both move the technician's last position. Each takes his row
    first: on MariaDB, a point's insert (a shared lock on the row, through its foreign key)
    followed by the position update deadlocked with an event batch sent at the same moment."""
    db.session.execute(select(Technician.id).where(Technician.id == technician_id).with_for_update())


def record_events(principal: Principal, attendance: Attendance, items: list[dict]) -> dict:
    """Add timeline events (a retry of a known id is ignored) and apply their effects."""
    _lock_technician(attendance.technician_id)
    known = _existing_by_uid(AttendanceEvent, {item["uid"] for item in items})
    errors, fresh, duplicates, seen = [], [], [], set()
    for index, item in enumerate(items):
        old = known.get(item["uid"])
        if item["uid"] in seen or (old is not None and old.attendance_id == attendance.id
                                   and old.kind == item["kind"]):
            duplicates.append(item["uid"])
            continue
        if old is not None:
            errors.append({"field": f"events.{index}.uid",
                           "message": _("Este identificador já foi usado em outro evento.")})
            continue
        seen.add(item["uid"])
        fresh.append(AttendanceEvent(
            client_uid=item["uid"], attendance_id=attendance.id, kind=item["kind"],
            device_time=as_utc(item["device_time"]), received_at=utcnow(),
            latitude=item.get("latitude"), longitude=item.get("longitude")))
    if errors:
        raise Conflict(_("Identificadores em conflito."), errors=errors)
    db.session.add_all(fresh)
    db.session.flush()
    located = [e for e in fresh if e.latitude is not None]
    if located:
        newest = max(located, key=lambda e: e.device_time)
        accuracy = next(item.get("accuracy_m") for item in items if item["uid"] == newest.client_uid)
        _move_technician(attendance.technician_id, newest.latitude, newest.longitude, accuracy,
                         newest.device_time)
    if fresh:
        _apply_events(principal, attendance, fresh)
    return {"accepted": [e.client_uid for e in fresh], "duplicates": duplicates}


def _apply_events(principal: Principal, attendance: Attendance, fresh: list[AttendanceEvent]):
    kinds = {event.kind for event in fresh}
    if kinds & {"travel_started", "arrived"}:
        recompute_travel(attendance)
    if attendance.is_closed:  # late events join the timeline of a closed attendance
        feed_attendance(attendance, "update")
        return
    call = attendance.call
    closing = sorted((e for e in fresh if e.kind in CLOSING_EVENTS), key=lambda e: e.device_time)
    if closing:
        _close(principal, attendance, closing[-1])
        return
    if kinds & set(WORK_EVENTS) and call.status in (CallStatus.DISPATCHED, CallStatus.PENDING):
        _move_call(call, CallStatus.MAINTENANCE, principal, _("Técnico em atendimento."))
    if "travel_started" in kinds:
        _announce_trip(attendance, next(e for e in fresh if e.kind == "travel_started"))


def _move_call(call: ServiceCall, to_status: str, principal: Principal, note: str) -> None:
    """The call follows the field, unless the flow says otherwise (then it stays as it is)."""
    if call.status == to_status:
        return
    try:
        change_status(call, to_status, actor=principal, source=STATUS_SOURCE, note=note)
    except TransitionError as error:
        log.warning("call %s stays in %s: %s", call.id, call.status, error)


def _close(principal: Principal, attendance: Attendance, event: AttendanceEvent) -> None:
    attendance.status = CLOSING_EVENTS[event.kind]
    attendance.finished_at = event.device_time
    call = attendance.call
    if attendance.status == Attendance.CONCLUDED:
        if call.status not in CLOSED_CALL_STATUSES:
            _settle_call(principal, attendance)
        invite_survey(attendance)
    elif call.status == CallStatus.MAINTENANCE:
        _move_call(call, CallStatus.DISPATCHED, principal, _("Atendimento cancelado pelo técnico."))
    feed_attendance(attendance, "create")


def _settle_call(principal: Principal, attendance: Attendance) -> None:
    """A concluded attendance leaves the call concluded, or pending when the report says so."""
    target = CallStatus.PENDING if attendance.pending else CallStatus.CONCLUDED
    note = _("Atendimento concluído com pendência.") if attendance.pending else _("Atendimento concluído.")
    if attendance.call.status in (CallStatus.DISPATCHED, CallStatus.PENDING):
        # the work events may arrive after the conclusion (offline app): the flow passes by M
        _move_call(attendance.call, CallStatus.MAINTENANCE, principal, _("Técnico em atendimento."))
    _move_call(attendance.call, target, principal, note)


# --- GPS ---------------------------------------------------------------------------------

def record_points(principal: Principal, items: list[dict]) -> dict:
    """Store track points (retries ignored) and move the technician's last known position."""
    _lock_technician(principal.technician_id)
    attendance_ids = {item["attendance_id"] for item in items if item.get("attendance_id")}
    attendances = {pk: my_attendance(principal, pk) for pk in attendance_ids}
    known = _existing_by_uid(TrackPoint, {item["uid"] for item in items})
    errors, fresh, duplicates, seen = [], [], [], set()
    for index, item in enumerate(items):
        old = known.get(item["uid"])
        if item["uid"] in seen or (old is not None and old.technician_id == principal.technician_id):
            duplicates.append(item["uid"])
            continue
        if old is not None:
            errors.append({"field": f"points.{index}.uid",
                           "message": _("Este identificador já foi usado em outro ponto.")})
            continue
        seen.add(item["uid"])
        fresh.append(TrackPoint(
            client_uid=item["uid"], technician_id=principal.technician_id,
            attendance_id=item.get("attendance_id"), recorded_at=as_utc(item["recorded_at"]),
            latitude=item["latitude"], longitude=item["longitude"], accuracy_m=item.get("accuracy_m")))
    if errors:
        raise Conflict(_("Identificadores em conflito."), errors=errors)
    db.session.add_all(fresh)
    db.session.flush()
    if fresh:
        newest = max(fresh, key=lambda p: p.recorded_at)
        _move_technician(principal.technician_id, newest.latitude, newest.longitude,
                         newest.accuracy_m, newest.recorded_at)
        affected = set(attendances.values()) | set(db.session.execute(
            select(Attendance).where(Attendance.technician_id == principal.technician_id,
                                     Attendance.status == Attendance.IN_PROGRESS)).scalars())
        for attendance in affected:
            if recompute_travel(attendance) and attendance.is_closed:
                feed_attendance(attendance, "update")
    return {"accepted": [p.client_uid for p in fresh], "duplicates": duplicates}


def _move_technician(technician_id: int, latitude: float, longitude: float,
                     accuracy_m: float | None, at: datetime) -> None:
    """Only a newer reading (track point or event) moves the last position: late batches never
    move it back."""
    db.session.execute(
        update(Technician)
        .where(Technician.id == technician_id,
               (Technician.last_position_at.is_(None)) | (Technician.last_position_at < at))
        .values(last_latitude=latitude, last_longitude=longitude, last_accuracy_m=accuracy_m,
                last_position_at=at)
        .execution_options(synchronize_session=False)
    )


def travel_window(attendance: Attendance, events=None) -> tuple[datetime | None, datetime | None]:
    """From the first "Viagem iniciada" to the first "Chegada no cliente" after it."""
    events = timeline(attendance) if events is None else events
    started = next((e.device_time for e in events if e.kind == "travel_started"), None)
    arrived = next((e.device_time for e in events if e.kind == "arrived"
                    and (started is None or e.device_time >= started)), None)
    return started, arrived


def travel_points(attendance: Attendance, events=None) -> list[TrackPoint]:
    """The technician's points during the trip; without a trip, those tagged with the attendance."""
    started, arrived = travel_window(attendance, events)
    stmt = select(TrackPoint).order_by(TrackPoint.recorded_at, TrackPoint.id)
    if started is None:
        stmt = stmt.where(TrackPoint.attendance_id == attendance.id)
    else:
        stmt = stmt.where(TrackPoint.technician_id == attendance.technician_id,
                          TrackPoint.recorded_at >= started)
        if arrived is not None:
            stmt = stmt.where(TrackPoint.recorded_at <= arrived)
    return list(db.session.execute(scoped(stmt, TrackPoint)).scalars())


def travel_track(attendance: Attendance, events=None) -> list[tuple[datetime, float, float]]:
    """Every GPS reading of the trip in time order: track points and the located events."""
    events = timeline(attendance) if events is None else events
    started, arrived = travel_window(attendance, events)
    readings = [(p.recorded_at, p.latitude, p.longitude) for p in travel_points(attendance, events)]
    if started is not None:
        readings += [(e.device_time, e.latitude, e.longitude) for e in events
                     if e.latitude is not None and started <= e.device_time
                     and (arrived is None or e.device_time <= arrived)]
    return sorted(readings, key=lambda reading: reading[0])


def recompute_travel(attendance: Attendance) -> bool:
    """Distância percorrida (haversine over the ordered track) and the travel time; True when
    either changed."""
    events = timeline(attendance)
    track = travel_track(attendance, events)
    started, arrived = travel_window(attendance, events)
    distance = track_length_m([(lat, lon) for _at, lat, lon in track]) if len(track) > 1 else None
    seconds = int((arrived - started).total_seconds()) if started and arrived else None
    if (attendance.distance_m, attendance.travel_seconds) == (distance, seconds):
        return False
    attendance.distance_m, attendance.travel_seconds = distance, seconds
    return True


def purge_gps(days: int | None = None, now: datetime | None = None, chunk: int = 5000) -> dict:
    """LGPD: forget GPS data older than the retention (points, last positions, event fixes).

    Distances and travel times already computed stay: they are not positions.
    """
    days = current_app.config["PWS_GPS_RETENTION_DAYS"] if days is None else days
    cutoff = (now or utcnow()) - timedelta(days=days)
    points = 0
    while True:
        ids = list(db.session.execute(
            select(TrackPoint.id).where(TrackPoint.recorded_at < cutoff).limit(chunk)).scalars())
        if not ids:
            break
        db.session.execute(delete(TrackPoint).where(TrackPoint.id.in_(ids)))
        db.session.commit()
        points += len(ids)
    technicians = db.session.execute(
        update(Technician).where(Technician.last_position_at < cutoff)
        .values(last_latitude=None, last_longitude=None, last_accuracy_m=None, last_position_at=None)
    ).rowcount
    events = db.session.execute(
        update(AttendanceEvent)
        .where(AttendanceEvent.device_time < cutoff, AttendanceEvent.latitude.is_not(None))
        .values(latitude=None, longitude=None)
    ).rowcount
    db.session.commit()
    return {"points": points, "positions": technicians, "events": events, "cutoff": cutoff}


def tracked_technicians() -> list[Technician]:
    """Rastreamento: technicians with a known position who work on calls in the viewer's
    scope (for the Admin Revenda, every technician)."""
    stmt = (select(Technician).where(Technician.last_position_at.is_not(None))
            .order_by(Technician.last_position_at.desc()))
    stmt = scoped(stmt, Technician)
    if scope_condition(ServiceCall) is not None:
        their_calls = scoped(select(ServiceCall.technician_id), ServiceCall)
        stmt = stmt.where(Technician.id.in_(their_calls))
    return list(db.session.execute(stmt.limit(1000)).scalars())


# --- photos, signature, report -----------------------------------------------------------

def add_photo(attendance: Attendance, data: dict, content: bytes) -> tuple[AttendancePhoto, bool]:
    old = _existing_by_uid(AttendancePhoto, {data["uid"]}).get(data["uid"])
    if old is not None:
        if old.attendance_id == attendance.id:
            return old, False
        raise Conflict(_("Este identificador já foi usado em outra foto."))
    count = db.session.execute(select(func.count(AttendancePhoto.id)).where(
        AttendancePhoto.attendance_id == attendance.id)).scalar_one()
    if count >= MAX_PHOTOS:
        raise FieldError(_("Limite de %(n)d fotos por atendimento.", n=MAX_PHOTOS))
    clean = _clean(content, ("JPEG", "PNG"))
    photo = AttendancePhoto(client_uid=data["uid"], attendance_id=attendance.id,
                            stored_name=images.store(clean), content_type=clean.content_type,
                            caption=data.get("caption"), taken_at=as_utc(data.get("taken_at")))
    db.session.add(photo)
    db.session.flush()
    return photo, True


def set_signature(attendance: Attendance, data: dict, content: bytes) -> bool:
    """The client's signature (PNG) and name; a new id replaces it, the same id is a retry."""
    if attendance.signature_uid == data["uid"]:
        return False
    clean = _clean(content, ("PNG",))
    images.remove_after_commit(db.session, attendance.signature_stored_name)
    attendance.signature_stored_name = images.store(clean)
    attendance.signature_uid = data["uid"]
    attendance.signer_name = data["signer_name"].strip()
    if attendance.is_closed:
        feed_attendance(attendance, "update")
    return True


def _clean(content: bytes, formats) -> images.CleanImage:
    try:
        return images.clean_image(content, formats)
    except images.ImageRejected as error:
        raise FieldError(str(error), errors=[{"field": "file", "message": str(error)}]) from None


def submit_report(principal: Principal, attendance: Attendance, data: dict) -> bool:
    """The technician's report; sending the same report again changes nothing."""
    report = {
        "services": (data.get("services") or "").strip() or None,
        "parts": [{"code": p.get("code"), "description": p["description"], "quantity": p["quantity"]}
                  for p in data.get("parts") or []],
        "counters": [{"name": c["name"], "value": c["value"]} for c in data.get("counters") or []],
        "notes": (data.get("notes") or "").strip() or None,
        "pending": bool(data.get("pending")),
    }
    current = {"services": attendance.services, "parts": attendance.parts or [],
               "counters": attendance.counter_list, "notes": attendance.notes,
               "pending": bool(attendance.pending)}
    if report == current and attendance.report_sent_at is not None:
        return False
    for key, value in report.items():
        setattr(attendance, key, value)
    attendance.report_sent_at = utcnow()
    _record_counters(principal, attendance)
    if attendance.status == Attendance.CONCLUDED and attendance.call.status in (
            CallStatus.CONCLUDED, CallStatus.PENDING):
        _settle_call(principal, attendance)
    if attendance.is_closed:
        feed_attendance(attendance, "update")
    return True


def _record_counters(principal: Principal, attendance: Attendance) -> None:
    """The report's highest counter joins the equipment's one reading history (a report sent
    again replaces its attendance's reading), so the supply rules know it at once."""
    equipment_id = attendance.call.equipment_id
    if equipment_id is None:
        return
    db.session.execute(delete(MeterReading).where(MeterReading.attendance_id == attendance.id))
    values = [counter["value"] for counter in attendance.counter_list if counter["value"] <= MAX_COUNTER]
    if values:
        record_reading(equipment_id, max(values), source=MeterReading.ATTENDANCE,
                       read_at=attendance.report_sent_at, attendance_id=attendance.id,
                       read_by_id=principal.user_id)


# --- change feed -------------------------------------------------------------------------

def feed_attendance(attendance: Attendance, op: str) -> None:
    """The ERP learns the report, the timeline and the counters (not the GPS positions)."""
    call = attendance.call
    record_change("attendance", op, web_id=attendance.id, company_id=call.company_id, data={
        "uid": attendance.client_uid, "call_web_id": call.id, "call_erp_id": call.erp_id,
        "technician_erp_id": attendance.technician.erp_id, "status": attendance.status,
        "started_at": isoformat_local(attendance.started_at),
        "finished_at": isoformat_local(attendance.finished_at),
        "services": attendance.services, "parts": attendance.parts or [],
        "counters": attendance.counter_list, "notes": attendance.notes,
        "pending": bool(attendance.pending), "signer_name": attendance.signer_name,
        "distance_m": attendance.distance_m, "travel_seconds": attendance.travel_seconds,
        "timeline": [{"kind": e.kind, "device_time": isoformat_local(e.device_time)}
                     for e in timeline(attendance)],
    })


# --- links: Compartilhar and "Técnico a caminho" ------------------------------------------

def create_link(attendance: Attendance, purpose: str, created_by_id: int | None,
                lifetime: timedelta) -> tuple[ShareLink, str]:
    """A random token shown once; only its hash is kept."""
    token, hashed = tokens.new_token()
    link = ShareLink(attendance_id=attendance.id, purpose=purpose, token_hash=hashed,
                     created_by_id=created_by_id, created_at=utcnow(),
                     expires_at=utcnow() + lifetime)
    db.session.add(link)
    db.session.flush()
    return link, token


def share_attendance(attendance: Attendance, user_id: int) -> tuple[ShareLink, str]:
    days = current_app.config["PWS_SHARE_LINK_DAYS"]
    return create_link(attendance, SHARE, user_id, timedelta(days=days))


def links_of(attendance: Attendance) -> list[ShareLink]:
    """Every link of the attendance (shared and "Técnico a caminho"), newest first."""
    stmt = (select(ShareLink).where(ShareLink.attendance_id == attendance.id)
            .order_by(ShareLink.created_at.desc(), ShareLink.id.desc()))
    return list(db.session.execute(stmt).scalars())


def revoke_link(attendance: Attendance, link_id: int) -> ShareLink:
    link = db.session.get(ShareLink, link_id)
    if link is None or link.attendance_id != attendance.id:
        raise OutOfScope("ShareLink")
    link.revoked_at = link.revoked_at or utcnow()
    return link


def link_for_token(token: str) -> ShareLink | None:
    """The link a public URL names; the token is the only authority (no user session).

    Raises TokenGone once it expired or was revoked: the page then shows nothing of it.
    """
    return tokens.find(ShareLink, token)


def _announce_trip(attendance: Attendance, event: AttendanceEvent) -> None:
    """Técnico a caminho: e-mail the client contact a live link, once per attendance, and only
    while the trip is news (no arrival recorded, not older than the link would live)."""
    hours = current_app.config["PWS_ETA_LINK_HOURS"]
    if event.device_time < utcnow() - timedelta(hours=hours):
        return
    if any(e.kind in AFTER_DEPARTURE for e in timeline(attendance)):
        return
    already = db.session.execute(select(ShareLink.id).where(
        ShareLink.attendance_id == attendance.id, ShareLink.purpose == ETA)).first()
    recipient = contact_email(attendance.call)
    if already or not recipient:
        return
    _link, token = create_link(attendance, ETA, None, timedelta(hours=hours))
    queue_email("technician_on_the_way", contact_copy("technician_on_the_way", attendance.call, address=recipient), {
        "call": attendance.call, "technician_name": attendance.technician.name,
        "link": f"{current_app.config['PWS_BASE_URL']}/acompanhar/{token}", "hours": hours,
    })


def contact_email(call: ServiceCall) -> str | None:
    """The call's contact, or the client's e-mail when the call names none."""
    return call.contact_email or (call.client.email if call.client else None)


def eta_status(attendance: Attendance) -> dict:
    """What the "Técnico a caminho" page may show: his name, and while he is on the way his
    last position and an estimated arrival (from where technicians arrived at this client)."""
    events = timeline(attendance)
    technician = attendance.technician
    arrived = attendance.is_closed or any(e.kind in AFTER_DEPARTURE for e in events)
    result = {"technician_name": technician.name, "arrived": arrived, "position": None,
              "eta_minutes": None}
    if arrived or technician.last_position_at is None:
        return result
    started, _ = travel_window(attendance, events)
    if started is not None and technician.last_position_at < started - timedelta(minutes=30):
        return result
    origin = (technician.last_latitude, technician.last_longitude)
    result["position"] = {"latitude": origin[0], "longitude": origin[1],
                          "at": technician.last_position_at}
    destination = _known_client_location(attendance.call.client_id)
    if destination is not None:
        seconds = eta_seconds(origin, destination, current_app.config["PWS_ETA_SPEED_KMH"])
        result["eta_minutes"] = max(1, round(seconds / 60))
        result["destination"] = {"latitude": destination[0], "longitude": destination[1]}
    return result


def _known_client_location(client_id: int) -> tuple[float, float] | None:
    """Where a technician last recorded "Chegada no cliente" at this client."""
    row = db.session.execute(
        select(AttendanceEvent.latitude, AttendanceEvent.longitude)
        .join(Attendance, Attendance.id == AttendanceEvent.attendance_id)
        .join(ServiceCall, ServiceCall.id == Attendance.call_id)
        .where(ServiceCall.client_id == client_id, AttendanceEvent.kind == "arrived",
               AttendanceEvent.latitude.is_not(None))
        .order_by(AttendanceEvent.device_time.desc()).limit(1)
    ).first()
    return (row.latitude, row.longitude) if row else None


# --- Avaliação ---------------------------------------------------------------------------

def invite_survey(attendance: Attendance) -> Survey:
    """One survey per concluded attendance, e-mailed to the client contact when known."""
    survey = db.session.execute(
        select(Survey).where(Survey.attendance_id == attendance.id)).scalar_one_or_none()
    if survey is not None:
        return survey
    token, hashed = tokens.new_token()
    days = current_app.config["PWS_SURVEY_DAYS"]
    survey = Survey(attendance_id=attendance.id, token_hash=hashed, sent_at=utcnow(),
                    expires_at=utcnow() + timedelta(days=days))
    db.session.add(survey)
    recipient = contact_email(attendance.call)
    if recipient:
        queue_email("survey_invitation", contact_copy("survey_invitation", attendance.call, address=recipient), {
            "call": attendance.call, "technician_name": attendance.technician.name,
            "link": f"{current_app.config['PWS_BASE_URL']}/avaliacao/{token}", "days": days,
        })
    return survey


def survey_for_token(token: str) -> Survey | None:
    """The survey a public link names; TokenGone once answered or expired."""
    return tokens.find(Survey, token, revoked=None, spent="answered_at")


def answer_survey(survey: Survey, rating, comment: str | None) -> None:
    """Once only, before it expires: the rating (1–5) and an optional comment, then the ERP
    hears of it."""
    if survey.answered_at is not None or survey.expires_at <= utcnow():
        raise tokens.TokenGone()
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise FieldError(_("Escolha uma nota de 1 a 5."))
    comment = (comment or "").strip()
    too_long = problem(Survey.comment, comment)
    if too_long:
        raise FieldError(_("Comentário: %(problem)s", problem=too_long))
    survey.rating, survey.comment, survey.answered_at = rating, comment or None, utcnow()
    attendance = survey.attendance
    call = attendance.call
    record_change("survey", "create", web_id=survey.id, company_id=call.company_id, data={
        "attendance_web_id": attendance.id, "call_web_id": call.id, "call_erp_id": call.erp_id,
        "technician_erp_id": attendance.technician.erp_id, "rating": rating,
        "comment": survey.comment, "answered_at": isoformat_local(survey.answered_at),
    })


def survey_of(attendance: Attendance) -> Survey | None:
    return db.session.execute(
        select(Survey).where(Survey.attendance_id == attendance.id)).scalar_one_or_none()

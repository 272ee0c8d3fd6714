"""JSON shapes of orders and attendances, shared by the app API and the technician's page."""
from sqlalchemy import select

from app.calls import parts
from app.core.db import db
from app.core.timefmt import isoformat_local
from app.field import services
from app.field.models import Attendance, AttendancePhoto


def order_json(call, attendance: Attendance | None, last_reading=None) -> dict:
    """An order with what a visit needs, the equipment's last known counter included."""
    client, equipment, defect = call.client, call.equipment, call.defect_type
    return {
        "id": call.id, "erp_id": call.erp_id, "status": call.status,
        "opened_at": isoformat_local(call.opened_at), "priority_due": isoformat_local(call.priority_due),
        "description": call.description, "service_address": call.service_address,
        "defect": {"id": defect.id, "name": defect.name} if defect else None,
        "client": {
            "id": client.id, "name": client.name, "trade_name": client.trade_name,
            "address": client.address, "district": client.district, "zip": client.zip,
            "city": client.city, "state": client.state, "phone": client.phone,
        },
        "equipment": {
            "id": equipment.id, "serial": equipment.serial, "asset_tag": equipment.asset_tag,
            "model": equipment.model.name if equipment.model else None,
            "location": equipment.location, "department": equipment.department,
            "last_counter": {"value": last_reading.counter, "read_at": isoformat_local(last_reading.read_at)}
            if last_reading else None,
        } if equipment else None,
        "contact": {
            "name": call.contact_name or client.contact_name,
            "phone": call.contact_phone or client.phone,
            "email": services.contact_email(call),
        },
        "attendance_id": attendance.id if attendance else None,
    }


def event_json(event) -> dict:
    return {
        "uid": event.client_uid, "kind": event.kind, "label": str(services.EVENT_LABELS[event.kind]),
        "device_time": isoformat_local(event.device_time), "received_at": isoformat_local(event.received_at),
        "latitude": event.latitude, "longitude": event.longitude,
    }


def attendance_summary(attendance: Attendance) -> dict:
    return {
        "id": attendance.id, "uid": attendance.client_uid, "call_id": attendance.call_id,
        "status": attendance.status, "status_label": str(services.STATUS_LABELS[attendance.status]),
        "started_at": isoformat_local(attendance.started_at),
        "finished_at": isoformat_local(attendance.finished_at),
    }


def attendance_json(attendance: Attendance) -> dict:
    photos = db.session.execute(
        select(AttendancePhoto).where(AttendancePhoto.attendance_id == attendance.id)
        .order_by(AttendancePhoto.id)).scalars()
    return {
        **attendance_summary(attendance),
        "call_status": attendance.call.status,
        "distance_m": attendance.distance_m, "travel_seconds": attendance.travel_seconds,
        "timeline": [event_json(e) for e in services.timeline(attendance)],
        "photos": [{"uid": p.client_uid, "id": p.id, "caption": p.caption,
                    "taken_at": isoformat_local(p.taken_at)} for p in photos],
        "signature": ({"uid": attendance.signature_uid, "signer_name": attendance.signer_name}
                      if attendance.signature_uid else None),
        "report": {
            "services": attendance.services, "parts": attendance.parts or [],
            "counters": attendance.counter_list, "notes": attendance.notes,
            "pending": bool(attendance.pending),
            "sent_at": isoformat_local(attendance.report_sent_at),
        },
    }


def parts_json(call, offered, requests) -> dict:
    """The parts a technician may request for the call, and his requests with their state."""
    return {
        "call_id": call.id, "status": call.status,
        "parts": [{"id": p.id, "erp_id": p.erp_id, "code": p.code, "name": p.name} for p in offered],
        "requests": [parts_request_json(r) for r in requests],
    }


def parts_request_json(request) -> dict:
    return {
        "id": request.id, "uid": request.client_uid, "call_id": request.call_id,
        "attendance_id": request.attendance_id, "state": request.state,
        "state_label": parts.state_label(request.state),
        "requested_at": isoformat_local(request.requested_at),
        "state_changed_at": isoformat_local(request.state_changed_at), "note": request.note,
        "items": [{"part_id": i.part_id, "description": i.description, "quantity": i.quantity}
                  for i in request.items],
    }

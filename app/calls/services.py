"""Domain actions on chamados, shared by the web screens, the APIs and the ERP sync."""
from app.calls.models import CallStatus, CallStatusChange, ServiceCall
from app.core.db import db, utcnow
from app.sync.feed import record_change

CLOSED_STATUSES = (CallStatus.CONCLUDED, CallStatus.ATTENDED, CallStatus.CANCELLED)


class TransitionError(ValueError):
    """A status change the flow does not allow; the message is shown to the user."""


def call_feed_data(call: ServiceCall) -> dict:
    return {
        "status": call.status, "company_id": call.company_id, "client_id": call.client_id,
        "equipment_id": call.equipment_id, "technician_id": call.technician_id,
        "description": call.description,
    }


def change_status(call: ServiceCall, to_status: str, *, actor_id: int | None = None,
                  source: str = "web", note: str | None = None) -> CallStatusChange:
    """Move a call to ``to_status``: history row, close date and, for portal-side changes, the
    ERP change feed — all in the caller's transaction (the caller commits)."""
    if to_status not in CallStatus.ALL:
        raise TransitionError(f"Status inválido: {to_status}")
    change = CallStatusChange(call_id=call.id, from_status=call.status, to_status=to_status,
                              changed_by_id=actor_id, source=source, note=note, changed_at=utcnow())
    call.status = to_status
    call.closed_at = utcnow() if to_status in CLOSED_STATUSES else None
    db.session.add(change)
    if source != "erp":
        record_change("service_order", "update", web_id=call.id, erp_id=call.erp_id,
                      company_id=call.company_id, data=call_feed_data(call))
    return change

"""Domain actions on solicitações de suprimentos, shared by web, APIs and the ERP sync."""
from app.core.db import db
from app.supplies.models import SupplyRequest, SupplyStatus
from app.sync.feed import record_change

EDITABLE_FIELDS = ("status", "carrier_id", "tracking_code", "invoice_number", "invoice_date")


class SupplyError(ValueError):
    """A change the request does not allow; the message is shown to the user."""


def supply_feed_data(request: SupplyRequest) -> dict:
    return {field: getattr(request, field) for field in EDITABLE_FIELDS} | {
        "company_id": request.company_id, "client_id": request.client_id,
    }


def update_supply_request(request: SupplyRequest, *, actor_id: int | None = None,
                          source: str = "web", **changes) -> SupplyRequest:
    """Apply operator or ERP changes; portal-side ones enter the change feed (caller commits)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise SupplyError(f"Campos não editáveis: {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in SupplyStatus.ALL:
        raise SupplyError(f"Status inválido: {changes['status']}")
    for field, value in changes.items():
        setattr(request, field, value)
    db.session.add(request)
    if source != "erp":
        data = supply_feed_data(request)
        data["invoice_date"] = data["invoice_date"].isoformat() if data["invoice_date"] else None
        record_change("supply_request", "update", web_id=request.id, company_id=request.company_id,
                      data=data)
    return request

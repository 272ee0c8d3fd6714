"""The change feed: what the ERP must learn from the portal, written in the caller's transaction."""
from app.core.db import db
from app.sync.models import ChangeFeedEntry


def record_change(entity: str, op: str, *, data: dict, web_id: int | None = None,
                  erp_id: str | None = None, company_id: int | None = None) -> ChangeFeedEntry:
    """Add a feed entry to the current session; it commits (or rolls back) with the change."""
    entry = ChangeFeedEntry(entity=entity, op=op, web_id=web_id, erp_id=erp_id,
                            company_id=company_id, data=data)
    db.session.add(entry)
    return entry

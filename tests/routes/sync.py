"""Routes of Sincronismo: the token-authenticated sync API and the admin's screens.

The sync API takes no session: a browser user of any profile, logged in or not, gets 401.
"""
from app.core.db import db
from app.sync.models import SyncBatch
from app.sync.services import create_token
from tests.access import ADMIN, allow, public

ROUTES = {
    ("POST", "/api/sync/v1/batch"): public(401),
    ("GET", "/api/sync/v1/changes"): public(401),
    ("POST", "/api/sync/v1/changes/ack"): public(401),
    ("POST", "/api/sync/v1/heartbeat"): public(401),
    ("GET", "/sincronismo/"): allow(ADMIN),
    ("GET", "/sincronismo/lotes/{sync_batch}"): allow(ADMIN),
    ("POST", "/sincronismo/tokens#name=ILUX servidor"): allow(ADMIN),
    ("POST", "/sincronismo/tokens/{sync_token}/revogar"): allow(ADMIN, ok=302),
}


def build(ids, users):
    token, _plain = create_token("ILUX matriz")
    db.session.flush()
    batch = SyncBatch(batch_id="lote-1", token_id=token.id, status=SyncBatch.REJECTED, content_hash="0" * 64,
                      record_count=1, error_count=1, result={"errors": [
                          {"index": 0, "entity": "client", "erp_id": "6", "field": "name",
                           "message": "Campo obrigatório."}]})
    db.session.add(batch)
    db.session.flush()
    return {"sync_token": token.id, "sync_batch": batch.id}

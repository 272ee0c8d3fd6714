"""GET /changes, POST /changes/ack, POST /heartbeat, retention (api.md §1)."""
from datetime import timedelta

from sqlalchemy import select, update

from app.calls.services import change_status
from app.core.db import db, utcnow
from app.feed.changes import record_change
from app.feed.models import ChangeFeedEntry
from app.sync.models import SyncToken
from app.sync.services import last_sync_at
from tests import factories as f
from tests.sync_support import bearer, changes


def _portal_activity(count):
    """A call that the portal moves ``count`` times, one committed change each."""
    company = f.company()
    call = f.call(f.client(company), status="A")
    for status in ("E", "M", "P", "M", "O", "T")[:count]:
        change_status(call, status)
        db.session.commit()
    return call.id


def test_changes_come_in_seq_order_and_resume_from_the_acknowledged_cursor(client, db_ctx):
    with db_ctx():
        plain = f.sync_token()[1]
        call_id = _portal_activity(5)
    first = changes(client, plain, limit=3)
    assert first.status_code == 200
    page = first.get_json()
    assert [c["seq"] for c in page["changes"]] == [1, 2, 3]
    assert (page["next_cursor"], page["has_more"]) == ("3", True)
    change = page["changes"][0]
    assert (change["entity"], change["op"], change["web_id"], change["erp_id"]) == (
        "service_order", "update", call_id, None)
    assert change["data"]["status"] == "E" and change["at"].endswith("-03:00")
    assert changes(client, plain, limit=3).get_json() == page, "reading changes nothing"
    rest = changes(client, plain, after=3).get_json()
    assert ([c["seq"] for c in rest["changes"]], rest["next_cursor"], rest["has_more"]) == ([4, 5], "5", False)
    assert [c["data"]["status"] for c in page["changes"] + rest["changes"]] == ["E", "M", "P", "M", "O"]

    ack = client.post("/api/sync/v1/changes/ack", json={"cursor": "3"}, headers=bearer(plain))
    assert ack.get_json() == {"cursor": "3", "pending": 2}
    resumed = changes(client, plain).get_json()
    assert [c["seq"] for c in resumed["changes"]] == [4, 5], "no cursor: after the acknowledged one"
    assert client.post("/api/sync/v1/changes/ack", json={"cursor": "6"}, headers=bearer(plain)).status_code == 422
    with db_ctx() as session:
        token = session.execute(select(SyncToken)).scalar_one()
        assert (token.acked_cursor, token.acked_at is not None) == (3, True)


def test_a_rolled_back_change_never_reaches_the_feed_and_leaves_no_gap(client, db_ctx):
    with db_ctx():
        plain = f.sync_token()[1]
        record_change("contact", "create", data={"subject": "desistiu"})
        db.session.rollback()
        record_change("contact", "create", data={"subject": "enviado", "when": utcnow()})
        db.session.commit()
    body = changes(client, plain).get_json()
    assert [(c["seq"], c["data"]["subject"]) for c in body["changes"]] == [(1, "enviado")]
    assert body["changes"][0]["data"]["when"].endswith("-03:00"), "dates as the API speaks them"


def test_purged_cursor_is_410_with_a_resync_message(app, client, db_ctx):
    with db_ctx():
        plain = f.sync_token()[1]
        _portal_activity(4)
        db.session.execute(update(ChangeFeedEntry).where(ChangeFeedEntry.seq <= 2)
                           .values(at=utcnow() - timedelta(days=91)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["pws", "purge-feed"])
    assert result.exit_code == 0 and "2 alteração(ões)" in result.output
    gone = changes(client, plain, after=1)
    assert gone.status_code == 410
    assert "ressincronize" in gone.get_json()["message"]
    assert [c["seq"] for c in changes(client, plain, after=2).get_json()["changes"]] == [3, 4]
    assert [c["seq"] for c in changes(client, plain).get_json()["changes"]] == [3, 4], \
        "a synchronizer without cursor starts at the oldest kept change"
    assert changes(client, plain, after=99).status_code == 410, "a cursor from the future is unknown"
    with db_ctx() as session:
        session.execute(update(SyncToken).values(acked_cursor=1))
        session.commit()
    assert changes(client, plain).status_code == 410, "an acknowledged cursor that was purged too"
    result = app.test_cli_runner().invoke(args=["pws", "purge-feed", "--days", "1"])
    assert "0 alteração(ões)" in result.output


def test_heartbeat_and_every_call_are_signs_of_life(client, db_ctx):
    with db_ctx():
        token, plain = f.sync_token("ILUX matriz")
        token_id = token.id
        assert last_sync_at() is None
    beat = client.post("/api/sync/v1/heartbeat", json={"agent": "SYNC II", "version": "2.4"},
                       headers=bearer(plain))
    assert beat.status_code == 200
    assert beat.get_json()["acked_cursor"] == "0"
    with db_ctx() as session:
        token = session.get(SyncToken, token_id)
        assert (token.agent, token.agent_version) == ("SYNC II", "2.4")
        assert token.last_heartbeat_at is not None
        assert last_sync_at() == token.last_used_at
        session.execute(update(SyncToken).values(last_used_at=utcnow() - timedelta(minutes=10)))
        session.commit()
    assert changes(client, plain).status_code == 200
    with db_ctx():
        assert utcnow() - last_sync_at() < timedelta(minutes=5), "a plain call counts too"
        f.sync_token("REVOGADO")
        session = db.session
        session.execute(update(SyncToken).where(SyncToken.name == "REVOGADO")
                        .values(last_used_at=utcnow() + timedelta(minutes=1), revoked_at=utcnow()))
        session.commit()
        assert last_sync_at() < utcnow(), "revoked tokens do not count"

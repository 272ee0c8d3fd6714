"""Sincronismo: tokens, batches, the feed as the ERP reads it, and the monitor's figures."""
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from app.accounts.models import PortalUser
from app.core.changelog import grouped
from app.core.db import db, retry_on_conflict, utcnow
from app.core.scoping import scoped
from app.core.timefmt import isoformat_local
from app.core.tokens import digest, new_token
from app.feed import changes as feed
from app.sync.contract import MAX_RECORDS
from app.sync.ingest import BatchRejected, ingest
from app.sync.models import SyncBatch, SyncToken

TOKEN_PREFIX = "pws_"  # nosec B105  # a prefix, not a secret
SYSTEM_USERNAME = "sincronismo"
SYSTEM_EMAIL = "sincronismo@sistema.invalid"
MAX_STORED_ERRORS = 100
MAX_PAGE = 1000
LAST_USE_PRECISION = timedelta(seconds=1)


class SyncError(ValueError):
    """A refused sync request: ``status`` is the HTTP answer, the message is for the integrator."""

    def __init__(self, status: int, message: str, errors: list | None = None):
        super().__init__(message)
        self.status = status
        self.errors = errors


# --- tokens ----------------------------------------------------------------------------------

def create_token(name: str, *, created_by_id: int | None = None) -> tuple[SyncToken, str]:
    """A new token; the plain text is returned once and only its hash is stored."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise SyncError(422, _("Informe um nome de até 80 caracteres."))
    if db.session.execute(select(SyncToken.id).where(SyncToken.name == name)).first():
        raise SyncError(409, _("Já existe um token com o nome %(name)s.", name=name))
    plain, hashed = new_token(TOKEN_PREFIX)
    token = SyncToken(name=name, token_hash=hashed,
                      created_by_id=created_by_id or system_user_id())
    db.session.add(token)
    return token, plain


def revoke_token(token: SyncToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def token_named(name: str) -> SyncToken | None:
    return db.session.execute(select(SyncToken).where(SyncToken.name == name)).scalar_one_or_none()


def authenticate(header: str | None) -> SyncToken | None:
    """The active token of an ``Authorization: Bearer …`` header, its last use recorded.

    Requests of one token on several Galera nodes write its row at once: the loser of the
    commit reads the token again (and may then find its last use recent enough)."""
    return retry_on_conflict(lambda: _authenticate(header))


def _authenticate(header: str | None) -> SyncToken | None:
    scheme, _sep, plain = (header or "").partition(" ")
    plain = plain.strip()
    if scheme.lower() != "bearer" or not plain.startswith(TOKEN_PREFIX):
        return None
    hashed = digest(plain)
    token = db.session.execute(select(SyncToken).where(SyncToken.token_hash == hashed)).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, hashed) or token.revoked_at:
        return None
    now = utcnow()
    if token.last_used_at is None or not timedelta(0) <= now - token.last_used_at < LAST_USE_PRECISION:
        # Kept to the second: back-to-back requests skip the write (an fsync) and keep their
        # connection. Committed at once: a sign of life even when the request is then refused.
        token.last_used_at = now
        db.session.commit()
    return token


def system_user_id() -> int:
    """The portal user the sync acts as (history rows, tokens created by the CLI).

    Inactive and without a profile: it can never log in nor see anything.
    """
    user_id = db.session.execute(
        select(PortalUser.id).where(PortalUser.username == SYSTEM_USERNAME)).scalar()
    if user_id is None:
        user = PortalUser(first_name="Sincronismo ILUX", last_name="", username=SYSTEM_USERNAME,
                          email=SYSTEM_EMAIL, active=False, password="!", profile=None)  # nosec B106  # "!" matches no hash: no login
        db.session.add(user)
        db.session.flush()
        user_id = user.id
    return user_id


# --- batches ---------------------------------------------------------------------------------

@dataclass
class BatchOutcome:
    body: dict
    replayed: bool = False


def content_hash(records: list) -> str:
    canonical = json.dumps(records, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def receive_batch(token: SyncToken, payload) -> BatchOutcome:
    """All or nothing, once per batch_id (api.md §1)."""
    batch_id, records = _envelope(payload)
    digest = content_hash(records)
    token_id = token.id
    try:
        # A write conflict (a deadlock; on Galera, another node's writer committed first) runs
        # the whole batch again: it then replays, or applies on the rows as they are now.
        return retry_on_conflict(lambda: _apply_batch(token_id, batch_id, records, digest))
    except BatchRejected as rejected:
        db.session.rollback()
        _record_rejection(token_id, batch_id, digest, len(records), rejected.errors)
        raise SyncError(422, _("Lote recusado: nada foi aplicado."), rejected.errors) from None
    except (IntegrityError, OperationalError):
        db.session.rollback()  # the same batch_id or rows written by a concurrent request
        concurrent = _batch_named(batch_id)
        if concurrent is not None and concurrent.status == SyncBatch.APPLIED:
            return _replay(concurrent, digest)
        raise SyncError(503, _("Conflito com outra gravação simultânea; reenvie o lote.")) from None


def _apply_batch(token_id: int, batch_id: str, records: list, digest: str) -> BatchOutcome:
    """One attempt of a batch, committed: replayed when it was applied already."""
    previous = _batch_named(batch_id)
    if previous is not None and previous.status == SyncBatch.APPLIED:
        return _replay(previous, digest)
    with grouped(db.session):  # the batch is one entry of the change log, not one per row
        counts = ingest(records, actor_id=system_user_id())
        db.session.flush()
    result = {"batch_id": batch_id, "applied": len(records), **counts,
              "server_time": isoformat_local(utcnow())}
    row = previous or SyncBatch(batch_id=batch_id)
    row.token_id, row.status, row.content_hash = token_id, SyncBatch.APPLIED, digest
    row.record_count, row.error_count, row.result = len(records), 0, result
    row.received_at = utcnow()
    db.session.add(row)
    db.session.commit()
    return BatchOutcome(result)


def _envelope(payload) -> tuple[str, list]:
    if not isinstance(payload, dict):
        raise SyncError(400, _("O corpo deve ser um objeto JSON."))
    batch_id, records = payload.get("batch_id"), payload.get("records")
    problems = []
    if not isinstance(batch_id, str) or not 0 < len(batch_id.strip()) <= 64:
        problems.append(("batch_id", _("batch_id é obrigatório (texto de até 64 caracteres).")))
    if not isinstance(records, list):
        problems.append(("records", _("records deve ser uma lista.")))
    elif len(records) > MAX_RECORDS:
        raise SyncError(413, _("No máximo %(max)d registros por lote.", max=MAX_RECORDS))
    if problems:
        raise SyncError(422, _("Lote inválido."), [
            {"index": None, "entity": None, "erp_id": None, "field": name, "message": message}
            for name, message in problems])
    return batch_id.strip(), records


def _batch_named(batch_id: str) -> SyncBatch | None:
    return db.session.execute(select(SyncBatch).where(SyncBatch.batch_id == batch_id)).scalar_one_or_none()


def _replay(previous: SyncBatch, digest: str) -> BatchOutcome:
    if previous.content_hash != digest:
        raise SyncError(409, _("Este batch_id já foi aplicado com outro conteúdo."))
    return BatchOutcome(previous.result, replayed=True)


def _record_rejection(token_id, batch_id, digest, record_count, errors) -> None:
    """Kept for the monitor; a later batch with the same batch_id may still apply."""
    row = _batch_named(batch_id)
    if row is not None and row.status == SyncBatch.APPLIED:
        return
    row = row or SyncBatch(batch_id=batch_id)
    row.token_id, row.status, row.content_hash, row.record_count = token_id, SyncBatch.REJECTED, digest, record_count
    row.error_count, row.received_at = len(errors), utcnow()
    row.result = {"errors": errors[:MAX_STORED_ERRORS]}
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


# --- the feed as the ERP reads it -----------------------------------------------------------

def parse_cursor(value, *, field_name: str = "cursor", status: int = 400) -> int:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise SyncError(status, _("%(field)s deve ser um número inteiro não negativo.", field=field_name))
    return int(text)


def changes_after(token: SyncToken, after: int | None, limit: int) -> dict:
    """One page of the feed after ``after`` (default: the token's acknowledged cursor, or the
    oldest change kept when the token never acknowledged one)."""
    if after is None:
        after = token.acked_cursor
    limit = max(1, min(limit, MAX_PAGE))
    page = feed.read_page(after, limit)
    backlog = False
    if page.waiting:
        # A bounded batch: a backlog of any size is numbered across reads (and by the worker).
        backlog = feed.sequence_committed(feed.REQUEST_BATCH) == feed.REQUEST_BATCH
        db.session.rollback()  # end the snapshot: the read below must see the new numbers
        page = feed.read_page(after, limit)
    if page.after > page.last_seq:
        raise SyncError(410, _("Cursor %(cursor)d desconhecido (o último é %(last)d): ressincronize os "
                               "dados e continue a partir do cursor %(last)d.",
                               cursor=page.after, last=page.last_seq))
    if page.after < page.purged_through:
        raise SyncError(410, _("As alterações depois do cursor %(cursor)d já foram expurgadas (retenção): "
                               "ressincronize os dados e continue a partir do cursor %(oldest)d.",
                               cursor=page.after, oldest=page.purged_through))
    return {
        "changes": [change_json(entry) for entry in page.entries],
        "next_cursor": str(page.entries[-1].seq if page.entries else page.after),
        "has_more": page.has_more or (backlog and page.waiting),
    }


def change_json(entry) -> dict:
    """A feed row as the API speaks it."""
    return {"seq": entry.seq, "entity": entry.entity, "op": entry.op, "web_id": entry.web_id,
            "erp_id": entry.erp_id, "at": isoformat_local(entry.at), "data": entry.data}


def acknowledge(token: SyncToken, cursor: int) -> dict:
    def unit():
        last_seq, _purged = feed.feed_state()
        if cursor > last_seq:
            raise SyncError(422, _("Cursor %(cursor)d ainda não existe (o último é %(last)d).",
                                   cursor=cursor, last=last_seq))
        token.acked_cursor, token.acked_at = cursor, utcnow()
        db.session.commit()
        return last_seq

    last_seq = retry_on_conflict(unit)  # the token's row: see authenticate
    return {"cursor": str(cursor), "pending": pending_changes(token, last_seq)}


def heartbeat(token: SyncToken, payload) -> dict:
    payload = payload if isinstance(payload, dict) else {}
    agent, version = payload.get("agent"), payload.get("version")

    def unit():
        token.last_heartbeat_at = utcnow()
        token.agent = str(agent)[:120] if agent is not None else token.agent
        token.agent_version = str(version)[:40] if version is not None else token.agent_version
        db.session.commit()

    retry_on_conflict(unit)  # the token's row: see authenticate
    last_seq, _purged = feed.feed_state()
    return {"server_time": isoformat_local(utcnow()),
            "acked_cursor": str(token.acked_cursor or 0),
            "pending": pending_changes(token, last_seq)}


def pending_changes(token: SyncToken, last_seq: int, unsequenced: int = 0) -> int:
    return max(last_seq - (token.acked_cursor or 0), 0) + unsequenced


# --- monitor ---------------------------------------------------------------------------------

def last_sync_at():
    """The synchronizer's last sign of life: the latest authenticated call of any active token
    (a heartbeat is one; naive UTC). The dashboard and the sync monitor both show this."""
    return db.session.execute(
        select(func.max(SyncToken.last_used_at)).where(SyncToken.revoked_at.is_(None))
    ).scalar()


def is_stale(moment, now=None) -> bool:
    """No sign of life for longer than PWS_SYNC_STALE_MINUTES (§4: 5 minutes)."""
    limit = timedelta(minutes=current_app.config["PWS_SYNC_STALE_MINUTES"])
    return moment is None or (now or utcnow()) - moment > limit


def monitor_tokens() -> list[dict]:
    """Every token with its signs of life and the changes it has not acknowledged yet."""
    tokens = db.session.execute(
        scoped(select(SyncToken), SyncToken).order_by(SyncToken.revoked_at.is_not(None), SyncToken.name)
    ).scalars().all()
    last_seq, _purged = feed.feed_state()
    unsequenced = feed.unsequenced_count()
    now = utcnow()
    return [{"token": token, "stale": token.active and is_stale(token.last_used_at, now),
             "pending": pending_changes(token, last_seq, unsequenced)} for token in tokens]


def recent_batches(page: int, per_page: int = 20) -> tuple[list[SyncBatch], bool]:
    rows = db.session.execute(
        scoped(select(SyncBatch), SyncBatch).options(joinedload(SyncBatch.token))
        .order_by(SyncBatch.received_at.desc(), SyncBatch.id.desc())
        .offset(page * per_page).limit(per_page + 1)
    ).scalars().all()
    return rows[:per_page], len(rows) > per_page


def revoke_by_id(token_id: int) -> SyncToken | None:
    token = db.session.execute(
        scoped(select(SyncToken), SyncToken).where(SyncToken.id == token_id)).scalar_one_or_none()
    if token is not None:
        revoke_token(token)
    return token


"""Links and keys that act without a login (pré atendimento, shared attendances, surveys,
password resets, the ERP's tokens): a random token shown once and only its SHA-256 kept, found
by that hash, refused once it expired, was revoked or was spent."""
import hashlib
import secrets

from sqlalchemy import select

from app.core.db import db, utcnow

MAX_TOKEN_LENGTH = 200  # longer is no token of ours: not even hashed


class TokenGone(Exception):
    """The token named a row, but it expired, was revoked or was already used."""


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token(prefix: str = "") -> tuple[str, str]:
    """(the token to hand out once, the hash to store)."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, digest(raw)


def find(model, raw: str | None, *, hash_column: str = "token_hash", expires: str | None = "expires_at",
         revoked: str | None = "revoked_at", spent: str | None = None):
    """The row of ``model`` whose ``hash_column`` holds this token's hash; None when there is
    none; TokenGone when its ``expires`` moment passed or its ``revoked`` / ``spent`` is set."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.execute(
        select(model).where(getattr(model, hash_column) == digest(raw))).scalar_one_or_none()
    if row is None:
        return None
    if (revoked and getattr(row, revoked) is not None) or (spent and getattr(row, spent) is not None) \
            or (expires and getattr(row, expires) <= utcnow()):
        raise TokenGone()
    return row

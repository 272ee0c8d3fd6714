"""``GET /saude``: the health check a reverse proxy or load balancer polls on each app server.

Public and without session: it says only whether this server reaches the database (the portal
cannot answer anything without it: 503 takes the server out of the pool) and, when REDIS_URL is
set, Redis (reported, not fatal: every server shares it, so taking them all out helps nobody;
docs/deployment.md).
"""
import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.core.connections import redis_connection
from app.core.db import db

log = logging.getLogger(__name__)
PATH = "/saude"
health = Blueprint("health", __name__)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not reachable"
        log.exception("health check: database unreachable")
        db.session.rollback()
        return False


def _redis_state() -> str:
    if not current_app.config.get("REDIS_URL"):
        return "off"
    from redis.exceptions import RedisError

    try:
        redis_connection().ping()
        return "ok"
    except RedisError:
        log.warning("health check: Redis unreachable", exc_info=True)
        return "error"


@health.get(PATH)
def check():
    database = "ok" if _database_ok() else "error"
    body = {"status": "ok" if database == "ok" else "error", "database": database, "redis": _redis_state()}
    return jsonify(body), 200 if database == "ok" else 503

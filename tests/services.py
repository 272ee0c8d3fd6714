"""Real services for tests: skipped with a reason when absent, required in CI."""
import os

import pytest

REQUIRE = os.environ.get("PWS_REQUIRE_SERVICES") == "1"


def need(available: bool, what: str):
    """Skip (locally) or fail (CI, PWS_REQUIRE_SERVICES=1) when a service is missing."""
    if available:
        return
    if REQUIRE:
        pytest.fail(f"{what} is required (PWS_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - any failure means Redis is not usable here
        return None
    return url


def need_redis() -> str:
    url = redis_url()
    need(url is not None, "Redis (REDIS_URL)")
    return url


def is_mysql(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("mysql")


def need_mysql(app):
    """MariaDB-only behaviour (row locks, concurrent writers): skipped on the SQLite pass, which
    runs by design without it; CI's MariaDB pass runs it."""
    if not is_mysql(app):
        pytest.skip("MariaDB only: runs in the MariaDB pass")

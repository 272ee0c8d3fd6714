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


# --- the Galera cluster pass (scripts/galera, PWS_GALERA_URLS) ---------------------------------

def _galera_servers() -> list:
    from sqlalchemy.engine import make_url

    return [make_url(url.strip()) for url in os.environ.get("PWS_GALERA_URLS", "").split(",") if url.strip()]


def node_urls(database_url: str) -> list[str]:
    """The suite's database on each node of the Galera cluster (PWS_GALERA_URLS), the suite's
    own (its first node) first; without a cluster, the suite's database alone."""
    from sqlalchemy.engine import make_url

    url, servers = make_url(database_url), _galera_servers()
    if not servers or (url.host, url.port) != (servers[0].host, servers[0].port):
        return [database_url]
    return [url.set(host=server.host, port=server.port).render_as_string(hide_password=False)
            for server in servers]


def need_galera(database_url: str) -> list[str]:
    """The cluster pass only (TEST_DATABASE_URL on the first of PWS_GALERA_URLS' three nodes):
    skipped in the other passes; when the pass is asked for, a missing node fails it."""
    urls = node_urls(database_url)
    if len(urls) < 3:
        pytest.skip("Galera cluster pass only (PWS_GALERA_URLS, TEST_DATABASE_URL on its first node)")
    from sqlalchemy import create_engine, text

    for url in urls:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                size, state = conn.execute(text(
                    "SELECT (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                    "WHERE VARIABLE_NAME = 'wsrep_cluster_size'), (SELECT VARIABLE_VALUE FROM "
                    "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'wsrep_local_state_comment')")).one()
        except Exception as error:  # noqa: BLE001 - a node that does not answer fails the pass
            pytest.fail(f"Galera node {url} does not answer: {error}")
        finally:
            engine.dispose()
        if (size, state) != (str(len(urls)), "Synced"):
            pytest.fail(f"Galera node {url}: cluster size {size}, state {state}")
    return urls

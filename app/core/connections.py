"""The app's Redis connection (e-mail queue, rate limits, health check), one pool per app."""
from flask import current_app
from redis import Redis


def redis_connection() -> Redis:
    """One connection pool per app; short timeouts so a dead Redis never blocks a request."""
    state = current_app.extensions.setdefault("pws_redis", {})
    url = current_app.config["REDIS_URL"]
    if state.get("url") != url:
        state["url"] = url
        state["connection"] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return state["connection"]

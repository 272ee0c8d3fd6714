"""Security headers on every response (docs/security.md), HTTPS only in production.

A small after_request hook rather than Flask-Talisman: views that need their own policy (the
field area's public token pages keep ``no-referrer``; the outbox HTML preview sets a sandbox CSP)
set the header themselves and the hook never overwrites it (docs/decisions.md).
"""
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request

from app.core import health

# Pages opened by a token in their URL (e-mailed and shared links): never leak the token to
# other sites, never cache the page, never index it.
PUBLIC_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def csp_nonce() -> str:
    """This request's script nonce; FAB's templates read it through ``baselib.get_nonce()``."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def tile_origin(tile_url: str) -> str:
    """The map tile server's origin for img-src ("{s}" subdomains become a wildcard)."""
    parts = urlsplit(tile_url or "")
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def content_security_policy(nonce: str, tile_url: str) -> str:
    images = " ".join(filter(None, ["'self'", "data:", "blob:", tile_origin(tile_url)]))
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        # FAB's templates carry style="" attributes; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _is_secure() -> bool:
    return request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https"


def _force_https():
    if request.path == health.PATH:
        return None  # polled over plain HTTP on each server by the proxy
    if not _is_secure() and request.url.startswith("http://"):
        # Built on the configured host, never on the request's Host header.
        host = urlsplit(current_app.config["PWS_BASE_URL"]).netloc
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        return redirect(f"https://{host}{request.path}{query}", code=301)
    return None


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy",
                       content_security_policy(csp_nonce(), current_app.config["PWS_MAP_TILE_URL"]))
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.endpoint not in ("static", "appbuilder.static"):
        # Pages and APIs are per user (or carry a token in the URL): never kept by a cache.
        if "no-store" not in (headers.get("Cache-Control") or ""):
            headers["Cache-Control"] = "no-store"
    if current_app.config["ENV_NAME"] == "production" and _is_secure():
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    if app.config["ENV_NAME"] == "production":
        app.before_request(_force_https)
    app.after_request(_set_headers)

"""No response redirects off-site (security checklist 11), whatever built the Location.

FAB checks ``next=`` against the request's Host header and lets ``/\\evil`` and `` //evil``
through (browsers read both as ``//evil``). PWS trusts only the configured PWS_BASE_URL host
(FAB_SAFE_REDIRECT_HOSTS) and, as a net for every view, rewrites any redirect that would leave
the site to the index.
"""
from urllib.parse import urlsplit

from flask import Flask, current_app


def allowed_host(app: Flask) -> str:
    return urlsplit(app.config["PWS_BASE_URL"]).netloc


def is_on_site(location: str, host: str) -> bool:
    """Reads the URL the way a browser does: leading blanks/controls dropped, ``\\`` as ``/``."""
    cleaned = location.lstrip("".join(map(chr, range(33)))).replace("\\", "/")
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return False
    if parts.scheme and parts.scheme not in ("http", "https"):
        return False
    if parts.scheme and not parts.netloc:
        return False  # "https:evil.example" is read as https://evil.example
    return not parts.netloc or parts.netloc == host


def _keep_on_site(response):
    location = response.headers.get("Location")
    if location and 300 <= response.status_code < 400 and \
            not is_on_site(location, allowed_host(current_app)):
        response.headers["Location"] = current_app.appbuilder.get_url_for_index
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("FAB_SAFE_REDIRECT_HOSTS", [allowed_host(app)])
    app.after_request(_keep_on_site)

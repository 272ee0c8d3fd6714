"""Real HTTP against live servers: a cookie-keeping browser, the CSRF token of a page, multipart
bodies, the change feed through the sync API, and the project's app under gunicorn.

Used by the tests that run the app in other processes or threads (tests/test_faults.py,
tests/test_load.py, tests/test_two_servers.py). They run once, in the MariaDB pass.
"""
from __future__ import annotations

import http.client
import json
import mimetypes
import os
import re
import subprocess  # nosec B404 - starts the project's own gunicorn
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.factories import PASSWORD
from tests.mailtest import free_port

ROOT = Path(__file__).resolve().parent.parent
HTTP_TIMEOUT = 30  # no request of these tests may hang: a stuck server fails the test


def mariadb_pass_only(reason: str = "runs once, in the MariaDB pass (TEST_DATABASE_URL=mysql…)") -> None:
    """Skip on the SQLite pass: live-server tests run once, in the MariaDB pass."""
    from tests.conftest import DATABASE_URL

    if not DATABASE_URL.startswith("mysql"):
        pytest.skip(reason)


def wait_for(check, what: str, timeout: float = 60.0, interval: float = 0.1):
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(interval)


# --- the browser ----------------------------------------------------------------------------

class Response:
    def __init__(self, method: str, status: int, headers, body: bytes):
        self.method, self.status, self.headers, self.body = method, status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        """The path a redirect points to."""
        return urlsplit(self.headers["Location"]).path


class Browser:
    """One user's browser against a live server: its cookies, redirects returned, not followed.

    Cookies are kept by hand (name → value, for any host and path), so the ``Secure`` session
    cookie of a production server is sent back over the plain HTTP a proxy would forward.
    ``headers`` go with every request (e.g. ``Host``, ``X-Forwarded-Proto``, ``X-Forwarded-For``
    of that proxy); ``origin`` is the address the user sees, the ``Referer`` of its form posts
    (production checks it on HTTPS). ``server=`` sends one request to another base URL.
    """

    def __init__(self, base_url: str, *, headers: dict | None = None, origin: str | None = None):
        self.base_url = base_url
        self.headers = dict(headers or {})
        self.origin = origin or base_url
        self.cookies: dict[str, str] = {}

    def copy(self) -> Browser:
        """Another browser holding the same cookies (a stolen or copied session)."""
        other = Browser(self.base_url, headers=self.headers, origin=self.origin)
        other.cookies = dict(self.cookies)
        return other

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                server: str | None = None) -> Response:
        address = urlsplit(server or self.base_url)
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=HTTP_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:  # deleted
                    self.cookies.pop(name, None)
        return Response(method, answer.status, answer.headers, data)

    def get(self, path: str, *, headers: dict | None = None, server: str | None = None) -> Response:
        return self.request("GET", path, headers=headers, server=server)

    def post(self, path: str, fields: dict, files: dict | None = None, *,
             server: str | None = None) -> Response:
        """A form post: urlencoded, or multipart when ``files`` (see ``multipart``) are given."""
        if files:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request("POST", path, body, {"Content-Type": content_type,
                                                 "Referer": self.origin + path}, server)

    def csrf_token(self, path: str, *, server: str | None = None) -> str:
        page = self.get(path, server=server)
        assert page.status == 200, f"GET {path} on {server or self.base_url}: {page.status}"
        return token_in(page.text)

    def login_attempt(self, email: str, password: str = PASSWORD, *, server: str | None = None) -> Response:
        """The login form, filled in and posted (right or wrong, a redirect unless limited)."""
        token = self.csrf_token("/login/", server=server)
        return self.post("/login/", {"username": email, "password": password, "csrf_token": token},
                         server=server)

    def login(self, email: str, password: str = PASSWORD, *, server: str | None = None) -> None:
        response = self.login_attempt(email, password, server=server)
        assert response.status == 302 and response.location != "/login/", \
            f"login of {email}: {response.status} {response.headers.get('Location')}"


def token_in(html: str) -> str:
    """The CSRF token of the form in a page's ``html``, as a browser would post it."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body: ``files`` maps a field to [(file name, bytes), …]; each part's
    type is guessed from its name, as a browser does."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                     .encode())
    for name, uploads in files.items():
        for filename, data in uploads:
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
                         .encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def read_feed(browser: Browser, plain_token: str) -> list[dict]:
    """The whole ERP change feed, page by page, through the sync API."""
    changes, after = [], 0
    while True:
        page = browser.get(f"/api/sync/v1/changes?after={after}&limit=500",
                           headers={"Authorization": f"Bearer {plain_token}"})
        assert page.status == 200, page.text
        body = json.loads(page.body)
        changes += body["changes"]
        after = int(body["next_cursor"])
        if not body["has_more"]:
            return changes


# --- the app in other processes -------------------------------------------------------------

def app_env(**settings) -> dict:
    """Environment of a process running the project's app (gunicorn, the worker): this one's
    without its PWS, Flask, mail, Redis and database settings, plus ``settings`` (as strings)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PWS_", "FLASK_", "MAIL_", "REDIS_", "DATABASE_"))}
    env.update({"FLASK_APP": "run.py", "SECRET_KEY": "test-secret", "PWS_BASE_URL": "http://portal.test"})
    env.update({key: str(value) for key, value in settings.items()})
    return env


class Gunicorn:
    """``gunicorn run:app`` on 127.0.0.1:<free port>, its output in ``log``."""

    def __init__(self, env: dict, log: Path, *, workers: int = 1, threads: int = 1):
        self.port, self.log = free_port(), log
        self.url = f"http://127.0.0.1:{self.port}"
        with open(log, "ab") as out:
            self.process = subprocess.Popen(  # nosec B603 - fixed command line
                [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
                 "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
                 "--no-control-socket", "run:app"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_until_up(self, path: str = "/saude", timeout: float = 90.0) -> None:
        """Until ``path`` answers 200; fails with the log's tail if gunicorn exits first."""
        probe = Browser(self.url)

        def answers() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                return probe.get(path).status == 200
            except (OSError, http.client.HTTPException):
                return False

        wait_for(answers, f"gunicorn on {self.url}{path} (log: {self.log})", timeout, interval=0.2)

    def stop(self) -> None:
        """SIGTERM (a graceful stop), SIGKILL if it is still there after 20 s."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

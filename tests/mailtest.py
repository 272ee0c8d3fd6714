"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives.

Use the ``smtp`` fixture (import it into the test module) and ``mail_config(smtp)`` for an
app that sends through it. The server can be stopped and started again on the same port
("SMTP down, then back"), can refuse recipients, and can hold a session before RCPT so a
sender can be killed mid-send.
"""
import email
import signal
import socket
import threading
import uuid
from contextlib import contextmanager
from email import policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """aiosmtpd handler: records every delivered message."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.refuse: set[str] = set()
        self.hold = threading.Event()  # set() to let held sessions go on
        self.hold.set()
        self.held = threading.Event()  # set while a session waits on ``hold``
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.hold.is_set():
            self.held.set()
            import asyncio

            while not self.hold.is_set():
                await asyncio.sleep(0.01)
        if address.lower() in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.sink = Sink()
        self._controller = None

    @property
    def messages(self):
        return self.sink.messages

    @property
    def envelopes(self):
        return self.sink.envelopes

    def start(self):
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self.sink.hold.set()
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def mail_config(server: SmtpServer, **overrides) -> dict:
    """App settings that send through ``server``, in-process (no Redis) unless overridden."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port, "PWS_MAIL_TIMEOUT": 5,
            "REDIS_URL": None, **overrides}


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def mail_app(_schema, smtp):
    """An app that sends through the ``smtp`` server, in-process (no Redis)."""
    from tests.conftest import _empty_tables, make_app

    app = make_app(**mail_config(smtp))
    _empty_tables(app)
    yield app
    dispose(app)


@pytest.fixture
def redis_mail_app(_schema, smtp):
    """An app that enqueues e-mail on real Redis, in a queue of its own (removed afterwards)."""
    from tests.conftest import _empty_tables, make_app
    from tests.services import need_redis

    url = need_redis()
    app = make_app(**mail_config(smtp, REDIS_URL=url, PWS_MAIL_QUEUE=f"pws-mail-test-{uuid.uuid4().hex}"))
    _empty_tables(app)
    yield app
    with app.app_context():
        from app.notifications.queue import mail_queue

        mail_queue().delete(delete_jobs=True)
    dispose(app)


def run_worker(app) -> None:
    """Drain the app's mail queue with the project's worker (in this process), then return."""
    from app.notifications.worker import build_worker

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():
            build_worker(simple=True).work(burst=True, with_scheduler=True)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def queued_jobs(app) -> int:
    with app.app_context():
        from app.notifications.queue import mail_queue

        return mail_queue().count


@contextmanager
def app_ctx(app):
    """Direct database work inside ``app`` (its mail settings apply), closed afterwards."""
    from app.core.db import db

    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()


@pytest.fixture
def folder_app(_schema):
    """An app without SMTP nor Redis: messages are written to its local mail folder."""
    from tests.conftest import _empty_tables, make_app

    app = make_app(REDIS_URL=None, MAIL_SERVER="")
    _empty_tables(app)
    yield app
    dispose(app)


def dispose(app) -> None:
    """Close the app's database connections now (the server's connection slots are shared)."""
    from app.core.db import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def new_app(_schema):
    """``new_app(**settings)``: more apps on the same database, disposed after the test."""
    from tests.conftest import make_app

    created = []

    def build(**overrides):
        created.append(make_app(**overrides))
        return created[-1]

    yield build
    for app in created:
        dispose(app)

"""A bounded load test on loopback: concurrent clients and operators open calls with the real
form (CSRF token from the page) and read lists against gunicorn, on the suite's MariaDB.

It asserts correctness under concurrency, not speed: every answer as expected (0 errors), every
opened call in the database once, one change-feed entry each with no gap in the sequence, one
e-mail each. Runs in the MariaDB pass (SQLite is not a multi-process server database).
"""
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from app.accounts.roles import ATTENDANCE_OPERATOR, CALLS_OPERATOR, CLIENT
from app.calls.models import ServiceCall
from app.notifications.models import OutboxMessage
from tests import factories as f
from tests.conftest import DATABASE_URL
from tests.live import Browser, Gunicorn, app_env, mariadb_pass_only, read_feed, token_in
from tests.tenants import make_tenant

USERS = 8           # concurrent sessions: half clients, half dealer operators
ITERATIONS = 12     # each: the open-call form, its POST, the call's page, the calls list
GUNICORN_WORKERS = 3
FIELDS = {"description": "Atolando papel na bandeja 2", "contact_name": "Luciano Peçanha",
          "contact_phone": "(48) 3028-1348", "contact_email": "luciano@cliente.com.br"}


@pytest.fixture
def gunicorn(app, tmp_path):
    """The project's app under gunicorn (gthread workers) on 127.0.0.1, on the suite's database."""
    mariadb_pass_only()
    env = app_env(DATABASE_URL=DATABASE_URL, PWS_STORAGE_DIR=tmp_path / "storage",
                  RATELIMIT_ENABLED=0)  # every user logs in from 127.0.0.1
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=GUNICORN_WORKERS, threads=2)
    try:
        server.wait_until_up("/login/")
        yield server.url, server.log
    finally:
        server.stop()


def test_concurrent_users_open_calls_and_read_lists_without_errors(app, db_ctx, gunicorn):
    base, log = gunicorn
    with db_ctx():
        tenant = make_tenant()
        defect = f.defect(name="ATOLAMENTO DE PAPEL").id
        profiles = [CLIENT] * (USERS // 2) + [ATTENDANCE_OPERATOR, CALLS_OPERATOR] * (USERS // 4)
        emails = [f.user(profile, [tenant.company],
                         [tenant.client] if profile == CLIENT else [], client_manager=True,
                         email_call_opened=profile == ATTENDANCE_OPERATOR).email
                  for profile in profiles]
        equipment = tenant.equipment.id
        f.confirmed_contact(tenant.client, FIELDS["contact_email"])  # the contact gets each call's e-mail
        _token, plain = f.sync_token()
    opened, failures = [], []
    form_url = f"/chamados/abrir/?equipamento={equipment}"

    def expect(response, status, what):
        if response.status != status:
            failures.append(f"{what}: {response.status}")
            return False
        return True

    def user_session(email):
        try:
            browser = Browser(base)
            browser.login(email)
            for _ in range(ITERATIONS):
                form = browser.get(form_url)
                if not expect(form, 200, "open form"):
                    continue
                token = token_in(form.text)
                answer = browser.post(form_url, {"csrf_token": token, "defect_type": defect, **FIELDS})
                if not expect(answer, 302, "open call"):
                    continue
                call_id = int(answer.location.rsplit("/", 1)[1])
                opened.append(call_id)
                expect(browser.get(f"/chamados/show/{call_id}"), 200, "call page")
                expect(browser.get("/chamados/list/"), 200, "calls list")
        except Exception as error:  # noqa: BLE001 - reported below with the others
            failures.append(f"{email}: {error!r}")

    threads = [threading.Thread(target=user_session, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "a session never finished"
    assert failures == [], f"{failures[:10]} (log: {log})"

    assert len(opened) == USERS * ITERATIONS
    assert len(set(opened)) == len(opened)  # every call number handed out once
    with db_ctx() as session:
        assert sorted(session.execute(select(ServiceCall.id)).scalars()) == sorted(opened)
        mail = Counter(session.execute(select(OutboxMessage.status)).scalars())
        per_call = Counter(session.execute(select(OutboxMessage.subject)).scalars())
    # each call's e-mails (one per recipient), every one delivered; the same recipients for each
    assert len(per_call) == len(opened) and len(set(per_call.values())) == 1
    assert mail == {"sent": sum(per_call.values())}
    changes = read_feed(Browser(base), plain)
    assert [c["seq"] for c in changes] == list(range(1, len(changes) + 1))
    assert sorted(c["web_id"] for c in changes if c["entity"] == "service_order") == sorted(opened)

"""E-mail that is never lost: outbox in the same transaction, rq (or in-process) after commit,
a sweeper for whatever failed, a real SMTP server on 127.0.0.1 receiving the result."""
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import select

from app.accounts.roles import ADMIN, ATTENDANCE_OPERATOR, CLIENT, SUPPLIES_OPERATOR
from app.contact.models import ContactMessage
from app.contact.services import send_contact
from app.core.db import db
from app.notifications.delivery import deliver, sweep
from app.notifications.models import OutboxMessage
from app.notifications.outbox import queue_email
from app.notifications.sending import send_message
from app.feed.models import ChangeFeedEntry
from tests import factories as f
from tests.conftest import TEST_CONFIG, _empty_tables, csrf_token, login
from tests.services import need_redis
from tests.mailtest import SmtpServer, app_ctx, html_of, mail_config, queued_jobs, run_worker, text_of

ROOT = Path(__file__).resolve().parent.parent


def _contact_world():
    """A client user who writes, and dealer staff with and without the Contato preference."""
    company, other = f.company(), f.company()
    customer = f.client(company, "JAYOB COMPANY")
    sender = f.user(CLIENT, [company], [customer], email="cliente@jayob.test", client_manager=True,
                    email_contact=True)
    f.user(ATTENDANCE_OPERATOR, [company], email="quer@revenda.test", email_contact=True)
    f.user(ADMIN, email="admin@revenda.test", email_contact=True)
    f.user(ATTENDANCE_OPERATOR, [company], email="nao-quer@revenda.test")
    f.user(SUPPLIES_OPERATOR, [other], email="outra-empresa@revenda.test", email_contact=True)
    inactive = f.user(ATTENDANCE_OPERATOR, [company], email="inativo@revenda.test", email_contact=True)
    inactive.active = False
    db.session.commit()
    return sender, customer


def _post_contact(client, subject="Toner acabando", message="Precisamos de toner <urgente>.", kind="contact"):
    return client.post("/contato/", data={"csrf_token": csrf_token(client), "kind": kind,
                                          "subject": subject, "message": message})


def _rows(db_ctx):
    with db_ctx() as session:
        return [(r.status, r.attempts, r.last_error, r.recipients)
                for r in session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_committed_change_sends_exactly_one_message_to_each_recipient(mail_app, db_ctx, smtp):
    with db_ctx():
        _contact_world()
    client = mail_app.test_client()
    login(client, "cliente@jayob.test")
    assert _post_contact(client).status_code == 302

    assert sorted(smtp.envelopes) == [["admin@revenda.test"], ["quer@revenda.test"]]
    assert sorted(message["To"] for message in smtp.messages) == ["admin@revenda.test", "quer@revenda.test"]
    for message in smtp.messages:
        assert message["Subject"] == "Contato: Toner acabando"
        assert message["Message-ID"].startswith("<pws-outbox-")
        text, html = text_of(message), html_of(message)
        for body in (text, html):
            assert "http://portal.test/contato/mensagens/show/" in body
            assert "Esta mensagem foi enviada por um sistema automático. Por favor, não responda" in body
            assert "JAYOB COMPANY" in body
        assert "Precisamos de toner <urgente>." in text
        assert "Precisamos de toner &lt;urgente&gt;." in html and "<urgente>" not in html
    assert sorted(_rows(db_ctx)) == [("sent", 1, None, "admin@revenda.test"), ("sent", 1, None, "quer@revenda.test")]
    with db_ctx() as session:
        stored = session.execute(select(ContactMessage)).scalar_one()
        assert (stored.kind, stored.subject) == ("contact", "Toner acabando")
        feed = session.execute(select(ChangeFeedEntry).where(ChangeFeedEntry.entity == "contact")).scalar_one()
        assert feed.web_id == stored.id


def test_opportunity_goes_to_the_opportunity_preference(mail_app, db_ctx, smtp):
    with db_ctx():
        _sender, customer = _contact_world()
        f.user(ATTENDANCE_OPERATOR, [customer.company], email="vendas@revenda.test", email_opportunity=True)
        f.user(SUPPLIES_OPERATOR, [customer.company], email="sem-caixa@revenda.test", email_opportunity=True)
    client = mail_app.test_client()
    login(client, "cliente@jayob.test")
    assert _post_contact(client, subject="Nova filial", kind="opportunity").status_code == 302
    assert smtp.envelopes == [["vendas@revenda.test"]]
    assert smtp.messages[0]["Subject"] == "Oportunidade Comercial: Nova filial"


def test_a_message_nobody_asked_for_is_kept_and_not_sent(mail_app, db_ctx, smtp):
    with db_ctx():
        _contact_world()
    client = mail_app.test_client()
    login(client, "cliente@jayob.test")
    assert _post_contact(client, kind="opportunity").status_code == 302
    assert smtp.messages == [] and _rows(db_ctx) == []
    with db_ctx() as session:
        assert session.execute(select(ContactMessage.kind)).scalar_one() == "opportunity"


def test_rolled_back_change_sends_nothing(mail_app, db_ctx, smtp):
    with app_ctx(mail_app) as session:
        sender, customer = _contact_world()
        send_contact(sender, kind="contact", subject="Nunca", message="…", client=customer)
        session.rollback()
        assert sweep().delivered == 0
    assert smtp.messages == []
    assert _rows(db_ctx) == []


def test_two_deliveries_of_one_row_send_once(mail_app, db_ctx, smtp):
    with app_ctx(mail_app):
        row = f.outbox_message(recipients="a@revenda.test")
        deliver([row.id])
        deliver([row.id])
        assert send_message(row.id) == "skipped"
    assert len(smtp.messages) == 1
    assert _rows(db_ctx)[0][:2] == ("sent", 1)


def test_two_enqueues_of_one_row_send_once(redis_mail_app, db_ctx, smtp):
    from app.notifications.queue import enqueue_messages

    with redis_mail_app.app_context():
        queue_email("contact", ["a@revenda.test"], _contact_context())
        db.session.commit()
        row_id = db.session.execute(select(OutboxMessage.id)).scalar_one()
        enqueue_messages([row_id])
        db.session.remove()
    assert queued_jobs(redis_mail_app) == 2
    assert smtp.messages == []  # nothing is sent inside the request with Redis
    run_worker(redis_mail_app)
    assert len(smtp.messages) == 1
    assert _rows(db_ctx)[0][:2] == ("sent", 1)


def test_the_sweeper_never_queues_a_row_twice(redis_mail_app, db_ctx):
    """However often it runs, the queue holds at most one job per pending row; a row whose job
    was lost (expired, removed) is queued again."""
    from rq.job import Job

    from app.notifications.queue import job_id, mail_queue

    with redis_mail_app.app_context():
        for address in ("a@revenda.test", "b@revenda.test", "c@revenda.test"):
            queue_email("contact", [address], _contact_context())
        db.session.commit()  # enqueued after the commit: three jobs
        ids = list(db.session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id)).scalars())
        db.session.remove()
        assert queued_jobs(redis_mail_app) == 3
        for _ in range(20):  # every row is due and pending: each sweep finds all three
            assert sweep().delivered == 0
        assert queued_jobs(redis_mail_app) == 3
        queue = mail_queue()
        Job.fetch(job_id(queue, ids[1]), connection=queue.connection).delete()  # a job lost in Redis
        assert sweep().delivered == 1
        assert sorted(queue.get_job_ids()) == sorted(job_id(queue, pk) for pk in ids)


def _contact_context():
    from types import SimpleNamespace

    from app.core.db import utcnow

    contact = SimpleNamespace(id=1, subject="Assunto", message="Mensagem", created_at=utcnow())
    return {"contact": contact, "sender": SimpleNamespace(name="Ana", email="ana@x.test"), "client": None}


def test_smtp_down_keeps_the_row_pending_until_it_returns(new_app, db_ctx):
    server = SmtpServer()  # not started: nothing listens on its port
    app = new_app(**mail_config(server, PWS_MAIL_RETRY_DELAYS=(0,)))
    _empty_tables(app)
    with app.app_context():
        queue_email("contact", ["a@revenda.test"], _contact_context())
        db.session.commit()  # the change commits; the in-process send fails
        db.session.remove()
    (status, attempts, error, _to), = _rows(db_ctx)
    assert (status, attempts) == ("pending", 1)
    assert "ConnectionRefused" in error
    with app.app_context():
        sweep()  # still down: one more attempt counted
    assert _rows(db_ctx)[0][:2] == ("pending", 2)

    server.start()
    try:
        with app.app_context():
            assert sweep().delivered == 1
        assert len(server.messages) == 1
        assert _rows(db_ctx)[0][:2] == ("sent", 3)
    finally:
        server.stop()


def test_smtp_down_with_rq_retries_then_the_sweeper_delivers(new_app, db_ctx):
    url = need_redis()
    server = SmtpServer()
    app = new_app(**mail_config(server, REDIS_URL=url, PWS_MAIL_RETRY_DELAYS=(0,),
                                 PWS_MAIL_QUEUE=f"pws-mail-test-{uuid.uuid4().hex}"))
    _empty_tables(app)
    try:
        with app.app_context():
            queue_email("contact", ["a@revenda.test"], _contact_context())
            db.session.commit()
            db.session.remove()
        run_worker(app)  # the job fails, rq retries it and the worker's sweep enqueues it again
        status, attempts, error, _to = _rows(db_ctx)[0]
        assert status == "pending" and attempts >= 2 and "ConnectionRefused" in error
        server.start()
        with app.app_context():
            assert sweep().delivered == 1  # enqueued again
        run_worker(app)
        assert len(server.messages) == 1
        assert _rows(db_ctx)[0][:2] == ("sent", attempts + 1)
    finally:
        server.stop()
        with app.app_context():
            from app.notifications.queue import mail_queue

            mail_queue().delete(delete_jobs=True)


def test_redis_down_at_commit_the_change_commits_and_the_sweeper_delivers(new_app, db_ctx, smtp):
    from tests.mailtest import free_port

    down = new_app(**mail_config(smtp, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    _empty_tables(down)
    with down.app_context():
        _contact_world()
        db.session.remove()
    client = down.test_client()
    login(client, "cliente@jayob.test")
    assert _post_contact(client).status_code == 302
    with db_ctx() as session:
        assert session.execute(select(ContactMessage)).scalar_one()
    assert _rows(db_ctx)[0][:2] == ("pending", 0)
    assert smtp.messages == []

    back = new_app(**mail_config(smtp))
    with back.app_context():
        assert sweep().delivered == 2  # one message for each of the two recipients
    assert len(smtp.messages) == 2
    assert [row[:2] for row in _rows(db_ctx)] == [("sent", 1), ("sent", 1)]


def test_a_sender_killed_mid_send_is_reclaimed_and_sent_once(mail_app, new_app, db_ctx, smtp):
    with db_ctx():
        row_id = f.outbox_message(recipients="a@revenda.test").id
    smtp.sink.hold.clear()  # the server stops answering at RCPT TO
    overrides = {**TEST_CONFIG, **mail_config(smtp), "PWS_STORAGE_DIR": mail_app.config["PWS_STORAGE_DIR"]}
    code = ("from app import create_app\nfrom app.notifications.sending import send_message\n"
            f"app = create_app({overrides!r})\nwith app.app_context():\n    send_message({row_id})\n")
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        assert smtp.sink.held.wait(timeout=60), "the sender never reached the SMTP server"
        assert _rows(db_ctx)[0][:2] == ("sending", 1)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    smtp.sink.hold.set()
    with mail_app.app_context():
        assert sweep().reclaimed == 0  # not stale yet: it may still be sending
    assert _rows(db_ctx)[0][0] == "sending"

    reclaiming = new_app(**mail_config(smtp, PWS_MAIL_SENDING_TIMEOUT=0))
    with reclaiming.app_context():
        result = sweep()
    assert (result.reclaimed, result.delivered) == (1, 1)
    assert len(smtp.messages) == 1
    assert _rows(db_ctx)[0][:2] == ("sent", 2)


def test_refused_recipients_are_a_permanent_failure_and_the_admin_retries(mail_app, db_ctx, smtp):
    smtp.sink.refuse = {"nao-existe@revenda.test"}
    with app_ctx(mail_app):
        f.user(ADMIN, email="admin@revenda.test")
        row_id = f.outbox_message(recipients="nao-existe@revenda.test").id
        deliver([row_id])
    (status, attempts, error, _to), = _rows(db_ctx)
    assert (status, attempts) == ("failed", 1)
    assert "550" in error
    with app_ctx(mail_app):
        assert sweep().delivered == 0  # failed rows are not retried on their own

    smtp.sink.refuse = set()
    client = mail_app.test_client()
    login(client, "admin@revenda.test")
    response = client.post(f"/emails/action/retry/{row_id}", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    assert _rows(db_ctx)[0][:2] == ("sent", 1)


def test_a_partly_refused_message_is_sent_to_the_others(mail_app, db_ctx, smtp):
    smtp.sink.refuse = {"b@revenda.test"}
    with app_ctx(mail_app):
        deliver([f.outbox_message(recipients="a@revenda.test,b@revenda.test").id])
    assert smtp.envelopes == [["a@revenda.test"]]
    status, _attempts, error, _to = _rows(db_ctx)[0]
    assert status == "sent" and "b@revenda.test (550)" in error


def test_without_a_mail_server_messages_go_to_the_local_folder(folder_app):
    with app_ctx(folder_app) as session:
        f.user(ADMIN, email="admin@revenda.test")
        queue_email("contact", ["a@revenda.test"], _contact_context())
        session.commit()
        row = session.execute(select(OutboxMessage)).scalar_one()
        assert row.status == "sent"
        eml = Path(folder_app.config["PWS_STORAGE_DIR"]) / "mail" / f"outbox-{row.id}.eml"
        assert b"Subject: Contato: Assunto" in eml.read_bytes()
        row_id = row.id
    client = folder_app.test_client()
    login(client, "admin@revenda.test")
    response = client.get(f"/emails/eml/{row_id}")
    assert response.status_code == 200
    assert response.data == eml.read_bytes()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_admin_mail_screen_lists_filters_and_shows(app, db_ctx):
    with db_ctx():
        f.user(ADMIN, email="admin@revenda.test")
        failed = f.outbox_message(status="failed", subject="Falhou <b>isto</b>", last_error="SMTPDataError: 554",
                                  attempts=3, body_text="Linha 1\n<script>x</script>").id
        f.outbox_message(status="sent", subject="Foi enviado", kind="password_reset")
    client = app.test_client()
    login(client, "admin@revenda.test")
    html = client.get("/emails/list/").get_data(as_text=True)
    for text in ("E-mails enviados", "Falhou &lt;b&gt;isto&lt;/b&gt;", "Foi enviado", "SMTPDataError: 554",
                 "Situação", "Tentativas", "Último erro", "Redefinir senha", "Oportunidade Comercial"):
        assert text in html, text
    only_failed = client.get("/emails/list/?situacao=failed").get_data(as_text=True)
    assert "Falhou &lt;b&gt;isto&lt;/b&gt;" in only_failed and "Foi enviado" not in only_failed
    only_reset = client.get("/emails/list/?tipo=password_reset").get_data(as_text=True)
    assert "Foi enviado" in only_reset and "Falhou &lt;b&gt;isto" not in only_reset
    show = client.get(f"/emails/show/{failed}").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in show and "<script>x</script>" not in show
    preview = client.get(f"/emails/html/{failed}")
    assert "sandbox" in preview.headers["Content-Security-Policy"]


def test_worker_command_sends_through_a_forked_work_horse(redis_mail_app, db_ctx, smtp):
    with redis_mail_app.app_context():
        queue_email("contact", ["a@revenda.test"], _contact_context())
        db.session.commit()
        db.session.remove()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = redis_mail_app.test_cli_runner().invoke(args=["pws", "worker", "--burst"])
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 1
    assert _rows(db_ctx)[0][:2] == ("sent", 1)


def test_worker_command_needs_redis_and_sweep_command_runs_without(mail_app, db_ctx, smtp):
    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["pws", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output
    with db_ctx():
        f.outbox_message(recipients="a@revenda.test")
    result = runner.invoke(args=["pws", "sweep-outbox"])
    assert result.exit_code == 0 and "entregues à fila ou enviados: 1" in result.output
    assert len(smtp.messages) == 1

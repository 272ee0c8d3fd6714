"""Sending one outbox row: claim it, hand it to SMTP (or the local mail folder), record the outcome.

Runs in the rq worker, or in-process after commit when there is no REDIS_URL. The claim is one
conditional UPDATE, so any number of jobs naming the same row send it once; the lease
(``locked_at``) lets the sweeper take back a row whose worker died.
"""
import logging
import smtplib
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import BadHeaderError, Mail, Message
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core.db import db, retry_on_conflict, utcnow
from app.notifications.models import OutboxMessage
from app.notifications.unsubscribe import unsubscribe_url

log = logging.getLogger(__name__)
mail = Mail()  # composes the MIME messages; transport() sends them with a timeout


class TemporaryFailure(Exception):
    """The row went back to pending with a later ``next_attempt_at``; rq retries the job."""


class PermanentFailure(Exception):
    """The server refused the message itself: retrying cannot help."""


def send_message(message_id: int) -> str:
    """rq job: deliver one outbox row once, whatever the number of jobs that name it."""
    with Session(db.engine) as session:
        row = claim(session, message_id)
        if row is None:
            return "skipped"
        try:
            refused = transport(row)
        except Exception as error:  # every failure is recorded on the row
            permanent = _is_permanent(error)
            _finish(session, row, failed=permanent, error=error)
            if permanent:
                return "failed"
            raise TemporaryFailure(f"outbox {message_id}: {error}") from error
        _finish(session, row, refused=refused)
        return "sent"


def claim(session: Session, message_id: int) -> OutboxMessage | None:
    """Atomically move a due pending row to "sending"; None when someone else has it.

    Two workers on two Galera nodes may both change the row locally: the second to commit
    fails certification, runs the claim again and finds the row taken.
    """

    def take() -> int:
        now = utcnow()
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxMessage.PENDING,
                   OutboxMessage.next_attempt_at <= now)
            .values(status=OutboxMessage.SENDING, locked_at=now, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return result.rowcount

    if retry_on_conflict(take, rollback=session.rollback) != 1:
        return None
    return session.get(OutboxMessage, message_id)


def _finish(session: Session, row: OutboxMessage, *, failed: bool = False, error=None,
            refused: dict | None = None) -> None:
    """Record the outcome, only if the lease is still ours (not reclaimed meanwhile)."""
    now = utcnow()
    if error is None:
        values = {"status": OutboxMessage.SENT, "sent_at": now, "locked_at": None,
                  "last_error": _refused_text(refused) if refused else None}
    elif failed:
        values = {"status": OutboxMessage.FAILED, "locked_at": None, "last_error": _error_text(error)}
    else:
        values = {"status": OutboxMessage.PENDING, "locked_at": None, "last_error": _error_text(error),
                  "next_attempt_at": now + timedelta(seconds=retry_delay(row.attempts))}
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.status == OutboxMessage.SENDING,
               OutboxMessage.locked_at == row.locked_at)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if error is not None:
        log.warning("outbox %s: %s (%s)", row.id, "failed" if failed else "will retry", error)


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt; the last configured delay repeats forever."""
    delays = current_app.config["PWS_MAIL_RETRY_DELAYS"]
    return delays[min(max(attempts, 1), len(delays)) - 1]


def compose(row: OutboxMessage) -> Message:
    """The MIME message (text + HTML) with a Message-ID that is stable across retries."""
    host = urlsplit(current_app.config["PWS_BASE_URL"]).hostname or "localhost"
    headers = {"Auto-Submitted": "auto-generated"}
    unsubscribe = unsubscribe_url(row.user_id, row.kind)
    if unsubscribe:  # RFC 8058: the mail program's one-click button POSTs to the link
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = Message(
        subject=row.subject,
        recipients=row.recipients.split(","),
        body=row.body_text,
        html=row.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=headers,
    )
    message.msgId = f"<pws-outbox-{row.id}@{host}>"
    return message


def transport(row: OutboxMessage) -> dict:
    """Send through SMTP with a timeout, or write an .eml file when no server is configured.

    Returns the recipients the server refused while accepting the others.
    """
    message = compose(row)
    config = current_app.config
    if not config["MAIL_SERVER"]:
        eml_path(row.id).write_bytes(message.as_bytes())
        return {}
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["PWS_MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return smtp.sendmail(message.sender, message.send_to, message.as_bytes())


def mail_folder() -> Path:
    folder = current_app.config["PWS_MAIL_FOLDER"] or str(Path(current_app.config["PWS_STORAGE_DIR"]) / "mail")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def eml_path(message_id: int) -> Path:
    return mail_folder() / f"outbox-{int(message_id)}.eml"


def _is_permanent(error: Exception) -> bool:
    """Refusals of the message or of every recipient are final; connection, authentication
    and sender problems are the operator's to fix, after which the row goes out."""
    if isinstance(error, (BadHeaderError, PermanentFailure)):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return False


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _refused_text(refused: dict) -> str:
    parts = [f"{address} ({code})" for address, (code, _text) in sorted(refused.items())]
    return ("Recusados pelo servidor: " + ", ".join(parts))[:1000]

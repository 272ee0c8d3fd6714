"""The monthly indicators e-mail: on the first working day of a month (the client's dealer
company's expediente), each client gestor who chose it gets the link to the PDF of the month
before — his clients' figures, opened with his own login and scope. Run from the e-mail
worker's maintenance tick (registered with app.notifications.worker.on_tick), so no cron is needed; a tick in the
week after sends what a stopped worker missed, never twice (MonthlyIndicatorsSent)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import PortalUser, user_client
from app.calls import sla
from app.calls.services import calendars_for
from app.catalog.models import Client
from app.core.db import db, utcnow
from app.core.timefmt import to_local
from app.indicators.models import MonthlyIndicatorsSent
from app.notifications.outbox import queue_email
from app.notifications.recipients import readers

KIND = "monthly_indicators"
# A worker stopped on the first working day still sends that week, not weeks later.
CATCH_UP = timedelta(days=7)
MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
          "outubro", "novembro", "dezembro")


def first_working_day(month: date, calendar: sla.Calendar) -> date:
    day = month
    while calendar.window(day) is None and day.month == month.month:
        day += timedelta(days=1)
    return day if day.month == month.month else month


def pdf_url(start: date, end: date) -> str:
    """Links in e-mails come from PWS_BASE_URL, never from a request's Host."""
    query = urlencode({"de": start.isoformat(), "ate": end.isoformat()})
    return f"{current_app.config['PWS_BASE_URL']}/indicadores/pdf?{query}"


def send_monthly_indicators(now: datetime | None = None) -> int:
    """Queue this month's e-mails that are due and not sent yet; the number queued."""
    today = to_local(now or utcnow()).date()
    month = today.replace(day=1)
    end = month - timedelta(days=1)
    start = end.replace(day=1)
    already = select(MonthlyIndicatorsSent.user_id).where(MonthlyIndicatorsSent.month == month)
    pending = db.session.execute(
        select(Client).join(user_client, user_client.c.client_id == Client.id)
        .join(PortalUser, PortalUser.id == user_client.c.user_id)
        .where(PortalUser.active.is_(True), PortalUser.client_manager.is_(True),
               PortalUser.email_indicators.is_(True), PortalUser.id.not_in(already))
        .distinct().order_by(Client.id)).scalars().all()
    calendars = calendars_for(client.company_id for client in pending)
    context = {"url": pdf_url(start, end), "month": f"{MONTHS[end.month - 1]}/{end.year}"}
    recipients = {}
    for client in pending:
        due = first_working_day(month, calendars[client.company_id])
        if not due <= today < due + CATCH_UP:
            continue
        for recipient in readers(KIND, client, context=context):
            recipients.setdefault(recipient.user_id, recipient)
    if not recipients:
        return 0
    try:
        db.session.add_all(MonthlyIndicatorsSent(user_id=pk, month=month) for pk in recipients)
        db.session.flush()
    except IntegrityError:  # another worker is sending them right now
        db.session.rollback()
        return 0
    queue_email(KIND, recipients.values(), context)
    db.session.commit()
    return len(recipients)

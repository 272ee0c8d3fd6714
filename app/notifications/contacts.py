"""The call's contact address: who may be e-mailed at an address typed in "E-mail do contato".

Without a rule the opener of a call could make the portal mail anyone (a relay). An address
receives a call's e-mails (``MailKind.contact``) when it is known for the call's client — the
client's e-mail sent by the ERP, or the e-mail of an active user of that client — or when its
owner confirmed it through the link of the one confirmation e-mail sent when it was first
typed. That e-mail is limited per address (one per PWS_CONTACT_CONFIRMATION_HOURS, whoever
types it, for any client) and per opener (PWS_CONTACT_CONFIRMATION_LIMIT in that time), so
typing addresses cannot flood a mailbox nor turn the portal into a mailer. docs/email.md.
"""
import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import PortalUser, user_client
from app.catalog.models import Client
from app.core import tokens
from app.core.db import db, utcnow
from app.notifications.models import ContactAddress
from app.notifications.outbox import Recipient, queue_email

KNOWN, SENT, LIMITED = "known", "sent", "limited"
LINK_DAYS = 7


def normalized(address: str | None) -> str:
    return (address or "").strip().lower()


def is_known(client_id: int | None, address: str | None) -> bool:
    """The address may receive the e-mails of this client's calls."""
    address = normalized(address)
    if not address or client_id is None:
        return False
    client_email = db.session.execute(select(Client.email).where(Client.id == client_id)).scalar()
    if address in {part.lower() for part in re.split(r"[\s,;]+", client_email or "") if part}:
        return True
    user = exists().where(user_client.c.client_id == client_id, user_client.c.user_id == PortalUser.id,
                          PortalUser.active.is_(True), func.lower(PortalUser.email) == address)
    confirmed = exists().where(ContactAddress.client_id == client_id, ContactAddress.email == address,
                               ContactAddress.confirmed_at.is_not(None))
    return bool(db.session.execute(select(user | confirmed)).scalar())


def ask_confirmation(call, opener_id: int | None) -> str:
    """After a call is opened: KNOWN when its contact may be e-mailed already, SENT when the
    confirmation e-mail was queued, LIMITED when a limit held it back (nothing is sent)."""
    address = normalized(call.contact_email)
    if not address or is_known(call.client_id, address):
        return KNOWN
    now = utcnow()
    since = now - timedelta(hours=current_app.config["PWS_CONTACT_CONFIRMATION_HOURS"])
    asked_lately = db.session.execute(select(exists().where(
        ContactAddress.email == address, ContactAddress.requested_at > since))).scalar()
    by_opener = db.session.execute(select(func.count()).select_from(ContactAddress).where(
        ContactAddress.requested_by_id == opener_id, ContactAddress.requested_at > since)).scalar()
    if asked_lately or (opener_id is not None and by_opener >= current_app.config["PWS_CONTACT_CONFIRMATION_LIMIT"]):
        return LIMITED
    row = db.session.execute(select(ContactAddress).where(
        ContactAddress.client_id == call.client_id, ContactAddress.email == address)).scalar_one_or_none()
    fresh = row is None
    if fresh:
        row = ContactAddress(client_id=call.client_id, email=address)
    token, row.token_hash = tokens.new_token()
    row.requested_by_id, row.requested_at = opener_id, now
    row.expires_at = now + timedelta(days=LINK_DAYS)
    if fresh:
        try:
            with db.session.begin_nested():  # two openings naming the address at once: one row
                db.session.add(row)
        except IntegrityError:
            return LIMITED  # the other opening's confirmation e-mail is the one that goes
    client = db.session.get(Client, call.client_id)
    queue_email("contact_confirmation", [Recipient(address, None, {"for_contact": True})], {
        "call": call, "client_name": client.display_name if client else "", "days": LINK_DAYS,
        "link": f"{current_app.config['PWS_BASE_URL']}/email/confirmar-contato/{token}",
    })
    return SENT


def address_for_link(token: str) -> ContactAddress | None:
    """The address a confirmation link names; TokenGone once it expired. Confirming again
    changes nothing (the link stays a receipt until then)."""
    return tokens.find(ContactAddress, token, revoked=None)


def confirm(row: ContactAddress) -> None:
    row.confirmed_at = row.confirmed_at or utcnow()

"""LGPD self-service: a user downloads his data and asks for erasure; the admin anonymises.

Anonymising keeps the business records (calls, invoices, supply requests, contact messages,
consent evidence) but nothing in them points to a person any more: the user row loses name,
e-mail, login, password, links and preferences, the IP addresses recorded for him go, the
contact fields of the calls he opened or was the contact of are emptied, and his name, e-mail
and phone are masked wherever else they were copied (texts, outbox, change feed): see
docs/security.md, "LGPD anonymisation".
"""
import html
import json
import re
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, String, Text, delete, func, or_, select, type_coerce, update

from app.accounts.models import (
    ConsentDecision, DataRequest, PasswordResetToken, PortalUser, user_client, user_company,
    EMAIL_PREFERENCES,
)
from app.accounts.services import hash_password
from app.billing.models import BillingDownload
from app.calls.models import PreServiceMessage, ServiceCall
from app.calls.services import call_feed_data
from app.contact.models import ContactMessage
from app.core.changelog import redact
from app.core.db import db, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import scoped
from app.core.timefmt import isoformat_local
from app.feed.changes import record_change
from app.notifications.models import OutboxMessage
from app.supplies.models import SupplyRequest

# What the portal keeps about a person, besides his user row: (section, model, user column, fields).
PERSONAL_DATA = (
    ("chamados_abertos", ServiceCall, "opened_by_id",
     ("id", "erp_id", "opened_at", "status", "description", "contact_name", "contact_phone", "contact_email")),
    ("mensagens_pre_atendimento", PreServiceMessage, "author_id", ("id", "call_id", "created_at", "body")),
    ("solicitacoes_suprimentos", SupplyRequest, "requested_by_id", ("id", "requested_at", "status", "note")),
    ("downloads_faturamento", BillingDownload, "user_id", ("id", "file_id", "downloaded_at", "ip")),
    ("mensagens_contato", ContactMessage, "sender_id", ("id", "created_at", "kind", "subject", "message")),
    ("decisoes_lgpd", ConsentDecision, "user_id", ("id", "document_id", "choice", "decided_at", "ip")),
    ("solicitacoes_lgpd", DataRequest, "user_id", ("id", "kind", "status", "created_at", "handled_at")),
)
ANONYMOUS_DOMAIN = "anonimizado.invalid"
# What replaces a name, e-mail or phone inside a text; a field that held only that becomes empty.
MASK = "[anonimizado]"
# Columns the masking never rewrites: the user rows (his own is rewritten above; a namesake's is
# another person's) and FAB's self-registration table, which PWS does not use.
UNMASKED_TABLES = {"ab_user", "ab_register_user"}


class PrivacyError(ValueError):
    """A request the admin cannot carry out; the message is shown to him."""


def _json_value(value):
    if isinstance(value, datetime):
        return isoformat_local(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_user_data(user: PortalUser) -> dict:
    """Everything the portal keeps about the user, as JSON-ready data (read through his scope)."""
    data = {
        "usuario": {
            "id": user.id, "nome": user.name, "email": user.email, "perfil": user.profile,
            "ativo": user.active, "criado_em": _json_value(user.created_on),
            "alterado_em": _json_value(user.changed_on), "ultimo_acesso": _json_value(user.last_login),
            "acessos": user.login_count,
            "empresas": [company.name for company in user.companies],
            "clientes": [client.name for client in user.clients],
            "visualizar_monitoramento": user.can_view_monitoring,
            "recebe_email_de": {name: getattr(user, name) for name in EMAIL_PREFERENCES},
        },
    }
    for section, model, column, fields in PERSONAL_DATA:
        stmt = select(model).where(getattr(model, column) == user.id).order_by(model.id)
        rows = db.session.execute(scoped(stmt, model)).scalars()
        data[section] = [{name: _json_value(getattr(row, name)) for name in fields} for row in rows]
    return data


def record_export(user_id: int) -> DataRequest:
    now = utcnow()
    request = DataRequest(user_id=user_id, kind=DataRequest.EXPORT, status=DataRequest.DONE,
                          created_at=now, handled_at=now)
    db.session.add(request)
    return request


def request_erasure(user_id: int, note: str | None) -> DataRequest | None:
    """One open erasure request per user; None when one is already waiting."""
    stmt = select(DataRequest.id).where(DataRequest.user_id == user_id, DataRequest.kind == DataRequest.ERASURE,
                                        DataRequest.status == DataRequest.OPEN)
    if db.session.execute(scoped(stmt, DataRequest)).first():
        return None
    request = DataRequest(user_id=user_id, kind=DataRequest.ERASURE, note=(note or "").strip()[:2000] or None)
    db.session.add(request)
    return request


def anonymise_user(user_id: int, admin_id: int) -> PortalUser:
    """Erase the person, keep the records (caller commits)."""
    if user_id == admin_id:
        raise PrivacyError(_l("Você não pode anonimizar o seu próprio usuário."))
    user = db.session.get(PortalUser, user_id)
    if user is None:
        raise PrivacyError(_l("Usuário não encontrado."))
    redact(db.session, PortalUser, user.id)  # the change log's copies of his name and e-mail
    address = (user.email or "").strip().lower()
    calls = _calls_of(user.id, address)
    needles = _needles(user, address, calls)
    anonymous = f"anonimizado-{user.id}@{ANONYMOUS_DOMAIN}"
    user.first_name, user.last_name = "Usuário anonimizado", f"#{user.id}"
    user.username = user.email = anonymous
    user.password = hash_password(secrets.token_urlsafe(32))
    user.active = False
    user.can_view_monitoring = False
    user.technician = None
    user.carrier = None
    for name in EMAIL_PREFERENCES:
        setattr(user, name, False)
    db.session.execute(delete(user_company).where(user_company.c.user_id == user.id))
    db.session.execute(delete(user_client).where(user_client.c.user_id == user.id))
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    for model in (ConsentDecision, BillingDownload):
        db.session.execute(update(model).where(model.user_id == user.id).values(ip=None)
                           .execution_options(synchronize_session=False))
    if address:
        _forget_address(address)
    for call in calls:
        call.contact_name = call.contact_phone = call.contact_email = None
    db.session.flush()
    mask_everywhere(needles)
    for call in calls:
        db.session.expire(call)  # masked in SQL: the feed entries below read the masked texts
    _tell_the_erp(user.id, calls)
    db.session.expire(user, ["companies", "clients"])
    return user


def _forget_address(address: str) -> None:
    """Outbox rows addressed to him alone go; shared ones lose his address."""
    rows = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.recipients.icontains(address, autoescape=True))
    ).scalars()
    for row in rows:
        remaining = [a for a in row.recipients.split(",") if a.strip().lower() != address]
        if len(remaining) == len(row.recipients.split(",")):
            continue
        if remaining:
            row.recipients = ",".join(remaining)
        else:
            db.session.delete(row)


def _calls_of(user_id: int, address: str) -> list[ServiceCall]:
    """The calls he opened (he typed their contact fields) and those naming him as contact."""
    mine = ServiceCall.opened_by_id == user_id
    where = or_(mine, func.lower(ServiceCall.contact_email) == address) if address else mine
    return list(db.session.execute(select(ServiceCall).where(where).order_by(ServiceCall.id)).scalars())


def _needles(user: PortalUser, address: str, calls: list[ServiceCall]) -> list[str]:
    """His e-mail, his full name, and the names and phones he gave as a call's contact. A name
    must have two words (a lone first name would mask other people); a phone, 8 digits, and
    not the client's own number (the form offers it: it is the company's, not his)."""
    found = {address, f"{user.first_name or ''} {user.last_name or ''}"}
    for call in calls:
        if address and (call.contact_email or "").strip().lower() == address:
            found.add(call.contact_name or "")
            if _digits(call.contact_phone) != _digits(call.client.phone if call.client else None):
                found.add(call.contact_phone or "")
    needles = set()
    for value in found:
        value = " ".join(value.split())
        if "@" in value or (len(value.split()) >= 2 and len(value) >= 5) or len(_digits(value)) >= 8:
            needles.add(value)
    return sorted(needles, key=len, reverse=True)


def _digits(value: str | None) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def mask_everywhere(needles: list[str]) -> None:
    """Replace ``needles`` (case-insensitive, whole words) in every text and JSON column of every
    table but UNMASKED_TABLES: a field that held only a needle becomes empty (NULL, or MASK when
    the column requires a value). Found with LIKE in SQL (also their JSON- and HTML-escaped
    forms), rewritten here; every table is scanned once, so it is an admin action, not a page."""
    if not needles:
        return
    texts = {form for n in needles for form in (n, html.escape(n))}
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in sorted(texts, key=len, reverse=True)),
                         re.IGNORECASE)
    forms = texts | {json.dumps(n)[1:-1] for n in needles}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))
                   and not c.primary_key and table.name not in UNMASKED_TABLES]
        if not columns or not table.primary_key:
            continue
        keys = list(table.primary_key.columns)
        found = or_(*(type_coerce(c, Text).icontains(form, autoescape=True) for c in columns for form in forms))
        for row in db.session.execute(select(*keys, *columns).where(found)).all():
            values = {}
            for column in columns:
                old = getattr(row, column.name)
                new = _masked(old, pattern, column.nullable)
                if new != old:
                    values[column.name] = new
            if values:
                db.session.execute(update(table).where(*(k == getattr(row, k.name) for k in keys))
                                   .values(**values))


def _masked(value, pattern: re.Pattern, nullable: bool = True):
    if isinstance(value, dict):
        return {key: _masked(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, pattern) for item in value]
    if not isinstance(value, str) or not pattern.search(value):
        return value
    if pattern.fullmatch(value.strip()):
        return None if nullable else MASK
    return pattern.sub(MASK, value)


def _tell_the_erp(user_id: int, calls: list[ServiceCall]) -> None:
    """The feed's old entries were masked in place; the ERP may already hold copies, so it gets
    the calls again without their contact, and one entry naming the anonymised portal user (no
    personal data) so it can erase what it copied from the portal (messages, senders)."""
    for call in calls:
        record_change("service_order", "update", web_id=call.id, erp_id=call.erp_id,
                      company_id=call.company_id, data=call_feed_data(call))
    record_change("person", "anonymised", web_id=user_id, data={
        "user_web_id": user_id, "service_order_web_ids": [call.id for call in calls],
        "at": utcnow()})


def handle_request(request: DataRequest, admin_id: int, *, anonymise: bool) -> None:
    """Close an open request: anonymise its user, or reject it."""
    if request.status != DataRequest.OPEN:
        raise PrivacyError(_l("Esta solicitação já foi tratada."))
    if anonymise:
        if request.kind != DataRequest.ERASURE:
            raise PrivacyError(_l("Só solicitações de exclusão levam à anonimização."))
        anonymise_user(request.user_id, admin_id)
    request.status = DataRequest.DONE if anonymise else DataRequest.REJECTED
    request.handled_at = utcnow()
    request.handled_by_id = admin_id


def anonymise_by_admin(user_id: int, admin_id: int) -> DataRequest:
    """The admin erases a user (a former employee, a request by other means): recorded as an
    erasure request handled at once (caller commits)."""
    request = DataRequest(user_id=user_id, kind=DataRequest.ERASURE, status=DataRequest.OPEN,
                          note=str(_l("Anonimizado pelo administrador em Administrar usuários.")))
    db.session.add(request)
    handle_request(request, admin_id, anonymise=True)
    return request

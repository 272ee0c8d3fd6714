"""LGPD self-service: a user downloads his data and asks for erasure; the admin anonymises.

Anonymising keeps the business records (calls, invoices, supply requests, contact messages,
consent evidence) but nothing in them points to a person any more: the user row loses name,
e-mail, login, password, links and preferences, and the IP addresses recorded for him go.
"""
import secrets
from datetime import date, datetime

from sqlalchemy import delete, select, update

from app.accounts.models import (
    ConsentDecision, DataRequest, PasswordResetToken, PortalUser, user_client, user_company,
    EMAIL_PREFERENCES,
)
from app.accounts.services import hash_password
from app.billing.models import BillingDownload
from app.calls.models import PreServiceMessage, ServiceCall
from app.contact.models import ContactMessage
from app.core.changelog import redact
from app.core.db import db, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import scoped
from app.core.timefmt import isoformat_local
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
    address = (user.email or "").lower()
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
    db.session.expire(user, ["companies", "clients"])
    return user


def _forget_address(address: str) -> None:
    """Outbox rows addressed to him alone go; shared ones lose his address."""
    rows = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.recipients.contains(address, autoescape=True))
    ).scalars()
    for row in rows:
        remaining = [a for a in row.recipients.split(",") if a != address]
        if len(remaining) == len(row.recipients.split(",")):
            continue
        if remaining:
            row.recipients = ",".join(remaining)
        else:
            db.session.delete(row)


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

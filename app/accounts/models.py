"""The portal user (FAB's ab_user with PWS columns) and LGPD consent records."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint, false, true,
)
from sqlalchemy.orm import relationship

from app.core.changelog import Tracked
from app.core.concurrency import Versioned
from app.core.db import IdMixin, exact_string, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import Scope

user_company = Table(
    "user_company",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("company_id", Integer, ForeignKey("company.id", ondelete="CASCADE"), primary_key=True, index=True),
)

user_client = Table(
    "user_client",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", Integer, ForeignKey("client.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# "Recebe e-mail de" (§3.2.1): the user's choices and their labels; app.notifications.kinds
# says which e-mail kinds each one asks for.
PREFERENCE_LABELS = {
    "email_call_opened": _l("Abertura de Chamados"),
    "email_call_changed": _l("Alteração de Chamado"),
    "email_call_assignment": _l("Chamados despachados para mim"),
    "email_pre_service": _l("Mensagens de pré atendimento"),
    "email_contact": _l("Contato"),
    "email_opportunity": _l("Oportunidade Comercial"),
    "email_supply_request": _l("Solicitação de Suprimentos"),
    "email_supply_release": _l("Liberação de Suprimentos"),
    "email_billing_files": _l("Arquivos de faturamento"),
    "email_indicators": _l("Indicadores do mês (gestor do cliente)"),
}
EMAIL_PREFERENCES = tuple(PREFERENCE_LABELS)


class PortalUser(Versioned, User):
    """FAB's user on the same table, with the links that decide what he sees."""

    __scope__ = Scope(users=True)
    # Logins and sessions touch the row without anyone editing the user.
    __changelog__ = Tracked(label=_l("Usuário"), ignore=(
        "username", "last_login", "login_count", "fail_login_count", "session_version"), secret=("password",))
    profile = Column(String(40), index=True)
    client_manager = Column(Boolean, default=False, nullable=False)
    technician_id = Column(Integer, ForeignKey("technician.id"), index=True)
    carrier_id = Column(Integer, ForeignKey("carrier.id"), index=True)
    can_view_monitoring = Column(Boolean, default=False, nullable=False)
    email_call_opened = Column(Boolean, default=False, nullable=False)
    email_call_changed = Column(Boolean, default=False, nullable=False)
    email_contact = Column(Boolean, default=False, nullable=False)
    email_opportunity = Column(Boolean, default=False, nullable=False)
    email_supply_request = Column(Boolean, default=False, nullable=False)
    email_supply_release = Column(Boolean, default=False, nullable=False)
    email_indicators = Column(Boolean, default=False, server_default=false(), nullable=False)
    # Kinds that went out without a choice before: on unless the user turns them off.
    email_call_assignment = Column(Boolean, default=True, server_default=true(), nullable=False)
    email_pre_service = Column(Boolean, default=True, server_default=true(), nullable=False)
    email_billing_files = Column(Boolean, default=True, server_default=true(), nullable=False)
    # Sessions carry the number they were opened with; logout, deactivation and a new password
    # bump it, which ends every cookie issued before (app/accounts/sessions.py).
    session_version = Column(Integer, default=0, server_default="0", nullable=False)
    # The ids of this user's sessions that logged out ("Sair" ends one device's session only),
    # kept as long as a cookie can live (app/accounts/sessions.py).
    ended_sessions = Column(Text)
    companies = relationship("Company", secondary=user_company)
    clients = relationship("Client", secondary=user_client)
    technician = relationship("Technician")
    carrier = relationship("Carrier")

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentDocument(IdMixin, Model):
    """One published version of an LGPD document; a new version asks everyone again."""

    __tablename__ = "consent_document"
    __changelog__ = Tracked(label=_l("Documento LGPD"))
    __scope__ = Scope()
    __table_args__ = (UniqueConstraint("kind", "version"),)
    PRIVACY, TERMS, CONSENT = "privacy", "terms", "consent"
    KINDS = (PRIVACY, TERMS, CONSENT)
    kind = Column(String(10), nullable=False)
    version = Column(Integer, nullable=False)
    title = Column(String(150), nullable=False)
    body = Column(Text)
    stored_name = Column(String(80))
    published_at = Column(DateTime, nullable=False, default=utcnow)
    published_by_id = Column(Integer, ForeignKey("ab_user.id"))

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class ConsentDecision(IdMixin, Model):
    __tablename__ = "consent_decision"
    __scope__ = Scope(own="user_id")
    ACCEPTED, REFUSED, POSTPONED = "accepted", "refused", "postponed"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    document_id = Column(Integer, ForeignKey("consent_document.id"), nullable=False, index=True)
    choice = Column(String(10), nullable=False)
    decided_at = Column(DateTime, nullable=False, default=utcnow)
    ip = Column(String(45))
    document = relationship("ConsentDocument")
    user = relationship("PortalUser", foreign_keys=[user_id])


class DataRequest(IdMixin, Model):
    """LGPD self-service: a user's request for his data or for erasure."""

    __tablename__ = "data_request"
    __scope__ = Scope(own="user_id")
    EXPORT, ERASURE = "export", "erasure"
    OPEN, DONE, REJECTED = "open", "done", "rejected"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(10), nullable=False)
    status = Column(String(10), nullable=False, default=OPEN)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    handled_at = Column(DateTime)
    handled_by_id = Column(Integer, ForeignKey("ab_user.id"))
    note = Column(Text, info={"max_length": 2000})
    user = relationship("PortalUser", foreign_keys=[user_id])


class PasswordResetToken(IdMixin, Model):
    """Redefinir senha: a random token stored hashed, single-use, expiring, bound to the
    password it may replace (any password change kills it)."""

    __tablename__ = "password_reset_token"
    __scope__ = Scope(own="user_id")
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = Column(exact_string(64), nullable=False, unique=True)
    password_fingerprint = Column(exact_string(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)
    ip = Column(String(45))

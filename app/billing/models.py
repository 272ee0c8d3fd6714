"""Arquivos de faturamento uploaded by the dealer, and every download of them."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import relationship

from app.core.changelog import Tracked
from app.core.i18n import lazy_gettext as _l
from app.core.db import IdMixin, utcnow
from app.core.scoping import Scope


class BillingFile(IdMixin, Model):
    __tablename__ = "billing_file"
    __changelog__ = Tracked(label=_l("Arquivo de faturamento"))
    __scope__ = Scope(company="company_id", client="client_id", withdrawn="removed_at")
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False)
    client_id = Column(Integer, ForeignKey("client.id"), nullable=False)
    contract_id = Column(Integer, ForeignKey("contract.id"))
    month = Column(SmallInteger, nullable=False)
    year = Column(SmallInteger, nullable=False)
    note = Column(Text, info={"max_length": 500})
    original_name = Column(String(255), nullable=False)
    stored_name = Column(String(80), nullable=False, unique=True)
    size = Column(Integer, nullable=False)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id"))
    uploaded_at = Column(DateTime, nullable=False, default=utcnow)
    # A correction: the file sent to the wrong client or month is removed (never deleted: its
    # download log stays), with the reason, and possibly replaced by another file.
    removed_at = Column(DateTime)
    removed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    removal_reason = Column(Text, info={"max_length": 2000})
    replaced_by_id = Column(Integer, ForeignKey("billing_file.id"))
    company = relationship("Company")
    client = relationship("Client")
    contract = relationship("Contract")


Index("ix_billing_file_client_period", BillingFile.client_id, BillingFile.year, BillingFile.month)
# Years of files: the list's sorts (newest first, year, name) per scope (all, a company, a client)
# and its period filter.
Index("ix_billing_file_uploaded", BillingFile.uploaded_at)
Index("ix_billing_file_company_uploaded", BillingFile.company_id, BillingFile.uploaded_at)
Index("ix_billing_file_client_uploaded", BillingFile.client_id, BillingFile.company_id, BillingFile.uploaded_at)
Index("ix_billing_file_period", BillingFile.year, BillingFile.month, BillingFile.uploaded_at)
Index("ix_billing_file_name", BillingFile.original_name)
Index("ix_billing_file_company_name", BillingFile.company_id, BillingFile.original_name)
Index("ix_billing_file_client_name", BillingFile.client_id, BillingFile.original_name)


class BillingDownload(IdMixin, Model):
    __tablename__ = "billing_download"
    __scope__ = Scope(parent="file")
    file_id = Column(Integer, ForeignKey("billing_file.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    downloaded_at = Column(DateTime, nullable=False, default=utcnow)
    ip = Column(String(45))
    file = relationship("BillingFile")

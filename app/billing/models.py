"""Arquivos de faturamento uploaded by the dealer, and every download of them."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import relationship

from app.core.db import IdMixin, utcnow
from app.core.scoping import Scope


class BillingFile(IdMixin, Model):
    __tablename__ = "billing_file"
    __scope__ = Scope(company="company_id", client="client_id")
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    client_id = Column(Integer, ForeignKey("client.id"), nullable=False)
    contract_id = Column(Integer, ForeignKey("contract.id"))
    month = Column(SmallInteger, nullable=False)
    year = Column(SmallInteger, nullable=False)
    note = Column(Text)
    original_name = Column(String(255), nullable=False)
    stored_name = Column(String(80), nullable=False, unique=True)
    size = Column(Integer, nullable=False)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id"))
    uploaded_at = Column(DateTime, nullable=False, default=utcnow)
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


class BillingDownload(IdMixin, Model):
    __tablename__ = "billing_download"
    __scope__ = Scope(parent="file")
    file_id = Column(Integer, ForeignKey("billing_file.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    downloaded_at = Column(DateTime, nullable=False, default=utcnow)
    ip = Column(String(45))
    file = relationship("BillingFile")

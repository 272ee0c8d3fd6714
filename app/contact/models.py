"""Mensagens do formulário de contato."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from app.core.db import IdMixin, utcnow
from app.core.scoping import Scope


class ContactMessage(IdMixin, Model):
    __tablename__ = "contact_message"
    __scope__ = Scope(company="company_id", client="client_id")
    CONTACT, OPPORTUNITY = "contact", "opportunity"
    company_id = Column(Integer, ForeignKey("company.id"), index=True)
    client_id = Column(Integer, ForeignKey("client.id"), index=True)
    sender_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    kind = Column(String(12), nullable=False, default=CONTACT)
    subject = Column(String(150), nullable=False)
    message = Column(Text, nullable=False, info={"max_length": 5000})
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    company = relationship("Company")
    client = relationship("Client")
    sender = relationship("PortalUser", foreign_keys=[sender_id])

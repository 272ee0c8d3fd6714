"""What the indicators keep of their own: the monthly e-mails already sent."""
from flask_appbuilder import Model
from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer

from app.core.db import utcnow
from app.core.scoping import Scope


class MonthlyIndicatorsSent(Model):
    """The month whose indicators e-mail a gestor got: at most one per month, even when two
    workers run the monthly job at once (the second one's insert fails on the key)."""

    __tablename__ = "monthly_indicators_sent"
    __scope__ = Scope(own="user_id")
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True,
                     autoincrement=False)
    month = Column(Date, primary_key=True)
    sent_at = Column(DateTime, nullable=False, default=utcnow)

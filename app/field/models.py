"""Atendimentos em campo: what a technician records on the way to and at the client."""
from flask_appbuilder import Model
from sqlalchemy import (
    JSON, Boolean, Column, DateTime, Double, Float, ForeignKey, Index, Integer, SmallInteger, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.core.db import IdMixin, TimestampMixin, exact_string, utcnow
from app.core.scoping import Scope


class Attendance(IdMixin, TimestampMixin, Model):
    __tablename__ = "attendance"
    __scope__ = Scope(parent="call", technician="technician_id")
    IN_PROGRESS, CONCLUDED, CANCELLED = "in_progress", "concluded", "cancelled"
    client_uid = Column(exact_string(64), unique=True, nullable=False)
    call_id = Column(Integer, ForeignKey("service_call.id"), nullable=False, index=True)
    technician_id = Column(Integer, ForeignKey("technician.id"), nullable=False)
    status = Column(String(20), nullable=False, default=IN_PROGRESS)
    started_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    finished_at = Column(DateTime)
    services = Column(Text, info={"max_length": 10000})
    parts = Column(JSON)
    counters = Column(JSON)
    notes = Column(Text, info={"max_length": 10000})
    pending = Column(Boolean, default=False, nullable=False)
    distance_m = Column(Float)
    travel_seconds = Column(Integer)
    report_sent_at = Column(DateTime)
    signer_name = Column(String(120))
    signature_uid = Column(exact_string(64))
    signature_stored_name = Column(String(80))
    call = relationship("ServiceCall")
    technician = relationship("Technician")

    @property
    def is_closed(self) -> bool:
        return self.status in (self.CONCLUDED, self.CANCELLED)

    @property
    def counter_list(self) -> list[dict]:
        """The meter counters as the app API sends them, ``[{"name", "value"}]``; older rows
        (and the demo) keep a mapping ``{"total": N}``, read here as the same list."""
        counters = self.counters or []
        if isinstance(counters, dict):
            counters = [{"name": name, "value": value} for name, value in counters.items()]
        return [{"name": str(c.get("name") or ""), "value": int(c["value"])}
                for c in counters if isinstance(c, dict) and isinstance(c.get("value"), (int, float))]


# A technician's attendances, newest first (app.core.views.sort_plan).
Index("ix_attendance_technician_started", Attendance.technician_id, Attendance.started_at)
# "Contém" on what was done and noted: MariaDB FULLTEXT on the words (app.core.search.contains).
Index("ix_attendance_services_words", Attendance.services, mysql_prefix="FULLTEXT")
Index("ix_attendance_notes_words", Attendance.notes, mysql_prefix="FULLTEXT")


class AttendanceEvent(IdMixin, Model):
    """One step of the timeline, with the device's own time (the app may send it late)."""

    __tablename__ = "attendance_event"
    __scope__ = Scope(parent="attendance")
    KINDS = (
        "selected", "travel_started", "arrived", "service_started", "service_finished",
        "form_filled", "concluded", "cancelled",
    )
    client_uid = Column(exact_string(64), unique=True, nullable=False)
    attendance_id = Column(Integer, ForeignKey("attendance.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)
    device_time = Column(DateTime, nullable=False)
    received_at = Column(DateTime, nullable=False, default=utcnow)
    latitude = Column(Double)
    longitude = Column(Double)
    attendance = relationship("Attendance")


class TrackPoint(IdMixin, Model):
    """A GPS point of a technician; purged after the configured retention (LGPD)."""

    __tablename__ = "track_point"
    __scope__ = Scope(dealer_only=True, technician="technician_id")
    client_uid = Column(exact_string(64), unique=True, nullable=False)
    technician_id = Column(Integer, ForeignKey("technician.id"), nullable=False)
    attendance_id = Column(Integer, ForeignKey("attendance.id", ondelete="SET NULL"), index=True)
    recorded_at = Column(DateTime, nullable=False)
    latitude = Column(Double, nullable=False)
    longitude = Column(Double, nullable=False)
    accuracy_m = Column(Float)


Index("ix_track_point_technician_recorded", TrackPoint.technician_id, TrackPoint.recorded_at)


class AttendancePhoto(IdMixin, Model):
    __tablename__ = "attendance_photo"
    __scope__ = Scope(parent="attendance")
    client_uid = Column(exact_string(64), unique=True, nullable=False)
    attendance_id = Column(Integer, ForeignKey("attendance.id", ondelete="CASCADE"), nullable=False, index=True)
    stored_name = Column(String(80), nullable=False, unique=True)
    content_type = Column(String(40), nullable=False)
    caption = Column(String(200))
    taken_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    attendance = relationship("Attendance")


class Survey(IdMixin, Model):
    """Avaliação: the client contact's rating of a concluded attendance, answered once."""

    __tablename__ = "survey"
    __scope__ = Scope(parent="attendance")
    attendance_id = Column(Integer, ForeignKey("attendance.id", ondelete="CASCADE"), nullable=False, unique=True)
    token_hash = Column(exact_string(64), nullable=False, unique=True)
    sent_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    rating = Column(SmallInteger)
    comment = Column(Text, info={"max_length": 2000})
    answered_at = Column(DateTime)
    attendance = relationship("Attendance")


class ShareLink(IdMixin, Model):
    """An expiring, revocable link to one attendance (Compartilhar, Técnico a caminho)."""

    __tablename__ = "share_link"
    __scope__ = Scope(parent="attendance")
    __table_args__ = (UniqueConstraint("token_hash"),)
    attendance_id = Column(Integer, ForeignKey("attendance.id", ondelete="CASCADE"), nullable=False, index=True)
    purpose = Column(String(20), nullable=False)
    token_hash = Column(exact_string(64), nullable=False)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    revoked_at = Column(DateTime)
    attendance = relationship("Attendance")

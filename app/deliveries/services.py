"""Confirmação de entrega: the carrier's proof for one NF, recorded once.

A second confirmation with the same data answers as the first (a retry from a phone with a
bad connection); with other data it is refused. The proof (recipient, date, outcome, reason,
optional signature, photo and GPS position) enters the ERP change feed in the same
transaction; a delivered NF linked to a supply request marks that request "Entregue".
"""
import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.db import db, utcnow
from app.core.files import FileRejected, discard, reencode_image, store_bytes
from app.core.scoping import Principal
from app.core.timefmt import format_datetime, isoformat_local, local_tz, to_local, to_naive_utc
from app.deliveries.models import Delivery, Invoice
from app.supplies.models import SupplyStatus
from app.supplies.services import update_supply_request
from app.feed.changes import record_change

STORAGE_AREA = "deliveries"
CLOCK_SKEW = timedelta(minutes=10)
SIGNATURE_MAX_SIDE, PHOTO_MAX_SIDE = 1200, 1600


class DeliveryError(ValueError):
    """The confirmation cannot be recorded; each message is shown to the carrier."""

    def __init__(self, *messages: str):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


class AlreadyConfirmed(DeliveryError):
    """The NF already has a different proof of delivery."""


@dataclass
class DeliveryProof:
    outcome: str
    received_by: str
    delivered_at: datetime | None        # naive UTC
    reason: str | None = None
    signature: bytes | None = None       # any PNG/JPEG the phone drew; re-encoded here
    photo: bytes | None = None
    latitude: float | None = None
    longitude: float | None = None

    def same_as(self, delivery: Delivery) -> bool:
        return (delivery.outcome, delivery.received_by, delivery.delivered_at, delivery.reason or None) == (
            self.outcome, self.received_by, self.delivered_at, self.reason or None)


def parse_local_datetime(value: str) -> datetime | None:
    """A date and time typed in São Paulo time (date input, datetime-local or dd/mm/aaaa hh:mm)
    as naive UTC; None when unreadable."""
    value = (value or "").strip()
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            local = datetime.strptime(value, fmt).replace(tzinfo=local_tz())
        except ValueError:
            continue
        return to_naive_utc(local)
    return None


def decode_data_url(value: str) -> bytes | None:
    """The bytes of a ``data:image/…;base64,`` URL (the signature canvas), None when empty."""
    value = (value or "").strip()
    if not value:
        return None
    header, _sep, payload = value.partition(",")
    if not header.startswith("data:image/") or ";base64" not in header:
        raise FileRejected(_("assinatura inválida"))
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise FileRejected(_("assinatura inválida")) from None


def _validate(invoice: Invoice, proof: DeliveryProof) -> list[str]:
    errors = []
    if invoice.status != Invoice.AUTHORIZED or invoice.carrier_id is None:
        errors.append(_("Esta NF não está autorizada para entrega."))
    if proof.outcome not in Delivery.OUTCOME_LABELS:
        errors.append(_("Escolha a situação da entrega."))
    if not proof.received_by:
        errors.append(_("Informe o nome de quem recebeu a mercadoria."))
    elif len(proof.received_by) > 120:
        errors.append(_("O nome de quem recebeu deve ter no máximo 120 caracteres."))
    if proof.delivered_at is None:
        errors.append(_("Informe a data da entrega (dd/mm/aaaa hh:mm)."))
    elif proof.delivered_at > utcnow() + CLOCK_SKEW:
        errors.append(_("A data da entrega não pode estar no futuro."))
    elif to_local(proof.delivered_at).date() < to_local(invoice.issued_at).date():
        errors.append(_("A data da entrega não pode ser anterior à emissão da NF (%(date)s).",
                        date=format_datetime(invoice.issued_at)))
    if proof.outcome in (Delivery.REFUSED, Delivery.PARTIAL) and not proof.reason:
        errors.append(_("Informe o motivo da entrega recusada ou parcial."))
    if (proof.latitude is None) != (proof.longitude is None) or (
            proof.latitude is not None and not (-90 <= proof.latitude <= 90 and -180 <= proof.longitude <= 180)):
        errors.append(_("Localização GPS inválida."))
    return errors


def existing_delivery(invoice: Invoice) -> Delivery | None:
    return db.session.execute(select(Delivery).where(Delivery.invoice_id == invoice.id)).scalar_one_or_none()


def confirm_delivery(invoice: Invoice, proof: DeliveryProof, *, actor: Principal) -> tuple[Delivery, bool]:
    """Record the proof once; returns (delivery, created). The caller commits, and on a
    failed commit removes the stored images (``discard_files``)."""
    proof.received_by = (proof.received_by or "").strip()
    proof.reason = (proof.reason or "").strip() or None
    errors = _validate(invoice, proof)
    existing = existing_delivery(invoice)
    if existing is not None:
        if not errors and proof.same_as(existing):
            return existing, False
        raise AlreadyConfirmed(_("A entrega desta NF já foi confirmada em %(date)s (recebido por %(name)s).",
                                 date=format_datetime(existing.delivered_at), name=existing.received_by))
    if errors:
        raise DeliveryError(*errors)
    max_bytes = int(current_app.config["PWS_PROOF_MAX_MB"] * 1024 * 1024)
    images = {}
    try:
        for name, data, fmt, side in (("signature", proof.signature, "PNG", SIGNATURE_MAX_SIDE),
                                      ("photo", proof.photo, "JPEG", PHOTO_MAX_SIDE)):
            if data:
                if len(data) > max_bytes:
                    raise FileRejected(_("arquivo maior que %(mb)s MB", mb=current_app.config["PWS_PROOF_MAX_MB"]))
                images[name] = reencode_image(data, max_side=side, as_format=fmt)[0]
    except FileRejected as error:
        label = _("Assinatura") if name == "signature" else _("Foto")
        raise DeliveryError(f"{label}: {error}") from None
    delivery = Delivery(
        invoice_id=invoice.id, outcome=proof.outcome, received_by=proof.received_by,
        delivered_at=proof.delivered_at, reason=proof.reason, confirmed_by_id=actor.user_id,
        confirmed_at=utcnow(), latitude=proof.latitude, longitude=proof.longitude,
        signature_stored_name=store_bytes(STORAGE_AREA, images["signature"], ".png") if "signature" in images else None,
        photo_stored_name=store_bytes(STORAGE_AREA, images["photo"], ".jpg") if "photo" in images else None,
    )
    db.session.add(delivery)
    db.session.flush()
    record_change("delivery", "create", web_id=delivery.id, erp_id=invoice.erp_id,
                  company_id=invoice.company_id, data=_feed_data(invoice, delivery))
    if invoice.supply_request is not None and delivery.outcome == Delivery.DELIVERED:
        update_supply_request(invoice.supply_request, status=SupplyStatus.DELIVERED)
    return delivery, True


def discard_files(delivery: Delivery) -> None:
    discard(STORAGE_AREA, [n for n in (delivery.signature_stored_name, delivery.photo_stored_name) if n])


def _feed_data(invoice: Invoice, delivery: Delivery) -> dict:
    return {
        "invoice_id": invoice.id, "invoice_erp_id": invoice.erp_id, "invoice_number": invoice.number,
        "invoice_series": invoice.series, "received_by": delivery.received_by,
        "delivered_at": isoformat_local(delivery.delivered_at), "outcome": delivery.outcome,
        "reason": delivery.reason, "latitude": delivery.latitude, "longitude": delivery.longitude,
        "signature": delivery.signature_stored_name is not None,
        "photo": delivery.photo_stored_name is not None,
        "supply_request_web_id": invoice.supply_request_id,
    }

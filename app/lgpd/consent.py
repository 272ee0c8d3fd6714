"""LGPD consent (§2.3): the admin publishes versions of three documents, each user confirms each
current version individually; every decision (accepted, refused, postponed) is kept.
"""
import secrets
from io import BytesIO
from pathlib import Path

from flask import current_app
from pypdf import PdfReader
from sqlalchemy import func, select

from app.accounts.models import ConsentDecision, ConsentDocument
from app.core.cache import reference
from app.core.db import db, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.scoping import scoped

KIND_LABELS = {
    ConsentDocument.PRIVACY: _l("Política de privacidade"),
    ConsentDocument.TERMS: _l("Termos e condições gerais de uso"),
    ConsentDocument.CONSENT: _l("Termo de consentimento"),
}
# The downloaded file's name (the user keeps it): Portuguese, like the labels.
FILE_NAMES = {
    ConsentDocument.PRIVACY: "politica-de-privacidade",
    ConsentDocument.TERMS: "termos-de-uso",
    ConsentDocument.CONSENT: "termo-de-consentimento",
}
CHOICE_LABELS = {
    ConsentDecision.ACCEPTED: _l("Aceito"),
    ConsentDecision.REFUSED: _l("Não aceito"),
    ConsentDecision.POSTPONED: _l("Agora não"),
}
MAX_PDF_BYTES = 10 * 1024 * 1024


class ConsentError(ValueError):
    """A document that cannot be published; the message is shown to the admin."""


def _latest_documents():
    latest = (select(ConsentDocument.kind, func.max(ConsentDocument.version).label("version"))
              .group_by(ConsentDocument.kind).subquery())
    return select(ConsentDocument).join(latest, (ConsentDocument.kind == latest.c.kind)
                                        & (ConsentDocument.version == latest.c.version))


def _in_manual_order(rows) -> list[ConsentDocument]:
    order = list(KIND_LABELS)
    return sorted(rows, key=lambda doc: order.index(doc.kind) if doc.kind in order else len(order))


def current_documents() -> list[ConsentDocument]:
    """The latest version of each kind, in the order the manual lists them."""
    return _in_manual_order(db.session.execute(_latest_documents()).scalars().all())


def current_document_ids() -> frozenset[int]:
    """The ids of the current versions, kept per process with the reference data: every page
    asks whether the user has confirmed them."""
    return reference("consent_documents", lambda: frozenset(
        db.session.execute(_latest_documents().with_only_columns(ConsentDocument.id)).scalars()))


def pending_documents(user_id: int) -> list[ConsentDocument]:
    """Current versions this user has not confirmed yet (one query: every page asks)."""
    accepted = scoped(select(ConsentDecision.id).where(
        ConsentDecision.user_id == user_id, ConsentDecision.choice == ConsentDecision.ACCEPTED,
        ConsentDecision.document_id == ConsentDocument.id), ConsentDecision)
    return _in_manual_order(db.session.execute(
        _latest_documents().where(~accepted.exists())).scalars().all())


def decide(user_id: int, *, accepted: set[int], refuse_others: bool, postpone: bool,
           ip: str | None) -> list[ConsentDecision]:
    """Record one decision per pending document: the ticked ones are accepted; the others are
    refused ("Não aceito") or postponed ("Agora não"), or left undecided."""
    decisions = []
    for document in pending_documents(user_id):
        if document.id in accepted and not postpone:
            choice = ConsentDecision.ACCEPTED
        elif postpone:
            choice = ConsentDecision.POSTPONED
        elif refuse_others:
            choice = ConsentDecision.REFUSED
        else:
            continue
        decisions.append(ConsentDecision(user_id=user_id, document_id=document.id, choice=choice,
                                         decided_at=utcnow(), ip=ip))
    db.session.add_all(decisions)
    return decisions


def decisions_of(user_id: int, limit: int = 50) -> list[ConsentDecision]:
    stmt = (select(ConsentDecision).where(ConsentDecision.user_id == user_id)
            .order_by(ConsentDecision.decided_at.desc(), ConsentDecision.id.desc()).limit(limit))
    return list(db.session.execute(scoped(stmt, ConsentDecision)).scalars())


def validate_pdf(data: bytes) -> None:
    """PDF by content: the signature and a successful parse."""
    if len(data) > MAX_PDF_BYTES:
        raise ConsentError(_l("O arquivo passa de 10 MB."))
    if not data.startswith(b"%PDF-"):
        raise ConsentError(_l("Envie um arquivo PDF."))
    try:
        if len(PdfReader(BytesIO(data)).pages) < 1:
            raise ConsentError(_l("O PDF não tem páginas."))
    except ConsentError:
        raise
    except Exception as error:  # any parse failure means "not a usable PDF"
        raise ConsentError(_l("O arquivo não é um PDF válido.")) from error


def storage_path(stored_name: str) -> Path:
    folder = Path(current_app.config["PWS_STORAGE_DIR"]) / "consent"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / stored_name


def prepare_document(document: ConsentDocument, pdf: bytes | None, published_by_id: int | None) -> None:
    """Number the new version of its kind and store its PDF under a random name."""
    if document.kind not in KIND_LABELS:
        raise ConsentError(_l("Tipo de documento inválido."))
    if not pdf and not (document.body or "").strip():
        raise ConsentError(_l("Informe o texto do documento ou envie o PDF."))
    if pdf:
        validate_pdf(pdf)
        document.stored_name = f"{secrets.token_hex(16)}.pdf"
        storage_path(document.stored_name).write_bytes(pdf)
    latest = db.session.execute(
        select(func.max(ConsentDocument.version)).where(ConsentDocument.kind == document.kind)
    ).scalar()
    document.version = (latest or 0) + 1
    document.title = (document.title or "").strip() or str(KIND_LABELS[document.kind])
    document.published_at = utcnow()
    document.published_by_id = published_by_id

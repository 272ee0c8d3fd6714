"""Arquivos de faturamento: the dealer's monthly PDFs for a client, and their downloads.

Each file of a batch is judged on its own (a real, unencrypted PDF within PWS_BILLING_MAX_MB);
good files are stored under random names and listed in one e-mail to the client's billing
users, bad ones are reported with the reason. Every download is logged.
"""
import os
import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from sqlalchemy import select

from app.accounts.models import PortalUser
from app.billing.models import BillingDownload, BillingFile
from app.catalog.models import Client, Contract
from app.core.db import db, utcnow
from app.core.files import FileRejected, check_pdf, discard, store_bytes
from app.core.scoping import Principal
from app.notifications.models import OutboxMessage
from app.notifications.outbox import Recipient, queue_email
from app.notifications.recipients import readers

STORAGE_AREA = "billing"
LIST_PATH = "/faturamento"
# Who is told about new billing files: the client's Operador Faturamento users and the
# Cliente users linked to the contract's client.


class BillingError(ValueError):
    """The batch as a whole cannot be imported (period, contract); shown as is."""

    def __init__(self, *messages: str):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


@dataclass
class Upload:
    name: str
    data: bytes


@dataclass
class ImportResult:
    imported: list[BillingFile] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    emailed: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"imported": len(self.imported), "failed": len(self.errors),
                "files": [f.original_name for f in self.imported],
                "errors": [{"file": name, "reason": reason} for name, reason in self.errors],
                "emailed": self.emailed}


def display_name(filename: str) -> str:
    """The name as the user chose it, without any folder part."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    return (name or _("arquivo.pdf"))[:255]


def import_billing_files(client: Client, *, contract: Contract | None, month: int, year: int,
                         note: str | None, uploads: list[Upload], send_email: bool,
                         actor: Principal) -> ImportResult:
    """Store the good PDFs of a batch and, when asked, queue the e-mail listing them.

    The caller commits; if the commit fails it calls ``discard_stored(result)``.
    """
    errors = []
    if not 1 <= month <= 12:
        errors.append(_("Escolha o mês."))
    if not 2000 <= year <= 2100:
        errors.append(_("Informe o ano com quatro dígitos."))
    if contract is not None and contract.client_id != client.id:
        errors.append(_("O contrato escolhido não é deste cliente."))
    if not uploads:
        errors.append(_("Escolha ao menos um arquivo PDF."))
    if errors:
        raise BillingError(*errors)
    max_bytes = int(current_app.config["PWS_BILLING_MAX_MB"] * 1024 * 1024)
    result = ImportResult()
    for upload in uploads:
        name = display_name(upload.name)
        try:
            check_pdf(upload.data, max_bytes)
        except FileRejected as error:
            result.errors.append((name, str(error)))
            continue
        row = BillingFile(company_id=client.company_id, client_id=client.id,
                          contract_id=contract.id if contract else None, month=month, year=year,
                          note=(note or "").strip() or None, original_name=name,
                          stored_name=store_bytes(STORAGE_AREA, upload.data, ".pdf"),
                          size=len(upload.data), uploaded_by_id=actor.user_id, uploaded_at=utcnow())
        db.session.add(row)
        result.imported.append(row)
    if result.imported and send_email:
        db.session.flush()
        recipients = readers("billing_files", result.imported[0])
        result.emailed = [r.address for r in recipients]
        queue_email("billing_files", recipients, _email_context(client, month, year, note, result.imported))
    return result


def discard_stored(result: ImportResult) -> None:
    discard(STORAGE_AREA, [row.stored_name for row in result.imported])


def _email_context(client, month, year, note, files) -> dict:
    base = current_app.config["PWS_BASE_URL"]
    return {
        "company_name": client.company.display_name, "client_name": client.display_name,
        "month": month, "year": year, "note": (note or "").strip(),
        "files": [(row.original_name, f"{base}{LIST_PATH}/baixar/{row.id}") for row in files],
        "url": f"{base}{LIST_PATH}/list/?_flt_0_year={year}&_flt_0_month={month}",
    }


def log_download(billing_file: BillingFile, *, user_id: int, ip: str | None) -> BillingDownload:
    """Who downloaded which file, when and from where (the caller commits)."""
    row = BillingDownload(file_id=billing_file.id, user_id=user_id, downloaded_at=utcnow(),
                          ip=(ip or "")[:45] or None)
    db.session.add(row)
    return row


def file_link(row: BillingFile) -> str:
    return f"{current_app.config['PWS_BASE_URL']}{LIST_PATH}/baixar/{row.id}"


def _told_about(row: BillingFile) -> list[Recipient]:
    """Who received the e-mail listing this file: its outbox rows, found by the file's link
    (…/baixar/12 and not …/baixar/123)."""
    link = file_link(row)
    exact = re.compile(re.escape(link) + r"(?!\d)")
    rows = db.session.execute(
        select(OutboxMessage.recipients, OutboxMessage.user_id, OutboxMessage.body_text)
        .where(OutboxMessage.kind == "billing_files", OutboxMessage.body_text.contains(link))
        .order_by(OutboxMessage.id)).all()
    return [Recipient(r.recipients, r.user_id) for r in rows if exact.search(r.body_text)]


def remove_billing_file(row: BillingFile, *, reason: str, actor: Principal,
                        replacement: Upload | None = None, month: int | None = None,
                        year: int | None = None) -> BillingFile | None:
    """Withdraw a file sent to the wrong client or month: the client's users stop seeing it at
    once (its scope), nothing is deleted (the file and its download log stay for the dealer),
    and those who received the e-mail listing it are told. With ``replacement``, the right PDF
    takes its place for the same client (in ``month``/``year`` when the period was wrong).
    The caller commits; a replacement stored before a failed commit is discarded by it."""
    reason = (reason or "").strip()
    if row.removed_at is not None:
        raise BillingError(_("Este arquivo já foi removido."))
    if not reason:
        raise BillingError(_("Informe o motivo da correção."))
    new = None
    if replacement is not None:
        result = import_billing_files(
            row.client, contract=row.contract, month=month or row.month, year=year or row.year,
            note=row.note, uploads=[replacement], send_email=False, actor=actor)
        if result.errors:
            raise BillingError(*(f"{name}: {why}" for name, why in result.errors))
        new = result.imported[0]
        db.session.flush()
    row.removed_at, row.removed_by_id = utcnow(), actor.user_id
    row.removal_reason = reason
    row.replaced_by_id = new.id if new is not None else None
    told = _told_about(row)
    if told:
        base = current_app.config["PWS_BASE_URL"]
        queue_email("billing_correction", told, {
            "company_name": row.client.company.display_name, "client_name": row.client.display_name,
            "file_name": row.original_name, "month": row.month, "year": row.year, "reason": row.removal_reason,
            "replacement": (new.original_name, file_link(new), new.month, new.year) if new is not None else None,
            "url": f"{base}{LIST_PATH}/list/",
        })
    return new


def download_log(*, file_id: int | None = None, user_id: int | None = None, within=None,
                 limit: int = 500) -> list:
    """Quem baixou: the downloads of a file, of a user, or of the files ``within`` (a select of
    file ids: the viewer's scope), newest first. Removed files keep theirs."""
    stmt = (select(BillingDownload.downloaded_at, BillingDownload.ip, BillingDownload.file_id,
                   BillingDownload.user_id, BillingFile.original_name, BillingFile.month,
                   BillingFile.year, BillingFile.removed_at, PortalUser.first_name,
                   PortalUser.last_name, PortalUser.email)
            .join(BillingFile, BillingFile.id == BillingDownload.file_id)
            .join(PortalUser, PortalUser.id == BillingDownload.user_id))
    if file_id is not None:
        stmt = stmt.where(BillingDownload.file_id == file_id)
    if user_id is not None:
        stmt = stmt.where(BillingDownload.user_id == user_id)
    if within is not None:
        stmt = stmt.where(BillingDownload.file_id.in_(within))
    return db.session.execute(
        stmt.order_by(BillingDownload.downloaded_at.desc(), BillingDownload.id.desc()).limit(limit)).all()

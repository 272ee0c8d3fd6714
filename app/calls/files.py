"""Attachments of calls and pre-service messages: validated by content, stored under random names.

Images are decoded and re-encoded with Pillow (whatever else the file carried is dropped);
PDFs must start with ``%PDF-`` and parse with pypdf. Files live in PWS_STORAGE_DIR/calls/,
outside ``static``, and are served only by the scoped download view.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from pypdf import PdfReader

from app.core.files import FileRejected, ImageTooLarge, area_dir, reencode_image, store_bytes
from app.core.files import discard as discard_stored

STORAGE_SUBDIR = "calls"
# Photos stay JPEG; every other accepted image becomes PNG.
IMAGE_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP")


class UploadError(ValueError):
    """A file the portal refuses; the message is shown to the user."""


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    data: bytes
    content_type: str
    extension: str


def max_bytes() -> int:
    return current_app.config["PWS_CALL_ATTACHMENT_MAX_MB"] * 1024 * 1024


def _clean_name(name: str, extension: str) -> str:
    stem = Path(name or "arquivo").name.rsplit(".", 1)[0][:180] or "arquivo"
    return f"{stem}.{extension}"


def check_upload(name: str, stream) -> CheckedFile:
    """Read one uploaded file and return its safe content, or raise UploadError."""
    limit = max_bytes()
    raw = stream.read(limit + 1)
    if not raw:
        raise UploadError(_("O arquivo %(name)s está vazio.", name=name))
    if len(raw) > limit:
        raise UploadError(_("O arquivo %(name)s excede o limite de %(mb)d MB.", name=name,
                            mb=current_app.config["PWS_CALL_ATTACHMENT_MAX_MB"]))
    if raw.startswith(b"%PDF-"):
        return CheckedFile(_clean_name(name, "pdf"), _checked_pdf(name, raw), "application/pdf", "pdf")
    return _reencoded_image(name, raw)


def _checked_pdf(name: str, raw: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(raw), strict=False)
            if len(reader.pages) < 1:
                raise ValueError("no pages")
    except Exception as error:  # pypdf raises many kinds for broken files
        raise UploadError(_("O arquivo %(name)s não é um PDF válido.", name=name)) from error
    return raw


def _reencoded_image(name: str, raw: bytes) -> CheckedFile:
    try:
        data, kind = reencode_image(raw, formats=IMAGE_FORMATS)
    except ImageTooLarge as error:
        raise UploadError(_("A imagem %(name)s foi recusada: %(reason)s.", name=name, reason=error)) from None
    except FileRejected:
        raise UploadError(_("Tipo de arquivo não permitido: %(name)s. Envie imagens (JPG, PNG) "
                            "ou documentos PDF.", name=name)) from None
    extension, content_type = ("jpg", "image/jpeg") if kind == "JPEG" else ("png", "image/png")
    return CheckedFile(_clean_name(name, extension), data, content_type, extension)


def store(checked: CheckedFile) -> str:
    """Write the file under a random name and return that name."""
    return store_bytes(STORAGE_SUBDIR, checked.data, f".{checked.extension}")


def path_of(stored_name: str) -> Path:
    return area_dir(STORAGE_SUBDIR) / Path(stored_name).name


def discard(stored_names) -> None:
    """Remove files written for a transaction that did not commit."""
    discard_stored(STORAGE_SUBDIR, [Path(name).name for name in stored_names])

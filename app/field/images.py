"""Photos and signatures: checked by content, re-encoded (no EXIF, no GPS tags, no trailing
bytes) and stored under random names in the storage folder, outside static."""
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.core.files import FileRejected, ImageTooLarge, area_dir, discard, reencode_image, store_bytes
from app.core.db import on_commit, on_rollback

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
MAX_SIDE = 2560
SUBFOLDER = "field"


class ImageRejected(ValueError):
    """The upload is not an acceptable image; the message is shown to the user."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str


def clean_image(data: bytes, formats=("JPEG", "PNG")) -> CleanImage:
    """Verify ``data`` is a JPEG/PNG within the limits and return it re-encoded."""
    max_mb = current_app.config["PWS_PHOTO_MAX_MB"]
    if not data:
        raise ImageRejected(_("Envie um arquivo de imagem."))
    if len(data) > max_mb * 1024 * 1024:
        raise ImageRejected(_("A imagem excede o limite de %(mb)d MB.", mb=max_mb))
    try:
        clean, kind = reencode_image(data, formats=formats, max_side=MAX_SIDE)
    except ImageTooLarge as error:
        raise ImageRejected(_("A imagem foi recusada: %(reason)s.", reason=error)) from None
    except FileRejected:
        raise ImageRejected(_("O arquivo não é uma imagem %(formats)s válida.",
                              formats=" ou ".join(formats))) from None
    content_type, extension = FORMATS[kind]
    return CleanImage(clean, content_type, extension)


def store(image: CleanImage) -> str:
    """Write the image under a random name; returns the name to keep in the database."""
    return store_bytes(SUBFOLDER, image.data, f".{image.extension}")


def path_of(stored_name: str) -> Path:
    """The file of a stored name (names are generated here, never taken from a request)."""
    return area_dir(SUBFOLDER) / Path(stored_name).name


def remove(stored_name: str | None) -> None:
    if stored_name:
        discard(SUBFOLDER, [Path(stored_name).name])


def content_type_of(stored_name: str) -> str:
    return "image/png" if stored_name.endswith(".png") else "image/jpeg"


_REMOVE_KEY = "pws_field_remove_files"


def remove_after_commit(session, stored_name: str | None) -> None:
    """Delete a replaced file only once the change that replaced it is committed."""
    if stored_name:
        session.info.setdefault(_REMOVE_KEY, []).append(stored_name)


@on_commit
def _remove_replaced(session):
    for name in session.info.pop(_REMOVE_KEY, []):
        remove(name)


@on_rollback
def _keep_replaced(session):
    session.info.pop(_REMOVE_KEY, None)

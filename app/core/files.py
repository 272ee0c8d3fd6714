"""Uploaded files: checked by content, stored under random names outside ``static/``, served
only as attachments by views that already checked the row's scope.

Layout: ``PWS_STORAGE_DIR/<area>/<random name>``; the database keeps the random name and the
original one. Several app servers can share the folder (nothing is kept in process memory).
"""
import io
import os
import secrets
import warnings
from pathlib import Path

from flask import abort, current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

class FileRejected(ValueError):
    """The upload is not what it claims or breaks a limit; the message is shown as is."""


def area_dir(area: str) -> Path:
    folder = Path(current_app.config["PWS_STORAGE_DIR"]) / area
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_bytes(area: str, data: bytes, suffix: str) -> str:
    """Write ``data`` under a fresh random name in the area folder and return that name."""
    name = secrets.token_hex(16) + suffix
    path = area_dir(area) / name
    with open(path, "xb") as handle:
        handle.write(data)
    return name


def discard(area: str, names) -> None:
    """Remove files written for a change that did not commit."""
    for name in names:
        try:
            (area_dir(area) / name).unlink()
        except FileNotFoundError:
            pass


def read_limited(stream, max_bytes: int) -> bytes:
    """At most ``max_bytes`` + 1 bytes of an upload: enough to tell that it is too large."""
    return stream.read(max_bytes + 1)


def _megabytes(size: int) -> str:
    return f"{round(size / (1024 * 1024), 2):g}".replace(".", ",")


def check_pdf(data: bytes, max_bytes: int) -> int:
    """A real, readable, unencrypted PDF within the size limit; returns its page count."""
    if not data:
        raise FileRejected(_("arquivo vazio"))
    if len(data) > max_bytes:
        raise FileRejected(_("maior que o limite de %(mb)s MB", mb=_megabytes(max_bytes)))
    if not data.startswith(b"%PDF-"):
        raise FileRejected(_("não é um arquivo PDF"))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise FileRejected(_("PDF protegido por senha"))
        pages = len(reader.pages)
    except FileRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError):
        raise FileRejected(_("PDF inválido ou corrompido")) from None
    if pages < 1:
        raise FileRejected(_("PDF sem páginas"))
    return pages


class ImageTooLarge(FileRejected):
    """More pixels than PWS_IMAGE_MAX_PIXELS: refused from the header, before decoding
    (decompression bombs: a 128 KB PNG can declare 40 million pixels)."""


# The longest side any re-encoded image keeps: a phone photo (24 MP) decodes at most at this
# size, so decoding and re-encoding stay bounded whatever the upload declares.
DEFAULT_MAX_SIDE = 3000


def max_image_pixels() -> int:
    return current_app.config["PWS_IMAGE_MAX_PIXELS"]


def fence_pillow(config) -> None:
    """Pillow's own bomb check, at the same cap, for any image opened outside reencode_image."""
    Image.MAX_IMAGE_PIXELS = config["PWS_IMAGE_MAX_PIXELS"]


def _megapixels() -> str:
    return f"{max_image_pixels() / 1_000_000:g}".replace(".", ",")


def reencode_image(data: bytes, *, formats=("JPEG", "PNG"), max_side: int = DEFAULT_MAX_SIDE,
                   as_format: str | None = None) -> tuple[bytes, str]:
    """Decode and re-encode an image, the one way every upload goes: drops EXIF/GPS metadata
    and any payload hidden after the picture, keeps the orientation, shrinks it to
    ``max_side`` pixels. Returns the bytes and the format written: ``as_format``, else JPEG for
    photos and PNG for everything else.

    Bounded before any pixel is decoded: ``Image.open`` reads only the header, whose size must
    fit PWS_IMAGE_MAX_PIXELS (PIL's own MAX_IMAGE_PIXELS, set to the same cap at start-up, is
    the second fence); a JPEG is then decoded already scaled down towards ``max_side``
    (``draft``: DCT scaling by 1/2, 1/4, 1/8) and ``thumbnail`` reduces in steps, so memory and
    time follow ``max_side`` and the cap, not the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                kind = source.format
                if kind not in formats:
                    raise FileRejected(_("imagem deve ser %(formats)s", formats=" ou ".join(formats)))
                if source.width * source.height > max_image_pixels():
                    raise ImageTooLarge(_("imagem com mais de %(mp)s megapixels", mp=_megapixels()))
                ratio = min(1.0, max_side / max(source.size))
                source.draft(None, (int(source.width * ratio), int(source.height * ratio)))
                source.thumbnail((max_side, max_side), reducing_gap=2.0)
                image = ImageOps.exif_transpose(source)
    except FileRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(_("imagem com mais de %(mp)s megapixels", mp=_megapixels())) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise FileRejected(_("imagem inválida")) from None
    target = as_format or ("JPEG" if kind in ("JPEG", "MPO") else "PNG")
    out = io.BytesIO()
    if target == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "PNG")
    return out.getvalue(), target


def send_stored(area: str, stored_name: str, *, download_name: str, mimetype: str):
    """The file as an attachment with its real type; 404 when it is missing on disk."""
    path = area_dir(area) / stored_name
    if not stored_name or os.sep in stored_name or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mimetype, as_attachment=True,
                         download_name=download_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response

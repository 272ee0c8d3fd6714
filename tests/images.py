"""Decompression bombs for the upload tests and benchmarks/image_bombs.py: files of a few
kilobytes whose headers declare tens of millions of pixels (built row by row, never in memory)."""
import io
import struct
import zlib

from PIL import Image


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 6300, height: int = 6300) -> bytes:
    """A valid RGB PNG of ``width`` × ``height`` black pixels: 6300 × 6300 is about 116 KB."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (width * 3 + 1)  # filter byte + black pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def jpeg_bomb(width: int = 12000, height: int = 12000) -> bytes:
    """A tiny JPEG whose frame header claims ``width`` × ``height`` (the data is a 16 × 16 picture)."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(out, "JPEG")
    data = out.getvalue()
    sof = data.index(b"\xff\xc0")
    return data[:sof + 5] + struct.pack(">HH", height, width) + data[sof + 9:]


def gif_bomb(width: int = 12000, height: int = 12000) -> bytes:
    """A GIF whose screen and frame claim ``width`` × ``height``."""
    out = io.BytesIO()
    Image.new("P", (16, 16)).save(out, "GIF")
    data = bytearray(out.getvalue())
    data[6:10] = struct.pack("<HH", width, height)
    frame = data.index(b"\x2c")
    data[frame + 5:frame + 9] = struct.pack("<HH", width, height)
    return bytes(data)

"""Images as data URIs: type and size read from the bytes themselves."""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from pixelmeans.errors import InputError


@dataclass(frozen=True)
class Embedded:
    """An image ready for an ``<img>`` tag.

    Attributes
    ----------
    uri : str
        ``data:<mime>;base64,...``
    mime : str
    width, height : int or None
        Pixel size when the format tells it cheaply (PNG, GIF).
    pixel_art : bool
        A grey PNG or a GIF: tiles of pixels (centroids, frames), drawn enlarged
        with sharp pixels. Colour PNGs (matplotlib figures) are not.
    """

    uri: str
    mime: str
    width: int | None
    height: int | None
    pixel_art: bool


def sniff(data: bytes) -> tuple[str, int | None, int | None, bool]:
    """Mime type, width, height and pixel-art flag of an image's bytes.

    Raises
    ------
    InputError
        When the bytes are not PNG, GIF, JPEG or SVG.
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 26:
        w, h = struct.unpack(">II", data[16:24])
        colour_type = data[25]
        return "image/png", w, h, colour_type in (0, 3)  # grey or palette
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return "image/gif", w, h, True
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg", None, None, False
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        return "image/svg+xml", None, None, False
    raise InputError("report figure: not a PNG, GIF, JPEG or SVG image")


def image_bytes(source, caption: str = "") -> bytes:
    """The bytes of a figure source: bytes as they are, a file's content, or a matplotlib Figure as PNG."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise InputError(f"report figure {caption!r}: cannot read {os.fspath(source)}: {exc.strerror}") from None
    if hasattr(source, "savefig"):
        from pixelmeans.plots.output import figure_png_bytes

        return figure_png_bytes(source)
    raise InputError(f"report figure {caption!r}: expected image bytes, a path or a matplotlib Figure, got {type(source).__name__}")


def embed(source, caption: str = "") -> Embedded:
    """Turn a figure source into a data URI with its type and size."""
    data = image_bytes(source, caption)
    try:
        mime, w, h, pixel_art = sniff(data)
    except InputError:
        raise InputError(f"report figure {caption!r}: not a PNG, GIF, JPEG or SVG image") from None
    uri = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
    return Embedded(uri, mime, w, h, pixel_art)

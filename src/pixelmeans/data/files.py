"""Reading user files within limits.

Every loader reads through here, so the limits hold for every format:

- Only regular files are read. A device (``/dev/zero``), FIFO or socket is refused
  with one line, without waiting for a writer: the file is opened non-blocking and
  checked before a byte is read.
- No file is taken to hold more than `MAX_BYTES` (2 GiB) of uncompressed content,
  and a size a file's header claims is checked against the file's size and against
  `MAX_BYTES` before anything of that size is allocated.
- gzip (and zip deflate) cannot expand data more than `MAX_DEFLATE_RATIO` times, so a
  claim beyond that is refused before inflating. Inflation is streamed: no more than
  the content's claimed size plus one byte is inflated (`MAX_BYTES` plus one where
  nothing is claimed), and a stream holding more is refused.
"""

from __future__ import annotations

import gzip
import math
import os
import stat
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pixelmeans.errors import InputError

#: Largest uncompressed content, in bytes, of one file or archive member.
#: EMNIST ByClass, the largest of the MNIST family, holds 547 MB of training images.
MAX_BYTES = 2**31
#: deflate's largest expansion (a 258-byte match in 2 bits), for gzip and zip members.
MAX_DEFLATE_RATIO = 1032
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file.

    Returns
    -------
    file object
        Buffered, at offset 0; the caller closes it.

    Raises
    ------
    InputError
        Missing, unreadable, or not a regular file (device, FIFO, socket, folder).
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it changes nothing
        # for a regular file.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(mode) else "a device, FIFO or socket"
        raise InputError(f"{path}: not a regular file ({what}); expected an image data file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def file_size(fh: BinaryIO) -> int:
    """Size in bytes of the open file ``fh``."""
    return os.fstat(fh.fileno()).st_size


def content_stream(fh: BinaryIO) -> tuple[BinaryIO, int]:
    """The uncompressed content of ``fh`` as a stream, and the most it can hold.

    Gzip is recognised by its magic bytes, not the file name, so a ``.gz`` that was
    unpacked but kept its name (browsers do this) still reads.

    Returns
    -------
    stream : file object
        ``fh`` itself, or a gzip reader over it.
    most : int
        Upper bound of the stream's length in bytes: the file size, or the file size
        times `MAX_DEFLATE_RATIO` for gzip.
    """
    size = file_size(fh)
    is_gzip = fh.read(2) == GZIP_MAGIC
    fh.seek(0)
    if is_gzip:
        return gzip.GzipFile(fileobj=fh, mode="rb"), size * MAX_DEFLATE_RATIO
    return fh, size


def read_at_most(stream: BinaryIO, n: int, source: str, into: bytearray | None = None) -> bytearray:
    """Read up to ``n`` more bytes of ``stream`` (fewer at its end), chunk by chunk.

    Parameters
    ----------
    stream : file object
    n : int
        Bytes wanted; memory grows with what the stream holds, never with ``n``.
    source : str
        Named in error messages.
    into : bytearray, optional
        Bytes already read, extended in place.

    Raises
    ------
    InputError
        A gzip stream that is truncated or corrupt.
    """
    buf = bytearray() if into is None else into
    goal = len(buf) + n
    try:
        while len(buf) < goal:
            block = stream.read(min(_CHUNK, goal - len(buf)))
            if not block:
                break
            buf += block
    except (EOFError, OSError, zlib.error) as exc:
        # EOFError: truncated; BadGzipFile (an OSError) and zlib.error: corrupt.
        raise InputError(f"{source}: not a valid gzip file ({_reason(exc)}); "
                         "expected a complete .gz download") from None
    return buf


def read_bytes(path: str | os.PathLike, decompress: bool = True) -> bytearray:
    """Return the content of ``path``, decompressed when it is gzip.

    A bytearray, not bytes: a copy of a large file would double the memory it needs.

    Parameters
    ----------
    path : path-like
    decompress : bool
        Inflate gzip content; False returns the file's bytes as they are.

    Raises
    ------
    InputError
        Not a regular file, the gzip stream is truncated or corrupt, or the content is
        larger than `MAX_BYTES`.
    """
    path = Path(path)
    with open_regular(path) as fh:
        stream, most = content_stream(fh) if decompress else (fh, file_size(fh))
        if stream is fh and most > MAX_BYTES:
            raise _too_large(path, most)
        data = read_at_most(stream, MAX_BYTES + 1, str(path))
    if len(data) > MAX_BYTES:
        raise _too_large(path, len(data), inflated=True)
    return data


def same_content(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two files hold the same content once gzip is inflated.

    Compared chunk by chunk, so memory stays two chunks whatever the sizes, and
    stopped at the first difference.

    Raises
    ------
    InputError
        Either file is not a regular file, a gzip stream is truncated or corrupt, or the
        content is larger than `MAX_BYTES`.
    """
    with open_regular(a) as fa, open_regular(b) as fb:
        (sa, _), (sb, _) = content_stream(fa), content_stream(fb)
        compared = 0
        while True:
            ca, cb = read_at_most(sa, _CHUNK, str(a)), read_at_most(sb, _CHUNK, str(b))
            if ca != cb:
                return False
            if not ca:
                return True
            compared += len(ca)
            if compared > MAX_BYTES:
                raise _too_large(a, compared, inflated=True)


def npy_member_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of the ``.npy`` array stored as ``info`` in ``archive``.

    Only the header is read: numpy allocates the claimed shape before reading the
    data, so the claim is checked here against the bytes the member holds.

    Parameters
    ----------
    archive : zipfile.ZipFile
    info : zipfile.ZipInfo
        A member of ``archive`` (stored or deflated).
    where : str
        Names the member in error messages, e.g. ``"data.npz: x_train"``.

    Returns
    -------
    shape : tuple of int
    dtype : numpy.dtype
        Never an object dtype.

    Raises
    ------
    InputError
        A ``.npy`` version other than 1.0 or 2.0, an object dtype, or a claimed size
        (header plus ``prod(shape) * itemsize``) other than the member's size.
    """
    with archive.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise InputError(f"{where} is .npy format version {version}; expected 1.0 or 2.0")
        header = fp.tell()
    if dtype.hasobject:
        raise InputError(f"{where} has dtype {dtype}, which only unpickling can read; expected "
                         "an array of numbers or strings")
    claimed = header + math.prod(shape) * dtype.itemsize
    if claimed != info.file_size:
        raise InputError(f"{where} claims a {dtype} array of shape {shape} ({claimed} bytes), "
                         f"but the member holds {info.file_size} bytes")
    return shape, dtype


def _too_large(path, size: int, inflated: bool = False) -> InputError:
    how = "inflates to more than" if inflated else f"holds {size} bytes, more than"
    return InputError(f"{path}: {how} the {MAX_BYTES} bytes pixelmeans reads from one file")


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError):
        text = "the stream ends early: " + text
    return " ".join(text.split())


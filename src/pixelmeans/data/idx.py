"""IDX files (the MNIST format), raw or gzip-compressed.

An IDX file is a 4-byte magic number ``0 0 TYPE NDIM``, then NDIM big-endian
uint32 dimensions, then the values in C order, big-endian. Everything is checked
before an array is returned: the magic, the type code, the dimensions and that the
byte count matches them exactly (a truncated or padded file is an error, not data).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from pixelmeans.errors import InputError
from pixelmeans.fileio import write_bytes

# type code -> big-endian dtype, as in the format's definition
TYPE_CODES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(d.kind, d.itemsize): code for code, d in TYPE_CODES.items()}
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | os.PathLike) -> bytes:
    """Return the content of ``path``, decompressed when it is gzip.

    Gzip is recognised by its magic bytes, not the file name, so a ``.gz`` that was
    unpacked but kept its name (browsers do this) still reads.

    Raises
    ------
    InputError
        The gzip stream is truncated or corrupt.
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        # EOFError: truncated; BadGzipFile (an OSError) and zlib.error: corrupt.
        raise InputError(f"{path}: not a valid gzip file ({_reason(exc)}); "
                         "expected a complete .gz download") from None


def parse_idx(data: bytes, source: str = "IDX data") -> np.ndarray:
    """Decode IDX bytes into an array.

    Parameters
    ----------
    data : bytes
        The uncompressed file content.
    source : str
        Named in error messages (usually the file path).

    Returns
    -------
    ndarray, shape given by the file's dimensions
        Native byte order; uint8 data is a read-only view of ``data`` (no copy).

    Raises
    ------
    InputError
        Wrong magic, unknown type code, no dimensions, or a byte count that does not
        match the dimensions.
    """
    if len(data) < 4:
        raise InputError(f"{source}: too short for an IDX file ({len(data)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise InputError(f"{source}: not an IDX file (magic number {data[:4].hex()}, "
                         "expected 0000 then a type code and the number of dimensions)")
    if code not in TYPE_CODES:
        raise InputError(f"{source}: unknown IDX type code 0x{code:02x}, expected one of "
                         + ", ".join(f"0x{c:02x}" for c in TYPE_CODES))
    if ndim == 0:
        raise InputError(f"{source}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise InputError(f"{source}: truncated IDX header ({len(data)} bytes, "
                         f"{ndim} dimensions need {header})")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = TYPE_CODES[code]
    expected = header + int(np.prod(dims, dtype=object)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise InputError(f"{source}: IDX file {what}: dimensions {'x'.join(map(str, dims))} "
                         f"need {expected} bytes, found {len(data)}")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    if dtype.itemsize > 1:
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed.

    Parameters
    ----------
    path : path-like
        e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    ndarray
        ``uint8 (n, h, w)`` for image files, ``uint8 (n,)`` for label files, in general
        the file's own type and dimensions.
    """
    return parse_idx(read_bytes(path), str(path))


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as IDX bytes (header + big-endian values).

    Parameters
    ----------
    array : ndarray of uint8, int8, int16, int32, float32 or float64, 1 to 255 dims

    Raises
    ------
    InputError
        A dtype IDX cannot hold, or no dimensions.
    """
    array = np.asarray(array)
    code = _CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise InputError(f"IDX cannot store {array.dtype} values; expected uint8, int8, "
                         "int16, int32, float32 or float64")
    if not 1 <= array.ndim <= 255:
        raise InputError(f"IDX needs 1 to 255 dimensions, got {array.ndim}")
    if any(d >= 2**32 for d in array.shape):
        raise InputError(f"IDX dimensions must be below 2**32, got {array.shape}")
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compresslevel: int = 6) -> Path:
    """Write ``array`` as an IDX file, gzip-compressed when the name ends in ``.gz``.

    The file appears atomically (temporary name, then rename), so a reader never
    sees half of it.

    Parameters
    ----------
    path : path-like
    array : ndarray
        See `idx_bytes` for the dtypes allowed.
    compresslevel : int
        gzip level for ``.gz`` names.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    data = idx_bytes(array)
    if path.name.endswith(".gz"):
        # mtime=0: the same array always gives the same bytes.
        data = gzip.compress(data, compresslevel=compresslevel, mtime=0)
    write_bytes(path, data)
    return path


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError):
        text = "the stream ends early: " + text
    return " ".join(text.split())

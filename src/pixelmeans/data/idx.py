"""IDX files (the MNIST format), raw or gzip-compressed.

An IDX file is a 4-byte magic number ``0 0 TYPE NDIM``, then NDIM big-endian
uint32 dimensions, then the values in C order, big-endian. Everything is checked
before an array is returned: the magic, the type code, the dimensions and that the
byte count matches them exactly (a truncated or padded file is an error, not data).

Limits (see `pixelmeans.data.files`): the size the header claims is checked before
the values are read: at most `~pixelmeans.data.files.MAX_BYTES`, exactly the size
of an uncompressed file, and no more than a gzip file can inflate to. A gzip file is
inflated as a stream up to the claimed size plus one byte, so a stream holding more
(a gzip bomb) is refused after reading that much. Devices and FIFOs are refused.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from pixelmeans.data import files
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
        Native byte order; uint8 data is a view of ``data`` (no copy).

    Raises
    ------
    InputError
        Wrong magic, unknown type code, no dimensions, or a byte count that does not
        match the dimensions.
    """
    dtype, dims, header = _header(data, source)
    expected = _claimed_bytes(dtype, dims, header, source)
    if len(data) != expected:
        raise _wrong_length(source, dims, expected, len(data))
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    if dtype.itemsize > 1:
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def _header(data, source: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """Type, dimensions and header length from the start of IDX bytes."""
    if len(data) < 4:
        raise InputError(f"{source}: too short for an IDX file ({len(data)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise InputError(f"{source}: not an IDX file (magic number {bytes(data[:4]).hex()}, "
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
    return TYPE_CODES[code], struct.unpack(f">{ndim}I", data[4:header]), header


def _claimed_bytes(dtype: np.dtype, dims: tuple[int, ...], header: int, source: str) -> int:
    """The file size the header claims, if it is within `files.MAX_BYTES`."""
    expected = header + int(np.prod(dims, dtype=object)) * dtype.itemsize
    # A zero dimension makes the claim 0 bytes whatever the others say; NumPy still
    # refuses a shape whose other dimensions overflow, so they are bounded too.
    nonzero = int(np.prod([max(d, 1) for d in dims], dtype=object)) * dtype.itemsize
    if expected > files.MAX_BYTES or nonzero > files.MAX_BYTES:
        raise InputError(f"{source}: IDX header claims {_shape(dims)} values, "
                         f"{max(expected, nonzero)} bytes; expected at most {files.MAX_BYTES} bytes")
    return expected


def _wrong_length(source: str, dims, expected: int, found: int) -> InputError:
    what = "truncated" if found < expected else "has trailing bytes"
    return InputError(f"{source}: IDX file {what}: dimensions {_shape(dims)} "
                      f"need {expected} bytes, found {found}")


def _shape(dims) -> str:
    return "x".join(map(str, dims))


def read_idx_bytes(path: str | os.PathLike) -> bytes:
    """The uncompressed bytes of an IDX file, read within the limits of `files`.

    The header is read first; nothing more is read when the size it claims is over
    `files.MAX_BYTES`, differs from the size of an uncompressed file, or is more than a
    gzip file can inflate to, and a gzip stream is inflated no further than the
    claimed size plus one byte.

    Returns
    -------
    bytes-like
        Exactly the size the header claims.

    Raises
    ------
    InputError
        Not a regular file, a corrupt or truncated gzip stream, a bad header, or
        content whose size is not the one the header claims.
    """
    source = str(path)
    with files.open_regular(path) as fh:
        stream, most = files.content_stream(fh)
        data = files.read_at_most(stream, 4, source)
        if len(data) == 4 and data[:2] == b"\0\0":
            files.read_at_most(stream, 4 * data[3], source, into=data)
        dtype, dims, header = _header(data, source)
        expected = _claimed_bytes(dtype, dims, header, source)
        if stream is fh and most != expected:
            raise _wrong_length(source, dims, expected, most)
        if expected > most:
            raise InputError(f"{source}: IDX header claims {_shape(dims)} values, {expected} "
                             f"bytes; a gzip file of {files.file_size(fh)} bytes cannot hold that many")
        files.read_at_most(stream, expected - len(data) + 1, source, into=data)
    if len(data) != expected:
        raise _wrong_length(source, dims, expected, len(data))
    return data


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
    return parse_idx(read_idx_bytes(path), str(path))


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

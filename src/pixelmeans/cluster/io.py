"""Centroids to and from files: CSV with a key column, or ``.npy``.

CSV layout: one centroid per line, a key first, then its ``n_features`` values::

    centroid0,0.0,0.0,0.0117647,...
    centroid1,0.0,0.0,0.0,...

Keys default to ``centroid0 .. centroid{k-1}``. Each value is written as the shortest
decimal that reads back to the same float32 (float32 centroids) or float64 (others).
A file whose first field is a number on every line has no key column; keys are then
``centroid0 ..`` as well. Blank lines are ignored. ``.npy`` files (by suffix) hold the
2-D array alone. Writes are atomic (:mod:`pixelmeans.fileio`).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from pixelmeans.errors import InputError
from pixelmeans.fileio import atomic_write, write_text

__all__ = ["read_centroids", "write_centroids"]


def _default_keys(k: int) -> list[str]:
    return [f"centroid{i}" for i in range(k)]


def write_centroids(path, centers, keys=None) -> Path:
    """Write centroids to ``path``: CSV with a key column, or ``.npy`` by suffix.

    Parameters
    ----------
    path : str or path-like
        Destination; ``.npy`` writes NumPy's format, anything else CSV. The parent
        folder must exist.
    centers : array-like of shape (k, n_features)
        Finite numbers. Written as the shortest decimals that read back to the same
        values (float32 values as float32, anything else as float64).
    keys : sequence of str of length k, optional
        Names of the centroids (CSV only), default ``centroid0 .. centroid{k-1}``.
        They must not contain commas, quotes or line breaks.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    arr = np.asarray(centers)
    if arr.ndim != 2 or arr.dtype.kind not in "biuf":
        raise InputError(f"{path}: centroids must be a 2-D array of numbers, "
                         f"got shape {arr.shape} and dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{path}: centroids contain NaN or infinity")
    if path.suffix.lower() == ".npy":
        if keys is not None:
            raise InputError(f"{path}: a .npy file holds no keys; write CSV to keep them")
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
        with atomic_write(path, "wb") as fh:
            fh.write(buf.getvalue())
        return path
    if keys is None:
        keys = _default_keys(arr.shape[0])
    keys = [str(key) for key in keys]
    if len(keys) != arr.shape[0]:
        raise InputError(f"{path}: {len(keys)} keys for {arr.shape[0]} centroids")
    for key in keys:
        if not key or any(ch in key for ch in ',"\r\n'):
            raise InputError(f"{path}: key {key!r} must be non-empty without commas, "
                             "quotes or line breaks")
    values = arr if arr.dtype in (np.float32, np.float64) else arr.astype(np.float64)
    # str() of a NumPy float is the shortest decimal that reads back to the same value.
    lines = [",".join([key, *(str(v) for v in row)]) for key, row in zip(keys, values)]
    write_text(path, "\n".join(lines) + ("\n" if lines else ""))
    return path


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def read_centroids(path, *, return_keys: bool = False):
    """Read centroids written by :func:`write_centroids` (or any CSV of one per line).

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file, or a CSV file (see the module documentation for the layout).
    return_keys : bool, default=False
        Also return the keys.

    Returns
    -------
    centers : ndarray of shape (k, n_features)
        float64 for CSV; the stored dtype for ``.npy``.
    keys : list of str
        Only if ``return_keys``: the key column, or ``centroid0 ..`` if the file has
        none (or is ``.npy``).

    Raises
    ------
    InputError
        The file is missing, empty, ragged, or holds something that is not a number.
    """
    path = Path(os.fspath(path))
    if not path.is_file():
        raise InputError(f"{path}: no such centroids file")
    if path.suffix.lower() == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise InputError(f"{path}: not a readable .npy array ({exc})") from exc
        if arr.ndim != 2 or arr.dtype.kind not in "biuf":
            raise InputError(f"{path}: expected a 2-D array of numbers, got shape "
                             f"{arr.shape} and dtype {arr.dtype}")
        return (arr, _default_keys(arr.shape[0])) if return_keys else arr

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read centroids ({exc})") from exc
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            rows.append((lineno, [f.strip() for f in line.split(",")]))
    if not rows:
        raise InputError(f"{path}: no centroids in the file")
    has_keys = not all(_is_number(fields[0]) for _, fields in rows)
    keys, values = [], []
    width = None
    for lineno, fields in rows:
        key = fields[0] if has_keys else f"centroid{len(keys)}"
        nums = fields[1:] if has_keys else fields
        if width is None:
            width = len(nums)
        if not nums:
            raise InputError(f"{path}, line {lineno}: no values after the key {key!r}")
        if len(nums) != width:
            raise InputError(f"{path}, line {lineno}: {len(nums)} values, expected "
                             f"{width} as on the first line")
        try:
            values.append([float(v) for v in nums])
        except ValueError:
            bad = next(v for v in nums if not _is_number(v))
            raise InputError(f"{path}, line {lineno}: {bad!r} is not a number") from None
        keys.append(key)
    arr = np.array(values, dtype=np.float64)
    return (arr, keys) if return_keys else arr

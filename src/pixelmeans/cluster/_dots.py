"""Dot products of raw rows with every centre: a gemm over the columns that are often
nonzero, one k-long multiply-add per nonzero entry over the others.

Images are mostly background (19 % of MNIST's pixels are nonzero). A gemm does every
multiply-add, zeros included, at the core's full speed; reading only the nonzero
entries skips the zeros, but a row of centres loaded for one entry serves no other
data row, so each of its multiply-adds costs several of a gemm's. Splitting the
columns by how often they are nonzero takes the better of both: the pixels nonzero in
about a third of the images or more go to the gemm, the others entry by entry
(:func:`column_split`). ``benchmarks/bench_dots.py`` measures the three ways.

The products are of the *raw* rows: shifting by the data mean (as the gemm on shifted
rows does, for accuracy) would make every entry nonzero. A caller turns them into
distances in shifted coordinates with ``offset_j = 2 shift . c_j`` and the error bars
of :func:`pixelmeans.cluster.kernels.nearest_of_row`. The sum order differs from a
plain gemm's, which the error bound of
:func:`~pixelmeans.cluster._common.dot_error_coef` allows (it holds for any order):
labels, decided exactly near ties, do not change.

This module is a leaf beside :mod:`._common`: the Lloyd and bound-based kernels import
it, it imports neither.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from pixelmeans.cluster._common import FASTMATH, dot_error_coef
from pixelmeans.cluster._rows import as_rows

__all__ = ["SPLIT_MIN_CLUSTERS", "add_row", "column_split", "raw_dot_args", "raw_split_dots"]

#: One multiply-add of the entry-by-entry part costs about this many of the gemm's
#: (at k = 256 on one core, InfiMNIST: the entries alone took 0.77 of the plain gemm's
#: time for 0.24 of its multiply-adds). A column goes to the gemm when it is nonzero
#: in at least ``1 / ENTRY_COST`` of the rows: there the gemm's ``k`` multiply-adds
#: per row cost less than ``ENTRY_COST * k`` per nonzero entry.
ENTRY_COST = 3.2

#: The split pays from about this many centres on; below, a row's gemm is short and
#: the per-entry overhead dominates. ``bench_dots.py`` on 50,000 InfiMNIST images, one
#: thread, split over plain gemm: k = 64 1.23, k = 100 0.91, k = 128 0.84, k = 256
#: 0.61, k = 512 0.50.
SPLIT_MIN_CLUSTERS = 128

#: Only data whose split is predicted to need at most this fraction of the plain
#: gemm's multiply-adds (in gemm units) leave the plain gemm: dense data never do.
MAX_SPLIT_WORK = 0.6


def column_split(X, n_clusters: int):
    """Which columns the dot products take by gemm and which entry by entry.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or RowSource
        The data; a fixed sample of about 1024 rows is read.
    n_clusters : int

    Returns
    -------
    (dense, sparse) or None
        Two sorted int64 arrays of column indices that together cover every column
        once (``dense`` may be empty), or None when the plain gemm on shifted rows is
        the faster way: fewer than :data:`SPLIT_MIN_CLUSTERS` centres, or data with
        too few zeros.
    """
    rows = as_rows(X)
    n, d = rows.shape
    if n_clusters < SPLIT_MIN_CLUSTERS or n * d == 0:
        return None
    sample = rows.sample(1024)
    nonzero = np.count_nonzero(sample, axis=0) / sample.shape[0]
    dense = nonzero * ENTRY_COST >= 1.0
    work = (np.count_nonzero(dense) + ENTRY_COST * nonzero[~dense].sum()) / d
    if work > MAX_SPLIT_WORK:
        return None
    return np.flatnonzero(dense).astype(np.int64), np.flatnonzero(~dense).astype(np.int64)


@njit(cache=True, fastmath=FASTMATH)
def add_row(w, x, acc):  # pragma: no cover
    """acc += w * x (in acc's dtype: float64 sums, or float32 dot products)."""
    for j in range(x.shape[0]):
        acc[j] += w * x[j]


@njit(cache=True, fastmath=FASTMATH)
def _add_scaled4(v0, r0, v1, r1, v2, r2, v3, r3, acc):  # pragma: no cover
    """acc += v0 r0 + v1 r1 + v2 r2 + v3 r3: a quarter of the accumulator's loads and
    stores of four calls to :func:`add_row`."""
    for q in range(acc.shape[0]):
        acc[q] += v0 * r0[q] + v1 * r1[q] + v2 * r2[q] + v3 * r3[q]


@njit(cache=True, fastmath=FASTMATH)
def raw_split_dots(X, rows, m, first, dense_cols, sparse_cols, dbuf, ct_dense, centers_t,
                   dots, xraw, idx, val):  # pragma: no cover
    """``dots[t, j] = x_t . c_j`` for the raw rows ``x_t = X[rows[t] - first]``, ``t < m``,
    and every centre; ``xraw[t] = ||x_t||^2`` (float64).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features), dtype uint8, float32 or float64
    rows : ndarray of shape (>= m,), dtype int64
    m, first : int
    dense_cols, sparse_cols : ndarray of dtype int64
        From :func:`column_split`.
    dbuf : ndarray of shape (chunk, len(dense_cols)), compute dtype
        Scratch for the dense columns of the rows (``chunk >= m``).
    ct_dense : ndarray of shape (len(dense_cols), k), compute dtype
        ``centers_t[dense_cols]``, C-contiguous.
    centers_t : ndarray of shape (n_features, k), compute dtype
        The centres' transpose (in whatever coordinates the caller chose).
    dots : ndarray of shape (chunk, k), compute dtype
        Output, rows ``:m``.
    xraw : ndarray of shape (chunk,), dtype float64
        Output, entries ``:m``.
    idx, val : ndarray of shape (n_features,), int64 and compute dtype
        Scratch for one row's nonzero entries.
    """
    n_dense = dense_cols.shape[0]
    dtype = centers_t.dtype.type
    for t in range(m):
        x = X[rows[t] - first]
        nrm = 0.0
        for c in range(n_dense):
            v = dtype(x[dense_cols[c]])
            dbuf[t, c] = v
            nrm += np.float64(v) * v
        xraw[t] = nrm
    if n_dense == 0:
        dots[:m] = 0
    elif m == dbuf.shape[0]:
        np.dot(dbuf, ct_dense, dots)
    else:
        dots[:m] = np.dot(dbuf[:m], ct_dense)
    for t in range(m):
        x = X[rows[t] - first]
        # Gather the nonzero entries without a branch per entry (a zero is written and
        # then overwritten): pixels are zero or not at random, and a branch on each
        # would be mispredicted often.
        nz = 0
        nrm = 0.0
        for c in range(sparse_cols.shape[0]):
            j = sparse_cols[c]
            v = dtype(x[j])
            idx[nz] = j
            val[nz] = v
            nz += v != 0
            nrm += np.float64(v) * v
        xraw[t] += nrm
        acc = dots[t]
        p = 0
        while p + 4 <= nz:
            _add_scaled4(val[p], centers_t[idx[p]], val[p + 1], centers_t[idx[p + 1]],
                         val[p + 2], centers_t[idx[p + 2]], val[p + 3], centers_t[idx[p + 3]],
                         acc)
            p += 4
        while p < nz:
            add_row(val[p], centers_t[idx[p]], acc)
            p += 1


def raw_dot_args(split, shift, shifted, shifted_t, cnorm):
    """What a compiled step kernel takes for one step's dot products.

    Parameters
    ----------
    split : (dense, sparse) or None
        From :func:`column_split`; None for the plain gemm on shifted rows.
    shift : ndarray of shape (n_features,)
    shifted, shifted_t : ndarray of shape (k, n_features) and its transpose
        The centres in shifted coordinates, compute dtype.
    cnorm : ndarray of shape (k,), dtype float64
        Their norms.

    Returns
    -------
    raw : bool
        Whether the products are of raw rows (:func:`raw_split_dots`).
    dense_cols, sparse_cols : ndarray of dtype int64
    ct_dense : ndarray of shape (len(dense_cols), k)
    offset, off_err : ndarray of shape (k,), dtype float64
        ``offset_j = 2 shift . c_j`` and its error bound: a raw product turns into
        ``||c_j||^2 + offset_j - 2 x.c_j = ||x - c_j||^2 - ||x||^2`` in shifted
        coordinates. Zeros for the plain gemm.
    """
    k = shifted.shape[0]
    if split is None:
        empty = np.empty(0, dtype=np.int64)
        return (False, empty, empty, np.empty((0, k), dtype=shifted.dtype), np.zeros(k),
                np.zeros(k))
    dense, sparse = split
    s64 = shift.astype(np.float64)
    offset = 2.0 * (shifted.astype(np.float64) @ s64)
    off_err = 2.0 * dot_error_coef(shifted.shape[1], np.float64) * np.sqrt(s64 @ s64) * cnorm
    return True, dense, sparse, np.ascontiguousarray(shifted_t[dense]), offset, off_err

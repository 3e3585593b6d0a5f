"""The exhaustive (Lloyd) step kernel, and the E-step and data-shift functions built on it.

Everything here takes plain arrays that the public edge has already validated; nothing
checks its input. The estimator never calls a compiled kernel directly: it goes through
a *step kernel* object whose one method does one fused E-step plus the sums the M-step
needs. :class:`LloydKernel` here compares every point with every centre; the
bound-based kernels of :mod:`pixelmeans.cluster.bounds` (Hamerly, Yinyang, Elkan) keep
the same :meth:`LloydKernel.step` contract and skip most distances;
:mod:`pixelmeans.cluster.lloyd` names them all and chooses one. The primitives they
share (chunks and blocks, the shift of a row, the canonical distance
:func:`~pixelmeans.cluster._common.exact_sqdist` and the error bars of the gemm
distances) and the numerics behind them are in :mod:`pixelmeans.cluster._common`; the
dot products of raw rows split by columns, for mostly-zero images and many centres,
in :mod:`pixelmeans.cluster._dots`.

Besides the kernel: :func:`labels_inertia` (``predict``, ``score`` and a fit's final
labels), :func:`squared_distances` (``transform``), and the shift a fit or a
prediction subtracts from the data (:func:`data_shift`, :func:`default_shift`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from pixelmeans.cluster._common import (
    FASTMATH,
    REL_SLACK,
    StepSums,
    block_bounds,
    center_norms,
    chunk_rows,
    exact_sqdist,
    hold_data,
    n_blocks,
    parallel_worth_it,
    prepare_centers,
    shift_row,
    shift_row_only,
)
from pixelmeans.cluster._dots import add_row, column_split, raw_dot_args, raw_split_dots
from pixelmeans.cluster._rows import as_rows, for_each_round
from pixelmeans.cluster._threads import blas_single_thread

__all__ = [
    "LloydKernel",
    "column_stats",
    "compute_dtype",
    "labels_inertia",
    "squared_distances",
]


def compute_dtype(dtype) -> np.dtype:
    """The float dtype a kernel computes in for data of ``dtype``.

    float32 and uint8 compute in float32; everything else in float64.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float32 or dtype == np.uint8:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


# ---------------------------------------------------------------------------
# compiled kernels


# Each kernel is a serial *block* function (rows r0:r1, chunk by chunk, writing its
# own slot of the partial results) and a parallel driver running the blocks with
# prange. Small problems run the same blocks in a Python loop instead: a parallel
# launch costs more than they do when the cores are busy. Both paths use the same
# blocks and reduce them in the same order, so they give identical results.


@njit(cache=True, fastmath=FASTMATH)
def _shifted_dots(X, s, m, shift, buf, xsq, centers_t, dots):  # pragma: no cover
    """Rows ``s:s+m`` of X shifted into ``buf`` (squared norms into ``xsq``) and their
    dot products with every centre into ``dots[:m]``: one gemm per chunk."""
    for i in range(m):
        xsq[i] = shift_row(X[s + i], shift, buf[i])
    if m == buf.shape[0]:
        np.dot(buf, centers_t, dots)
    else:
        dots[:m] = np.dot(buf[:m], centers_t)


@njit(cache=True, fastmath=FASTMATH)
def nearest_of_row(row, xnorm, enorm, dots_row, centers, csq, offset, off_err, cnorm,
                   err_coef, raw=None, shift=None):  # pragma: no cover
    """Nearest centre of one shifted row from its dot products, exact near ties.

    ``v_j = ||c_j||^2 + offset_j - 2 dots_j`` (float64) is ``||x - c_j||^2 - ||x||^2``.
    From a gemm on the shifted row, ``offset = 0`` and ``enorm = ||x||``; from the
    raw row ``x + shift``, ``offset_j = 2 shift.c_j`` (within ``off_err_j``) and
    ``enorm = ||x + shift||``. Either way ``v_j`` is within
    ``e_j = 2 err_coef enorm ||c_j|| + off_err_j`` (+ slack) of the exact value,
    whatever order the products were summed in. Every centre whose interval reaches
    the best one's is compared again with :func:`exact_sqdist`; the first index wins
    exact ties. The result is the canonical nearest centre, whatever computed
    ``dots_row``. With ``raw`` and ``shift`` given, ``row`` is only a buffer, filled
    with ``raw - shift`` if a near tie needs it.
    """
    k = csq.shape[0]
    best = 0
    bv = csq[0] + offset[0] - 2.0 * np.float64(dots_row[0])
    for j in range(1, k):
        v = csq[j] + offset[j] - 2.0 * np.float64(dots_row[j])
        if v < bv:
            bv = v
            best = j
    slack = REL_SLACK * (xnorm * xnorm + enorm * enorm)
    reach = (bv + 2.0 * err_coef * enorm * cnorm[best] + off_err[best]
             + REL_SLACK * csq[best] + slack)
    n_close = 0
    for j in range(k):
        v = csq[j] + offset[j] - 2.0 * np.float64(dots_row[j])
        if (v - 2.0 * err_coef * enorm * cnorm[j] - off_err[j] - REL_SLACK * csq[j]
                - slack <= reach):
            n_close += 1
    if n_close == 1:
        return best
    if raw is not None:
        shift_row_only(raw, shift, row)
    best = -1
    bd = np.inf
    for j in range(k):
        v = csq[j] + offset[j] - 2.0 * np.float64(dots_row[j])
        if (v - 2.0 * err_coef * enorm * cnorm[j] - off_err[j] - REL_SLACK * csq[j]
                - slack <= reach):
            e = exact_sqdist(row, centers[j])
            if e < bd:
                bd = e
                best = j
    return best


@njit(cache=True, fastmath=FASTMATH, nogil=True)
def _lloyd_block(X, shift, weights, centers, centers_t, csq, cnorm, err_coef, offset, off_err,
                 raw, dense_cols, sparse_cols, ct_dense, labels, sqdist, sums, weight_sums, r0,
                 r1, chunk, want_sqdist, want_sums):  # pragma: no cover
    # Rows r0:r1 of the data; row i is X[i - r0] (X holds only these rows). Adds to
    # sums and weight_sums (zeroed by the caller), so that a block can come in pieces.
    # raw: dot products of the raw rows split by columns (pixelmeans.cluster._dots),
    # else one gemm per chunk on the shifted rows.
    d = X.shape[1]
    k = centers.shape[0]
    buf = np.empty((chunk, d), dtype=centers.dtype)
    dots = np.empty((chunk, k), dtype=centers.dtype)
    xsq = np.empty(chunk)
    xraw = np.empty(chunk)
    rows = np.empty(chunk, dtype=np.int64)
    dbuf = np.empty((chunk if raw else 0, dense_cols.shape[0]), dtype=centers.dtype)
    idx = np.empty(d if raw else 0, dtype=np.int64)
    val = np.empty(d if raw else 0, dtype=centers.dtype)
    n_changed = 0
    # Labels alone from raw rows need no shifted copy (near ties make their own).
    lazy = raw and not (want_sqdist or want_sums)
    for s in range(r0, r1, chunk):
        m = min(r1, s + chunk) - s
        ls = s - r0
        if raw:
            for i in range(m):
                rows[i] = ls + i
            raw_split_dots(X, rows, m, 0, dense_cols, sparse_cols, dbuf, ct_dense, centers_t,
                           dots, xraw, idx, val)
            if lazy:
                xsq[:m] = xraw[:m]
            else:
                for i in range(m):
                    xsq[i] = shift_row(X[ls + i], shift, buf[i])
        else:
            _shifted_dots(X, ls, m, shift, buf, xsq, centers_t, dots)
        for i in range(m):
            if not np.isfinite(xsq[i]):  # NaN or infinity in the row: no nearest centre
                n_changed += labels[s + i] != -1
                labels[s + i] = -1
                continue
            xnorm = np.sqrt(xsq[i])
            enorm = np.sqrt(xraw[i]) if raw else xnorm
            if lazy:
                lab = nearest_of_row(buf[i], xnorm, enorm, dots[i], centers, csq, offset,
                                     off_err, cnorm, err_coef, X[ls + i], shift)
            else:
                lab = nearest_of_row(buf[i], xnorm, enorm, dots[i], centers, csq, offset,
                                     off_err, cnorm, err_coef)
            if labels[s + i] != lab:
                n_changed += 1
                labels[s + i] = lab
            if want_sqdist:
                sqdist[s + i] = exact_sqdist(buf[i], centers[lab])
            if want_sums:
                w = weights[s + i]
                weight_sums[lab] += w
                add_row(w, buf[i], sums[lab])
    return n_changed


@njit(parallel=True, cache=True, fastmath=FASTMATH, nogil=True)
def _lloyd_parallel(pieces, blocks, r0, r1, shift, weights, centers, centers_t, csq, cnorm,
                    err_coef, offset, off_err, raw, dense_cols, sparse_cols, ct_dense, labels,
                    sqdist, sums, weight_sums, changed, chunk, want_sqdist,
                    want_sums):  # pragma: no cover
    # One round of pieces (see pixelmeans.cluster._rows): each block at most once.
    for p in prange(blocks.shape[0]):
        b = blocks[p]
        bs = b if want_sums else np.int64(0)
        changed[b] += _lloyd_block(pieces[np.int64(p)], shift, weights, centers, centers_t, csq, cnorm,
                                   err_coef, offset, off_err, raw, dense_cols, sparse_cols,
                                   ct_dense, labels, sqdist, sums[bs],
                                   weight_sums[bs], r0[p], r1[p], chunk, want_sqdist, want_sums)


@njit(cache=True, fastmath=FASTMATH, nogil=True)
def _sqdist_block(X, shift, centers_t, centers_sqnorm, out, r0, r1, chunk):  # pragma: no cover
    # Rows r0:r1 of the data (row i is X[i - r0]) into rows r0:r1 of out.
    d = X.shape[1]
    k = centers_t.shape[1]
    buf = np.empty((chunk, d), dtype=centers_t.dtype)
    dots = np.empty((chunk, k), dtype=centers_t.dtype)
    xsq = np.empty(chunk)
    for s in range(r0, r1, chunk):
        m = min(r1, s + chunk) - s
        _shifted_dots(X, s - r0, m, shift, buf, xsq, centers_t, dots)
        for i in range(m):
            for j in range(k):
                v = xsq[i] + centers_sqnorm[j] - 2.0 * dots[i, j]
                out[s + i, j] = v if v > 0.0 else 0.0


@njit(parallel=True, cache=True, fastmath=FASTMATH, nogil=True)
def _sqdist_parallel(pieces, blocks, r0, r1, shift, centers_t, centers_sqnorm, out,
                     chunk):  # pragma: no cover
    for p in prange(blocks.shape[0]):
        _sqdist_block(pieces[np.int64(p)], shift, centers_t, centers_sqnorm, out, r0[p], r1[p], chunk)


@njit(cache=True, nogil=True)
def _column_block(X, center, s1, s2, lo, hi):  # pragma: no cover
    # Adds the column sums of (x - center) and (x - center)^2 of the rows of X to s1
    # and s2, and takes their minimum and maximum into lo and hi.
    d = X.shape[1]
    for r in range(X.shape[0]):
        for j in range(d):
            x = np.float64(X[r, j])
            v = x - center[j]
            s1[j] += v
            s2[j] += v * v
            lo[j] = min(lo[j], x)
            hi[j] = max(hi[j], x)


@njit(parallel=True, cache=True, nogil=True)
def _column_parallel(pieces, blocks, center, s1, s2, lo, hi):  # pragma: no cover
    for p in prange(blocks.shape[0]):
        b = blocks[p]
        _column_block(pieces[np.int64(p)], center, s1[b], s2[b], lo[b], hi[b])


# ---------------------------------------------------------------------------
# thin Python wrappers (array in, array out)


def column_stats(X):
    """Per-feature mean, variance, minimum and maximum of ``X``, without a float copy.

    Two chunked passes (mean, then squared deviations from it) with float64
    accumulation.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64, or RowSource
        C-contiguous data, or rows read chunk by chunk.

    Returns
    -------
    mean, var, minimum, maximum : ndarray of shape (n_features,), dtype float64
        ``var`` is the population variance (``ddof=0``), as ``np.var``.
    """
    rows = as_rows(X)
    n, d = rows.shape
    chunk = chunk_rows(d, 8)
    nb = n_blocks(n, 1, d, chunk)
    bounds = block_bounds(n, nb, chunk)
    s1, s2, lo, hi = (np.empty((nb, d)) for _ in range(4))

    def run(center):
        s1[:] = 0.0
        s2[:] = 0.0
        lo[:] = np.inf
        hi[:] = -np.inf
        for_each_round(
            rows, bounds, parallel_worth_it(n, d, 1, nb),
            lambda pieces, blocks, r0, r1: _column_parallel(pieces, blocks, center, s1, s2, lo, hi),
            lambda piece, b, r0, r1: _column_block(piece, center, s1[b], s2[b], lo[b], hi[b]))

    run(np.zeros(d))
    mean = s1.sum(axis=0) / n
    run(mean)
    dev = s1.sum(axis=0)
    # Corrected two-pass variance: the second term removes the rounding left in `mean`.
    var = (s2.sum(axis=0) - dev * dev / n) / n
    np.maximum(var, 0.0, out=var)
    return mean + dev / n, var, lo.min(axis=0), hi.max(axis=0)


def round_shift(mean: np.ndarray, scale: np.ndarray, dtype) -> np.ndarray:
    """A shift close to ``mean`` with few significant bits, in ``dtype``.

    Each component is rounded to a multiple of ``2**(ceil(log2(scale_j)) - 10)``
    (``scale_j``: the largest absolute value of feature j). That still removes the
    cancellation the shift is for, and it makes ``x - shift`` exact for data on a
    grid (integers, pixels 0..255, halves...): distances that tie exactly in the
    data's coordinates then tie exactly in the kernels' too, and the first centre
    wins, as documented.
    """
    scale = np.maximum(np.abs(np.asarray(scale, dtype=np.float64)), np.finfo(np.float64).tiny)
    q = np.exp2(np.ceil(np.log2(scale)) - 10)
    return (np.round(np.asarray(mean, dtype=np.float64) / q) * q).astype(dtype)


def data_shift(X: np.ndarray, dtype):
    """The shift a fit subtracts from ``X``: its column means, rounded by
    :func:`round_shift` to the scale of each column.

    Returns ``(shift, var, minimum, maximum)``: the shift in ``dtype`` and the
    per-feature statistics of :func:`column_stats` it came from (float64).
    """
    mean, var, lo, hi = column_stats(X)
    return round_shift(mean, np.maximum(np.abs(lo), np.abs(hi)), dtype), var, lo, hi


def default_shift(centers: np.ndarray, dtype) -> np.ndarray:
    """The shift used outside fitting: the (rounded) mean of the centres, in ``dtype``.

    It depends on the centres only, so predicting a row never depends on which other
    rows came with it.
    """
    c = np.asarray(centers, dtype=np.float64)
    if c.shape[0] == 0:
        return np.zeros(c.shape[1], dtype=dtype)
    return round_shift(c.mean(axis=0), np.abs(c).max(axis=0), dtype)


def squared_distances(X: np.ndarray, centers: np.ndarray, *, shift: np.ndarray | None = None,
                      dtype=None) -> np.ndarray:
    """Squared Euclidean distances between every row of ``X`` and every centre.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64
        C-contiguous data.
    centers : ndarray of shape (n_clusters, n_features)
        Centres, in the same coordinates as ``X``.
    shift : ndarray of shape (n_features,), optional
        Subtracted from both sides before the product (accuracy only). Default: the
        mean of ``centers``.
    dtype : {float32, float64}, optional
        Compute and output dtype. Default: ``compute_dtype`` of ``X`` and ``centers``.

    Returns
    -------
    ndarray of shape (n_samples, n_clusters), dtype ``dtype``
        Clipped at 0 (the product trick can round slightly below).
    """
    if dtype is None:
        dtype = np.result_type(compute_dtype(X.dtype), compute_dtype(centers.dtype))
    dtype = np.dtype(dtype)
    if shift is None:
        shift = default_shift(centers, dtype)
    shift = np.ascontiguousarray(shift, dtype=dtype)
    shifted = np.asarray(centers, dtype=np.float64) - shift
    _, centers_t, sqnorm = prepare_centers(shifted, dtype)
    rows = as_rows(X)
    n, d = rows.shape
    out = np.empty((n, centers_t.shape[1]), dtype=dtype)
    if n == 0:
        return out
    k = centers_t.shape[1]
    chunk = chunk_rows(d, dtype.itemsize)
    nb = n_blocks(n, 1, d, chunk)
    bounds = block_bounds(n, nb, chunk)
    with blas_single_thread():
        for_each_round(
            rows, bounds, parallel_worth_it(n, d, k, nb),
            lambda pieces, blocks, r0, r1: _sqdist_parallel(pieces, blocks, r0, r1, shift,
                                                            centers_t, sqnorm, out, chunk),
            lambda piece, b, r0, r1: _sqdist_block(piece, shift, centers_t, sqnorm, out, r0, r1,
                                                   chunk))
    return out


def labels_inertia(X: np.ndarray, centers: np.ndarray, sample_weight: np.ndarray | None = None,
                   *, return_inertia: bool = True):
    """E-step: the nearest centre of every row of ``X`` and, optionally, the inertia.

    This is what ``predict`` and ``score`` do and what a fit does after its last
    step, so that ``labels_`` equals ``predict`` on the training data bit for bit.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64
        C-contiguous data.
    centers : ndarray of shape (n_clusters, n_features)
        Centres in the coordinates of ``X``.
    sample_weight : ndarray of shape (n_samples,), dtype float64, optional
        Weights for the inertia. Default: all ones.
    return_inertia : bool, default=True
        Also return the inertia.

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int32
        Index of the nearest centre (the first one on exact ties); -1 for a row whose
        squared norm is not finite (NaN or infinity in it), so that a caller can
        leave the finiteness check of ``X`` to this one pass over the data.
    inertia : float
        ``sum(w * ||x - c_label||^2)``, accumulated in float64. Only if
        ``return_inertia``.
    """
    X = as_rows(X)
    dtype = np.result_type(compute_dtype(X.dtype), compute_dtype(centers.dtype))
    shift = default_shift(centers, dtype)
    n = X.shape[0]
    if sample_weight is None:
        sample_weight = np.ones(n)
    kernel = LloydKernel(X, sample_weight, shift, n_clusters=centers.shape[0], dtype=dtype)
    labels = np.full(n, -1, dtype=np.int32)
    shifted = np.asarray(centers, dtype=np.float64) - shift
    res = kernel.step(shifted.astype(dtype), labels, want_sums=False, want_sqdist=return_inertia)
    if return_inertia:
        return labels, res.inertia
    return labels


class LloydKernel:
    """The exhaustive (Lloyd) step kernel: every point against every centre, each step.

    Holds the buffers of one fit so that steps allocate nothing of size ``n * d``.

    The step-kernel contract (what :func:`pixelmeans.cluster.lloyd.kmeans_single`
    relies on, and what a faster exact kernel must keep): ``kernel(X, sample_weight,
    shift, n_clusters, dtype)`` builds it; ``step(centers, labels, want_sums=...,
    want_sqdist=...)`` assigns every point to its nearest centre (the first on exact
    ties), updates ``labels`` in place and returns a :class:`StepSums`; the centres
    passed to successive calls are the previous ones moved (or, after
    ``drop(keep)`` was called, their surviving rows moved), so a kernel may keep
    per-point bounds between calls.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64, or RowSource
        C-contiguous data, never modified or copied, or rows read chunk by chunk
        (:mod:`pixelmeans.cluster._rows`).
    sample_weight : ndarray of shape (n_samples,), dtype float64
    shift : ndarray of shape (n_features,), dtype ``dtype``
        Subtracted from every row before any arithmetic; centres passed to
        :meth:`step` are in these shifted coordinates.
    n_clusters : int
        Initial number of centres (the buffers shrink when centres are dropped).
    dtype : {float32, float64}
        Compute dtype; centres passed to :meth:`step` have it.
    """

    def __init__(self, X, sample_weight, shift, n_clusters, dtype):
        hold_data(self, X, sample_weight, shift, dtype)
        self.split = column_split(X, n_clusters)
        self._alloc(n_clusters)

    def _alloc(self, k):
        n, d = self.X.shape
        self.n_blocks = n_blocks(n, k, d, self.chunk)
        self.bounds = block_bounds(n, self.n_blocks, self.chunk)
        self._sums = self._weight_sums = None  # allocated by the first step that sums
        self._changed = np.zeros(self.n_blocks, dtype=np.int64)
        self._k = k

    def drop(self, keep):
        """Centres ``~keep`` were removed; the next step gets only the kept rows.

        Lloyd keeps no per-centre state, so this only resizes buffers (lazily).
        """

    def step(self, centers, labels, *, want_sums=True, want_sqdist=True) -> StepSums:
        """One E-step against ``centers``, fused with the sums of the M-step.

        Parameters
        ----------
        centers : ndarray of shape (k, n_features), dtype ``self.dtype``
            Centres in shifted coordinates.
        labels : ndarray of shape (n_samples,), dtype int32
            Previous labels (or -1); overwritten with the new ones.
        want_sums, want_sqdist : bool
            Skip the per-cluster sums / the exact distances when not needed.

        Returns
        -------
        StepSums
        """
        k = centers.shape[0]
        if k != self._k:
            self._alloc(k)
        if self.X.shape[0] == 0:
            return StepSums(0, 0.0, self.sqdist, np.zeros((k, self.X.shape[1])), np.zeros(k))
        shifted, shifted_t, _ = prepare_centers(centers, self.dtype)
        csq, cnorm = center_norms(shifted)
        raw, dense_cols, sparse_cols, ct_dense, offset, off_err = raw_dot_args(
            self.split, self.shift, shifted, shifted_t, cnorm)
        if want_sums:
            if self._sums is None:
                self._sums = np.zeros((self.n_blocks, k, self.X.shape[1]))
                self._weight_sums = np.zeros((self.n_blocks, k))
            sums, weight_sums = self._sums, self._weight_sums
            sums[:] = 0.0
            weight_sums[:] = 0.0
        else:  # placeholders of the same types (no recompilation), never written
            sums, weight_sums = np.zeros((1, 1, 1)), np.zeros((1, 1))
        n, d = self.X.shape
        args = (self.shift, self.sample_weight, shifted, shifted_t, csq, cnorm,
                self.err_coef, offset, off_err, raw, dense_cols, sparse_cols, ct_dense, labels,
                self.sqdist)
        changed = self._changed
        changed[:] = 0

        def run_parallel(pieces, blocks, r0, r1):
            _lloyd_parallel(pieces, blocks, r0, r1, *args, sums, weight_sums, changed,
                            self.chunk, want_sqdist, want_sums)

        def run_block(piece, b, r0, r1):
            bs = b if want_sums else 0
            changed[b] += _lloyd_block(piece, *args, sums[bs], weight_sums[bs], r0, r1,
                                       self.chunk, want_sqdist, want_sums)

        with blas_single_thread():
            for_each_round(self.X, self.bounds, parallel_worth_it(n, d, k, self.n_blocks),
                           run_parallel, run_block)
        inertia = float(self.sqdist @ self.sample_weight) if want_sqdist else float("nan")
        if want_sums:
            sums = self._sums.sum(axis=0)
            weight_sums = self._weight_sums.sum(axis=0)
        else:
            sums = weight_sums = None
        return StepSums(int(self._changed.sum()), inertia, self.sqdist, sums, weight_sums)


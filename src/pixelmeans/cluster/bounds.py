"""Exact k-means steps that skip most distance computations: Hamerly, Yinyang, Elkan.

One kernel class, :class:`BoundedKernel`, keeps for every point an upper bound on
its distance to its own centre and, for each of ``G`` *groups* of centres, a lower
bound on its distance to every other centre of the group (Ding et al. 2015,
"Yinyang K-means"). When the centres move by ``delta_j``, the triangle inequality
keeps the bounds valid: ``upper += delta_a``, ``lower_g -= max_{j in g} delta_j``.
A point whose upper bound is below all its lower bounds (or below half the distance
from its centre to the nearest other centre, Hamerly's test) cannot change label,
and is not even read. The number of groups picks the algorithm:

* ``G = 1``: Hamerly (one lower bound per point), best for small k;
* ``G ~ k / 10``: Yinyang, for larger k (``n x G`` float32 bounds);
* ``G = k``: Elkan (one lower bound per point and centre, ``n x k`` float32, as
  scikit-learn's "elkan").

Exactness. The labels are the canonical nearest centres (exact float64 comparison
near ties, first index on exact ties; see :mod:`pixelmeans.cluster._common`), the
same as the Lloyd kernel's, step after step:

* distances are computed as ``||x||^2 + ||c||^2 - 2 x.c`` with the product in the
  compute dtype (a gemm for many points, a dot for one), and carry a rigorous
  error bar (:func:`~pixelmeans.cluster._common.dot_error_coef`): bounds use the
  outer ends of the bars, and a label is decided by
  :func:`~pixelmeans.cluster._common.exact_sqdist` whenever two bars overlap;
* bounds are stored in float32, rounded outwards (``upper`` up, ``lower`` down);
  centre moves are float64 and rounded up; every pruning test is strict.

Incremental sums. Only points that change label change the per-cluster sums, so a
step adds ``w x`` to the new cluster's sum and removes it from the old one, instead
of summing all points again: late steps read only the few points that move. The
deltas are accumulated per block of rows (blocks depend on the data shape only) and
added in block order, so results do not depend on the number of threads. The sums
of the first step are computed from scratch exactly as the Lloyd kernel does; later
ones differ from a fresh sum by float64 rounding only.

When the bounds stop paying (many points near the boundary, typically the first
steps), a chunk of rows gathers its undecided points and computes their distances
to all centres with one gemm, which also gives them fresh, tight bounds.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from pixelmeans.cluster._common import (
    FASTMATH,
    REL_SLACK,
    StepSums,
    block_bounds,
    center_norms,
    dot_error_coef,
    exact_sqdist,
    hold_data,
    n_blocks,
    parallel_worth_it,
    prepare_centers,
    shift_row,
    shift_row_only,
)
from pixelmeans.cluster._dots import column_split, raw_dot_args, raw_split_dots
from pixelmeans.cluster._rows import for_each_round
from pixelmeans.cluster._threads import blas_single_thread

__all__ = ["BoundedKernel", "ElkanKernel", "HamerlyKernel", "YinyangKernel", "yinyang_groups"]

# Bounds are stored in float32; every stored value is moved outwards by this factor
# (far more than float32's 2**-24 rounding).
_UP = 1.0 + 2.0**-20
_DOWN = 1.0 - 2.0**-20
# Centre moves are float64; make them a little larger than computed.
_DRIFT_UP = 1.0 + 1e-12

#: A chunk computes its undecided points with one gemm against all centres when
#: ``GEMM_RATIO * (dot products the bounds would need) >= n_undecided * k``: one
#: distance inside a gemm costs about 1/GEMM_RATIO of a lone dot product, and the gemm
#: leaves every group's bound of these points tight, which makes the next steps cheaper.
GEMM_RATIO = 5.0
#: The same with the products split by columns (:mod:`pixelmeans.cluster._dots`), whose
#: distances cost less. ``benchmarks/bench_dots.py``, 20 Yinyang steps on 200,000
#: InfiMNIST images at k = 256: the split at ratio 5 took 0.84 of the plain gemm's
#: time, at ratio 8 0.77.
SPLIT_GEMM_RATIO = 8.0


@njit(cache=True, fastmath=FASTMATH)
def _dot(a, b):  # pragma: no cover
    """x.y in the dtype of the rows (any summation order: the error bound allows it)."""
    acc = a[0] * b[0]
    for j in range(1, a.shape[0]):
        acc += a[j] * b[j]
    return acc


@njit(cache=True)
def _store_up(v):  # pragma: no cover
    return np.float32(v * _UP)


@njit(cache=True)
def _store_down(v):  # pragma: no cover
    if v > 0.0:
        return np.float32(v * _DOWN)
    return np.float32(v)


@njit(cache=True)
def _moved_lower(lower_row, gdrift, glow):  # pragma: no cover
    """The point's group lower bounds after the groups moved, into ``glow``; returns
    the smallest (float64, the bounds are stored in float32)."""
    glb = np.inf
    for g in range(lower_row.shape[0]):
        v = np.float64(lower_row[g]) - gdrift[g]
        glow[g] = v
        if v < glb:
            glb = v
    return glb


@njit(cache=True)
def _store_bounds(upper, lower_row, i, u, glow):  # pragma: no cover
    """Keep the moved bounds of a point whose label they decided, rounded outwards."""
    upper[i] = _store_up(u)
    for g in range(lower_row.shape[0]):
        lower_row[g] = _store_down(glow[g])


@njit(cache=True, fastmath=FASTMATH, nogil=True)
def _bounded_block(X, shift, weights, centers, centers_t, csq, cnorm, err_coef, raw, dense_cols,
                   sparse_cols, ct_dense, offset, off_err, drift, gdrift, half_sep, group_of,
                   gstart, gmembers, xsq, upper, lower, labels, dsums, dw, touched, sqdist, r0,
                   r1, chunk, full, gemm_ratio, want_sums, want_sqdist):  # pragma: no cover
    """Rows ``r0:r1`` of a block (row ``i`` is ``X[i - r0]``: X holds only these rows):
    bounds, assignment, sum deltas (added to ``dsums``, ``dw``). Returns #changed.

    ``raw``: the gemm of phase B1 is of raw rows split by columns
    (:mod:`pixelmeans.cluster._dots`; ``offset``, ``off_err`` turn its products into
    distances), else of the shifted rows."""
    d = X.shape[1]
    k = centers.shape[0]
    G = gstart.shape[0] - 1
    dtype = centers.dtype
    buf = np.empty((chunk, d), dtype=dtype)
    dots = np.empty((chunk, k), dtype=dtype)
    act = np.empty(chunk, dtype=np.int64)
    act_xsq = np.empty(chunk)
    act_raw = np.empty(chunk)
    dbuf = np.empty((chunk if raw else 0, dense_cols.shape[0]), dtype=dtype)
    idx = np.empty(d if raw else 0, dtype=np.int64)
    val = np.empty(d if raw else 0, dtype=dtype)
    glow = np.empty(G)
    newlow = np.empty(G)
    m1 = np.empty(G)
    m1j = np.empty(G, dtype=np.int64)
    m2 = np.empty(G)
    is_cand = np.empty(G, dtype=np.bool_)
    cj = np.empty(k, dtype=np.int64)
    ce = np.empty(k)
    cr = np.empty(k)
    est = np.empty(k)
    err = np.empty(k)
    n_changed = 0

    for s in range(r0, r1, chunk):
        m = min(r1, s + chunk) - s
        # ---- phase A: move the bounds, keep the points they cannot decide
        n_act = 0
        cost = 0
        for ii in range(m):
            i = s + ii
            if full:
                act[n_act] = i
                n_act += 1
                continue
            a = labels[i]
            u = np.float64(upper[i]) + drift[a]
            glb = _moved_lower(lower[i], gdrift, glow)
            thr = glb if glb > half_sep[a] else half_sep[a]
            if u < thr:
                _store_bounds(upper, lower[i], i, u, glow)
                continue
            act[n_act] = i
            n_act += 1
            c = 1
            for g in range(G):
                if glow[g] <= u:
                    c += gstart[g + 1] - gstart[g]
            cost += c
        if n_act == 0:
            pass
        elif full or gemm_ratio * cost >= n_act * k:
            # ---- phase B1: one gemm for the undecided rows against all centres
            for t in range(n_act):
                act_xsq[t] = shift_row(X[act[t] - r0], shift, buf[t])
            if raw:
                raw_split_dots(X, act, n_act, r0, dense_cols, sparse_cols, dbuf, ct_dense,
                               centers_t, dots, act_raw, idx, val)
            elif n_act == chunk:
                np.dot(buf, centers_t, dots)
            else:
                dots[:n_act] = np.dot(buf[:n_act], centers_t)
            for t in range(n_act):
                i = act[t]
                xs = act_xsq[t]
                if full:
                    xsq[i] = xs
                # the error bars of pixelmeans.cluster.kernels.nearest_of_row
                if raw:
                    en = np.sqrt(act_raw[t])
                    slack = REL_SLACK * (xs + act_raw[t])
                else:
                    en = np.sqrt(xs)
                    slack = REL_SLACK * xs
                b = 0
                for j in range(k):
                    e = xs + csq[j] + offset[j] - 2.0 * np.float64(dots[t, j])
                    est[j] = e
                    err[j] = (2.0 * err_coef * en * cnorm[j] + off_err[j] + REL_SLACK * csq[j]
                              + slack)
                    if e < est[b]:
                        b = j
                reach = est[b] + err[b]
                n_close = 0
                for j in range(k):
                    if est[j] - err[j] <= reach:
                        n_close += 1
                if n_close > 1:
                    bd = np.inf
                    for j in range(k):
                        if est[j] - err[j] <= reach:
                            e = exact_sqdist(buf[t], centers[j])
                            if e < bd:
                                bd = e
                                b = j
                for g in range(G):
                    newlow[g] = np.inf
                for j in range(k):
                    if j != b:
                        v = est[j] - err[j]
                        g = group_of[j]
                        if v < newlow[g]:
                            newlow[g] = v
                for g in range(G):
                    v = newlow[g]
                    lower[i, g] = _store_down(np.sqrt(v) if v > 0.0 else 0.0) if v < np.inf \
                        else np.float32(np.inf)
                upper[i] = _store_up(np.sqrt(est[b] + err[b]))
                a = labels[i]
                if a != b:
                    n_changed += 1
                    labels[i] = b
                if want_sums and (full or a != b):
                    w = weights[i]
                    if not full:
                        dw[a] -= w
                        touched[a] = 1
                        for q in range(d):
                            dsums[a, q] -= w * buf[t, q]
                    dw[b] += w
                    touched[b] = 1
                    for q in range(d):
                        dsums[b, q] += w * buf[t, q]
        else:
            # ---- phase B2: point by point, only the centres the bounds allow
            for t in range(n_act):
                i = act[t]
                row = buf[t]
                shift_row_only(X[i - r0], shift, row)
                xs = xsq[i]
                xn = np.sqrt(xs)
                slack = REL_SLACK * xs
                a = labels[i]
                ea = xs + csq[a] - 2.0 * np.float64(_dot(row, centers[a]))
                ra = 2.0 * err_coef * xn * cnorm[a] + REL_SLACK * csq[a] + slack
                u = np.sqrt(ea + ra)
                glb = _moved_lower(lower[i], gdrift, glow)
                thr = glb if glb > half_sep[a] else half_sep[a]
                if u < thr:
                    _store_bounds(upper, lower[i], i, u, glow)
                    continue
                nc = 1
                cj[0] = a
                ce[0] = ea
                cr[0] = ra
                best_hi = u
                for g in range(G):
                    if glow[g] > best_hi:
                        is_cand[g] = False
                        continue
                    is_cand[g] = True
                    m1[g] = np.inf
                    m2[g] = np.inf
                    m1j[g] = -1
                    lold = np.float64(lower[i, g])
                    for p in range(gstart[g], gstart[g + 1]):
                        j = gmembers[p]
                        if j == a:
                            continue
                        lb = lold - drift[j]
                        if lb > best_hi:
                            v = lb
                        else:
                            e = xs + csq[j] - 2.0 * np.float64(_dot(row, centers[j]))
                            r = 2.0 * err_coef * xn * cnorm[j] + REL_SLACK * csq[j] + slack
                            cj[nc] = j
                            ce[nc] = e
                            cr[nc] = r
                            nc += 1
                            hi = np.sqrt(e + r)
                            if hi < best_hi:
                                best_hi = hi
                            v = np.sqrt(e - r) if e > r else 0.0
                        if v < m1[g]:
                            m2[g] = m1[g]
                            m1[g] = v
                            m1j[g] = j
                        elif v < m2[g]:
                            m2[g] = v
                bi = 0
                for c in range(1, nc):
                    if ce[c] < ce[bi]:
                        bi = c
                reach = ce[bi] + cr[bi]
                n_close = 0
                for c in range(nc):
                    if ce[c] - cr[c] <= reach:
                        n_close += 1
                if n_close > 1:
                    bd = np.inf
                    bj = k
                    for c in range(nc):
                        if ce[c] - cr[c] <= reach:
                            e = exact_sqdist(row, centers[cj[c]])
                            if e < bd or (e == bd and cj[c] < bj):
                                bd = e
                                bj = cj[c]
                                bi = c
                b = cj[bi]
                for g in range(G):
                    if is_cand[g]:
                        newlow[g] = m2[g] if m1j[g] == b else m1[g]
                    else:
                        newlow[g] = glow[g]
                if b != a:
                    ga = group_of[a]
                    lo_a = np.sqrt(ea - ra) if ea > ra else 0.0
                    if lo_a < newlow[ga]:
                        newlow[ga] = lo_a
                for g in range(G):
                    lower[i, g] = _store_down(newlow[g]) if newlow[g] < np.inf \
                        else np.float32(np.inf)
                upper[i] = _store_up(np.sqrt(ce[bi] + cr[bi]))
                if b != a:
                    n_changed += 1
                    labels[i] = b
                    if want_sums:
                        w = weights[i]
                        dw[a] -= w
                        dw[b] += w
                        touched[a] = 1
                        touched[b] = 1
                        for q in range(d):
                            x = w * row[q]
                            dsums[a, q] -= x
                            dsums[b, q] += x
        if want_sqdist:
            row = buf[0]
            for ii in range(m):
                i = s + ii
                shift_row_only(X[i - r0], shift, row)
                sqdist[i] = exact_sqdist(row, centers[labels[i]])
    return n_changed


@njit(parallel=True, cache=True, fastmath=FASTMATH, nogil=True)
def _bounded_parallel(pieces, blocks, r0, r1, shift, weights, centers, centers_t, csq, cnorm,
                      err_coef, raw, dense_cols, sparse_cols, ct_dense, offset, off_err, drift,
                      gdrift, half_sep, group_of, gstart, gmembers, xsq, upper, lower, labels,
                      dsums, dw, touched, sqdist, changed, chunk, full, gemm_ratio, want_sums,
                      want_sqdist):  # pragma: no cover
    # One round of pieces (see pixelmeans.cluster._rows): each block at most once.
    for p in prange(blocks.shape[0]):
        b = blocks[p]
        bs = b if want_sums else np.int64(0)
        changed[b] += _bounded_block(
            pieces[np.int64(p)], shift, weights, centers, centers_t, csq, cnorm, err_coef, raw,
            dense_cols, sparse_cols, ct_dense, offset, off_err, drift, gdrift, half_sep, group_of,
            gstart, gmembers, xsq, upper, lower, labels, dsums[bs], dw[bs], touched[bs], sqdist,
            r0[p], r1[p], chunk, full, gemm_ratio, want_sums, want_sqdist)


@njit(cache=True)
def _add_deltas(dsums, dw, touched, sums, weight_sums):  # pragma: no cover
    """sums += the blocks' deltas, in block order; the deltas are zeroed for the next step."""
    nb, k, d = dsums.shape
    for b in range(nb):
        for j in range(k):
            if touched[b, j]:
                for q in range(d):
                    sums[j, q] += dsums[b, j, q]
                    dsums[b, j, q] = 0.0
                weight_sums[j] += dw[b, j]
                dw[b, j] = 0.0
                touched[b, j] = 0


def yinyang_groups(centers: np.ndarray, n_groups: int, n_iter: int = 5):
    """Split the centres into groups of nearby centres (k-means of the centres).

    Deterministic: starts from evenly spaced rows and runs ``n_iter`` Lloyd steps in
    float64; empty groups disappear.

    Parameters
    ----------
    centers : ndarray of shape (k, n_features)
    n_groups : int
        At most ``k``.

    Returns
    -------
    group_of : ndarray of shape (k,), dtype int64
        Group of each centre, groups numbered ``0..G-1``.
    gstart : ndarray of shape (G + 1,), dtype int64
        ``gmembers[gstart[g]:gstart[g + 1]]`` are the centres of group g.
    gmembers : ndarray of shape (k,), dtype int64
        Centre indices sorted by group (and by index within a group).
    """
    k = centers.shape[0]
    n_groups = int(max(1, min(n_groups, k)))
    if n_groups == 1:
        group_of = np.zeros(k, dtype=np.int64)
    elif n_groups == k:
        group_of = np.arange(k, dtype=np.int64)
    else:
        c = centers.astype(np.float64)
        g = c[np.linspace(0, k - 1, n_groups).round().astype(np.int64)]
        csq = np.einsum("ij,ij->i", c, c)
        for _ in range(n_iter):
            d2 = csq[:, None] - 2.0 * c @ g.T + np.einsum("ij,ij->i", g, g)[None, :]
            group_of = d2.argmin(axis=1)
            counts = np.bincount(group_of, minlength=g.shape[0])
            sums = np.zeros_like(g)
            np.add.at(sums, group_of, c)
            nonempty = counts > 0
            g = sums[nonempty] / counts[nonempty, None]
        d2 = csq[:, None] - 2.0 * c @ g.T + np.einsum("ij,ij->i", g, g)[None, :]
        group_of = np.unique(d2.argmin(axis=1), return_inverse=True)[1].astype(np.int64)
    gmembers = np.argsort(group_of, kind="stable").astype(np.int64)
    counts = np.bincount(group_of)
    gstart = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=gstart[1:])
    return group_of, gstart, gmembers


def _half_separation(shifted: np.ndarray, csq: np.ndarray, cnorm: np.ndarray) -> np.ndarray:
    """A lower bound on half the distance from each centre to its nearest other centre."""
    k, d = shifted.shape
    if k < 2:
        return np.full(k, np.inf)
    c64 = shifted.astype(np.float64)
    gram = c64 @ c64.T
    sep2 = csq[:, None] + csq[None, :] - 2.0 * gram
    sep2 -= 2.0 * dot_error_coef(d, np.float64) * np.outer(cnorm, cnorm)
    sep2 -= REL_SLACK * (csq[:, None] + csq[None, :])
    np.maximum(sep2, 0.0, out=sep2)
    np.fill_diagonal(sep2, np.inf)
    return 0.5 * np.sqrt(sep2.min(axis=1)) * (1.0 - 1e-12)


class BoundedKernel:
    """Exact step kernel with per-point distance bounds (Hamerly / Yinyang / Elkan).

    Same contract as :class:`~pixelmeans.cluster.kernels.LloydKernel` and the same
    labels at every step (the canonical nearest centres); see the module docstring.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64, or RowSource
        C-contiguous data, never modified or copied, or rows read chunk by chunk
        (:mod:`pixelmeans.cluster._rows`).
    sample_weight : ndarray of shape (n_samples,), dtype float64
    shift : ndarray of shape (n_features,), dtype ``dtype``
    n_clusters : int
    dtype : {float32, float64}
        Compute dtype.
    n_groups : int or None
        Groups of centres, each with its own lower bound per point: 1 is Hamerly,
        ``n_clusters`` is Elkan; None: :meth:`default_groups`.

    Notes
    -----
    Memory besides the data: ``n`` float64 squared norms, ``n`` float32 upper
    bounds, ``n x G`` float32 lower bounds, and per block of rows ``k x d``
    float64 sum deltas (the same as the Lloyd kernel's partial sums).
    """

    #: Name in :data:`pixelmeans.cluster.lloyd.KERNELS` (subclasses set it).
    name = "bounded"

    def __init__(self, X, sample_weight, shift, n_clusters, dtype, n_groups=None):
        hold_data(self, X, sample_weight, shift, dtype)
        self.split = column_split(X, n_clusters)
        n = X.shape[0]
        self.n_groups_param = n_groups
        self.xsq = np.zeros(n)
        self.upper = np.zeros(n, dtype=np.float32)
        self.gemm_ratio = GEMM_RATIO if self.split is None else SPLIT_GEMM_RATIO
        self._k = None
        self._prev = None  # centres of the previous step (None: next step is a full pass)
        self._labels = None  # the labels the bounds and sums belong to
        self._sums = None  # totals, valid for self._labels when self._sums_valid
        self._sums_valid = False
        self._alloc(n_clusters)

    def default_groups(self, k: int) -> int:
        """Number of groups for ``k`` centres (subclasses: Hamerly 1, Elkan k)."""
        return max(1, min(k, math.ceil(k / 10), 64))

    def _alloc(self, k):
        n, d = self.X.shape
        self._k = k
        self.n_blocks = n_blocks(n, k, d, self.chunk)
        self.bounds = block_bounds(n, self.n_blocks, self.chunk)
        self._changed = np.zeros(self.n_blocks, dtype=np.int64)
        self._dsums = None  # allocated by the first step that sums
        self._dw = None
        self._touched = None
        self._prev = None
        self._sums_valid = False
        groups = self.n_groups_param if self.n_groups_param is not None else self.default_groups(k)
        self.n_groups = int(max(1, min(groups, k)))
        self.lower = None

    def drop(self, keep):
        """Centres ``~keep`` were removed: forget bounds and sums (next step is a full pass)."""
        self._prev = None
        self._sums_valid = False

    def step(self, centers, labels, *, want_sums=True, want_sqdist=True) -> StepSums:
        """One exact E-step against ``centers`` (see ``LloydKernel.step``).

        Returns
        -------
        StepSums
            ``sums`` and ``weight_sums`` are fresh arrays the caller may modify.
        """
        k = centers.shape[0]
        n, d = self.X.shape
        if k != self._k:
            self._alloc(k)
        if n == 0:
            return StepSums(0, 0.0, self.sqdist, np.zeros((k, d)), np.zeros(k))
        shifted, shifted_t, _ = prepare_centers(centers, self.dtype)
        csq, cnorm = center_norms(shifted)

        full = (self._prev is None or self._labels is None
                or (want_sums and not self._sums_valid)
                or not np.array_equal(labels, self._labels))
        if full:
            group_of, gstart, gmembers = yinyang_groups(shifted, self.n_groups)
            self.group_of, self.gstart, self.gmembers = group_of, gstart, gmembers
            G = gstart.size - 1
            if self.lower is None or self.lower.shape[1] != G:
                self.lower = np.empty((n, G), dtype=np.float32)
            drift = np.zeros(k)
            gdrift = np.zeros(G)
            half_sep = np.zeros(k)
        else:
            diff = shifted.astype(np.float64) - self._prev.astype(np.float64)
            drift = np.sqrt(np.einsum("ij,ij->i", diff, diff)) * _DRIFT_UP
            gdrift = np.maximum.reduceat(drift[self.gmembers], self.gstart[:-1])
            if self.gstart.size == 2 or k <= 64:
                half_sep = _half_separation(shifted, csq, cnorm)
            else:
                half_sep = np.zeros(k)

        if want_sums and self._dsums is None:
            self._dsums = np.zeros((self.n_blocks, k, d))
            self._dw = np.zeros((self.n_blocks, k))
            self._touched = np.zeros((self.n_blocks, k), dtype=np.uint8)
        if want_sums:
            dsums, dw, touched = self._dsums, self._dw, self._touched
        else:  # placeholders of the same types (no recompilation), never written
            dsums, dw, touched = np.zeros((1, 1, 1)), np.zeros((1, 1)), np.zeros((1, 1), np.uint8)

        args = (self.shift, self.sample_weight, shifted, shifted_t, csq, cnorm, self.err_coef,
                *raw_dot_args(self.split, self.shift, shifted, shifted_t, cnorm), drift, gdrift,
                half_sep, self.group_of, self.gstart, self.gmembers, self.xsq, self.upper,
                self.lower, labels)
        changed = self._changed
        changed[:] = 0

        def run_parallel(pieces, blocks, r0, r1):
            _bounded_parallel(pieces, blocks, r0, r1, *args, dsums, dw, touched, self.sqdist,
                              changed, self.chunk, full, self.gemm_ratio, want_sums, want_sqdist)

        def run_block(piece, b, r0, r1):
            bs = b if want_sums else 0
            changed[b] += _bounded_block(
                piece, *args, dsums[bs], dw[bs], touched[bs], self.sqdist, r0, r1, self.chunk,
                full, self.gemm_ratio, want_sums, want_sqdist)

        with blas_single_thread():
            for_each_round(self.X, self.bounds, parallel_worth_it(n, d, k, self.n_blocks),
                           run_parallel, run_block)
        n_changed = int(self._changed.sum())
        self._prev = shifted.copy()
        if self._labels is None:
            self._labels = labels.copy()
        else:
            self._labels[:] = labels

        if want_sums:
            if full or self._sums is None:
                self._sums = np.zeros((k, d))
                self._wsums = np.zeros(k)
            _add_deltas(dsums, dw, touched, self._sums, self._wsums)
            self._sums_valid = True
            sums, weight_sums = self._sums.copy(), self._wsums.copy()
        else:
            if n_changed:
                self._sums_valid = False
            sums = weight_sums = None
        inertia = float(self.sqdist @ self.sample_weight) if want_sqdist else float("nan")
        return StepSums(n_changed, inertia, self.sqdist, sums, weight_sums)


class HamerlyKernel(BoundedKernel):
    """Hamerly's algorithm: one lower bound per point (``G = 1``). Small k."""

    name = "hamerly"

    def __init__(self, X, sample_weight, shift, n_clusters, dtype):
        super().__init__(X, sample_weight, shift, n_clusters, dtype, n_groups=1)


class YinyangKernel(BoundedKernel):
    """Yinyang k-means: ``G = ceil(k / 10)`` groups (at most 64). Larger k."""

    name = "yinyang"


class ElkanKernel(BoundedKernel):
    """Elkan's algorithm: a lower bound per point and centre (``n x k`` float32)."""

    name = "elkan"

    def default_groups(self, k: int) -> int:
        return k

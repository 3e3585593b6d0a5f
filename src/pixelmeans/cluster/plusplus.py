"""Compiled kernels of greedy k-means++ that skip the distances the triangle inequality rules out.

Greedy k-means++ (see :mod:`pixelmeans.cluster.init`) draws ``T = 2 + log k``
candidates per new centre and needs, for each candidate ``c``, the potential
``sum_i w_i min(D_i, ||x_i - c||^2)`` (``D_i``: squared distance of point ``i`` to its
nearest chosen centre ``a_i``). A point can only get closer to ``c`` than to ``a_i``
when ``||a_i - c|| < 2 sqrt(D_i)`` (triangle inequality), so each point compares
``||a_i - c||^2`` (``k x T`` numbers computed once per draw) with ``4 D_i`` and reads
its row of ``X`` only for the candidates that pass. After the first few centres most
points are close to their centre and far from the candidates: late draws read a
small part of the data instead of all of it, as a plain implementation does.

On high-dimensional data like images the distances concentrate and that test
alone rarely skips a point. A second test does: ``Z = (X - shift) V`` with the
``p`` leading principal directions ``V`` (orthonormal columns, from a fixed subsample)
is a contraction, ``||z_i - z_c|| <= ||x_i - c||``, so a candidate with
``||z_i - z_c||^2 > D_i`` cannot improve point ``i``. ``Z`` is ``n x p`` float32
(256 bytes a row for ``p = 64``, against 3 KB for an MNIST row), so most
point-candidate pairs cost ``p`` multiply-adds instead of ``d``. The rows of the pairs
that pass are scattered over ``X``: they are prefetched for a few points at a time,
while the bounds of those points are tested.

Every distance that is kept is rounded once from a float64 sum (a float32 sum
first, and the float64 one only where the candidate may be closer), and each
candidate's distances ``min(D_i, ||x_i - c||^2)`` are written out, ``T x n``, so that
potentials and running sums are NumPy's, on the same operands as scikit-learn's: on
float32 data the draws are scikit-learn's bit for bit. Rows are split into blocks
that depend on the data shape only: the result does not depend on the number of
threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from pixelmeans.cluster._common import FASTMATH, shift_row_only
from pixelmeans.cluster._prefetch import prefetch_row

__all__ = ["PlusPlusState"]

# A point skips a candidate when ||a - c||^2 > 4 D (1 + _PRUNE_SLACK), or its projected
# distance exceeds D (1 + _PRUNE_SLACK): the slack covers the rounding of D (float32)
# and of the projections, so that a skipped candidate is never closer than the
# current centre (its min(D, ||x - c||^2) is D, as scikit-learn's).
_PRUNE_SLACK = 1e-4
#: Principal directions used for the projection test (0: no projection).
PROJECTION_DIM = 64
# The projection pays when there are enough draws and dimensions to save.
_PROJECTION_MIN_FEATURES = 4 * PROJECTION_DIM
_PROJECTION_MIN_CLUSTERS = 16
# Rows used to estimate the principal directions (every n // this-th row).
_PROJECTION_SAMPLE = 2048
# Points whose bounds are tested before their distances are computed: enough rows in
# flight to hide memory latency, few enough to stay in the level-1 cache.
_CHUNK = 16


@njit(cache=True, fastmath=FASTMATH)
def _sqdist_rows(x, c):  # pragma: no cover
    """||x - c||^2 of two rows in data coordinates, in c's dtype (float32 or float64).

    No shift needed: the differences are taken directly, there is no cancellation.
    """
    acc = c.dtype.type(0)
    for j in range(x.shape[0]):
        v = c.dtype.type(x[j]) - c[j]
        acc += v * v
    return acc


@njit(cache=True, fastmath=FASTMATH)
def _trial_block(X, Z, cands, cands64, zc, cc2, nearest, dist, new_dist, r0, r1, exact_pass,
                 slack, counts):  # pragma: no cover
    # new_dist[t, i] = min(dist[i], ||x_i - c_t||^2), the distance rounded once to
    # dist's dtype from a float64 sum: the value scikit-learn's float64 distances
    # round to, so that its float32 potentials and cumulative sums come out bit for bit.
    #
    # Points go _CHUNK at a time: the bounds first, prefetching the rows of the points
    # that pass, then the distances of the pairs that passed. The rows that pass are
    # scattered over X, and read one after the other they wait on memory one at a time.
    T = cands.shape[0]
    p = Z.shape[1]
    n_computed = 0
    passed = np.zeros((_CHUNK, T), dtype=np.bool_)
    for s in range(r0, r1, _CHUNK):
        m = min(r1, s + _CHUNK) - s
        for ii in range(m):
            i = s + ii
            di = dist[i]
            limit = np.float64(di) * (1.0 + _PRUNE_SLACK)
            a = nearest[i]
            any_pass = False
            for t in range(T):
                new_dist[t, i] = di
                passed[ii, t] = False
                if cc2[a, t] > 4.0 * limit:
                    continue
                if p:
                    # A plain loop over all p directions: it vectorises, an early exit
                    # would not (nor does a split into two loops: measured slower).
                    lb = np.float32(0.0)
                    for q in range(p):
                        v = Z[i, q] - zc[t, q]
                        lb += v * v
                    if lb > limit:
                        continue
                passed[ii, t] = True
                any_pass = True
            if any_pass:
                prefetch_row(X, i)
        for ii in range(m):
            i = s + ii
            di = dist[i]
            for t in range(T):
                if not passed[ii, t]:
                    continue
                e = _sqdist_rows(X[i], cands[t])
                n_computed += 1
                if exact_pass:
                    if e < di:
                        new_dist[t, i] = e
                elif e <= np.float64(di) * (1.0 + slack):
                    # The float32 sum is within its rounding of di: only the float64
                    # one, rounded, says whether and by how much c_t is closer.
                    ex = dist.dtype.type(_sqdist_rows(X[i], cands64[t]))
                    if ex < di:
                        new_dist[t, i] = ex
    counts[0] = n_computed


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _trial_parallel(X, Z, cands, cands64, zc, cc2, nearest, dist, new_dist, bounds,
                    exact_pass, slack, counts):  # pragma: no cover
    for b in prange(bounds.shape[0] - 1):
        _trial_block(X, Z, cands, cands64, zc, cc2, nearest, dist, new_dist, bounds[b],
                     bounds[b + 1], exact_pass, slack, counts[b])


@njit(cache=True)
def _accept(new_dist, t, label, nearest, dist, weights, cumulative):  # pragma: no cover
    # Move candidate t's distances into dist/nearest and keep the running sum of the
    # weighted distances in dist's dtype: one pass instead of three NumPy calls, with
    # np.cumsum(weights * dist)'s own operations in its order (no fast-math, so no
    # fused multiply-add), hence its bits.
    acc = cumulative.dtype.type(0)
    for i in range(dist.shape[0]):
        e = new_dist[t, i]
        if e < dist[i]:
            dist[i] = e
            nearest[i] = label
        acc += weights[i] * dist[i]
        cumulative[i] = acc


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _project_parallel(X, shift, V, Z, bounds):  # pragma: no cover
    # Z[r0:r1] = (X[r0:r1] - shift) @ V, 256 rows at a time (no float copy of X).
    d = X.shape[1]
    for b in prange(bounds.shape[0] - 1):
        buf = np.empty((256, d), dtype=np.float32)
        for s in range(bounds[b], bounds[b + 1], 256):
            m = min(bounds[b + 1], s + 256) - s
            for i in range(m):
                shift_row_only(X[s + i], shift, buf[i])
            Z[s:s + m] = np.dot(buf[:m], V)


def _row_blocks(n: int) -> np.ndarray:
    """Block boundaries over ``n`` rows: a function of ``n`` only (never of the thread
    count), so that partial results are reduced in the same order everywhere."""
    nb = int(min(16, max(1, n // 2048)))
    return np.linspace(0, n, nb + 1).astype(np.int64)


def principal_projection(X, shift, dim):
    """``(X - shift) V`` with ``V`` the ``dim`` leading principal directions.

    ``V`` comes from a fixed subsample of rows (no random draws), so the random
    stream of k-means++ is the same as scikit-learn's.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64
    shift : ndarray of shape (n_features,)
    dim : int

    Returns
    -------
    Z : ndarray of shape (n_samples, dim), dtype float32
    V : ndarray of shape (n_features, dim), dtype float64
        Orthonormal columns.
    """
    n, d = X.shape
    step = max(1, n // _PROJECTION_SAMPLE)
    sample = np.asarray(X[::step], dtype=np.float32) - np.asarray(shift, dtype=np.float32)
    # Randomised range finder with one power iteration (Halko et al. 2011) on the
    # sample, in float32: far cheaper than a full SVD, and any orthonormal V keeps the
    # bound valid (a better V only skips more); V is orthonormalised again in float64
    # so that it is a contraction to float64 precision. Its own fixed generator: the
    # caller's random stream is not touched.
    omega = np.random.default_rng(0).standard_normal((d, min(d, dim + 16))).astype(np.float32)
    q, _ = np.linalg.qr(sample @ omega)
    q, _ = np.linalg.qr(sample.T @ q)
    q, _ = np.linalg.qr(sample @ q)
    _, _, vt = np.linalg.svd(q.T @ sample, full_matrices=False)
    V, _ = np.linalg.qr(vt[:dim].T.astype(np.float64))
    V = np.ascontiguousarray(V)
    Z = np.empty((n, dim), dtype=np.float32)
    bounds = _row_blocks(n)
    _project_parallel(X, np.asarray(shift, dtype=np.float32), V.astype(np.float32), Z, bounds)
    return Z, V


class PlusPlusState:
    """Distances of every point to its nearest chosen centre, updated draw by draw.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64
        C-contiguous data, never copied.
    sample_weight : ndarray of shape (n_samples,), dtype float64
    shift : ndarray of shape (n_features,), dtype float32 or float64
        Subtracted from the rows (accuracy); its dtype is the compute dtype.
    n_clusters : int
        Centres that will be chosen.
    n_trials : int
        Candidates per draw (the largest number passed to :meth:`try_candidates`).

    Attributes
    ----------
    dist : ndarray of shape (n_samples,), dtype of ``shift``
        Squared distance of each point to its nearest chosen centre (inf before the
        first), rounded once from a float64 sum.
    potential : float
        ``sum(w * dist)`` as computed for the accepted candidate.
    cumulative : ndarray of shape (n_samples,), dtype of ``shift``
        ``np.cumsum(w * dist)``: where the next draw searches.
    n_computed : int
        Point-candidate distances computed so far (the rest were skipped).

    Notes
    -----
    Weights, distances, potentials and running sums are kept in the compute dtype
    and summed by the same NumPy calls on the same layouts as scikit-learn's
    ``_kmeans_plusplus``: on float32 data the draws are scikit-learn's bit for bit
    (its float64 distances, rounded to float32, equal these rounded ones), instead
    of parting after a few centres over float32 rounding.

    Memory besides the data: ``n`` floats and ``n`` int32, ``n_trials x n`` candidate
    distances, ``k x d`` centres, and ``n x 64`` float32 projections on image data.
    """

    def __init__(self, X, sample_weight, shift, n_clusters, n_trials):
        n, d = X.shape
        self.X = X
        self.shift = np.ascontiguousarray(shift)
        self.dtype = self.shift.dtype
        self.weights = np.ascontiguousarray(sample_weight, dtype=self.dtype)
        self.centers = np.zeros((n_clusters, d), dtype=np.float64)  # shifted
        self.n_chosen = 0
        self.dist = np.full(n, np.inf, dtype=self.dtype)
        self.nearest = np.zeros(n, dtype=np.int32)
        self.new_dist = np.empty((max(1, n_trials), n), dtype=self.dtype)
        if (PROJECTION_DIM and d >= _PROJECTION_MIN_FEATURES
                and n_clusters >= _PROJECTION_MIN_CLUSTERS and n > 4 * PROJECTION_DIM):
            self.Z, self.V = principal_projection(X, self.shift, PROJECTION_DIM)
        else:
            self.Z, self.V = np.zeros((n, 0), dtype=np.float32), np.zeros((d, 0))
        self.bounds = _row_blocks(n)
        self._counts = np.zeros((len(self.bounds) - 1, 1), dtype=np.int64)
        # A float32 sum of d squares is within about d * 2^-24 (relative) of the exact
        # one; twice that, for a margin, decides when the float64 sum is needed.
        self._slack = _PRUNE_SLACK + d * 2.0**-23
        self.cumulative = np.zeros(n, dtype=self.dtype)
        self.potential = float("inf")
        self.n_computed = 0

    def try_candidates(self, ids):
        """Potential after adding each candidate row (one of them is then :meth:`accept`-ed).

        Parameters
        ----------
        ids : ndarray of shape (T,), dtype int64
            Row indices of the candidates.

        Returns
        -------
        ndarray of shape (T,), dtype of ``shift``
        """
        T = len(ids)
        n = self.X.shape[0]
        rows = np.asarray(self.X[ids], dtype=np.float64)
        cands = np.ascontiguousarray(rows, dtype=self.dtype)  # data coordinates
        shifted = rows - self.shift  # the coordinates of the centres and of V
        zc = np.ascontiguousarray((shifted @ self.V).astype(np.float32))
        if self.n_chosen:
            chosen = self.centers[:self.n_chosen]
            cc2 = ((chosen * chosen).sum(1)[:, None] + (shifted * shifted).sum(1)[None, :]
                   - 2.0 * chosen @ shifted.T)
            np.maximum(cc2, 0.0, out=cc2)
        else:
            cc2 = np.zeros((1, T))  # no centre yet: dist is inf, nothing is skipped
        new_dist = self.new_dist[:T] if T <= len(self.new_dist) else \
            np.empty((T, n), dtype=self.dtype)
        args = (self.X, self.Z, cands, rows, zc, cc2, self.nearest, self.dist, new_dist)
        exact_pass = self.dtype == np.float64
        if n * self.X.shape[1] * T >= 2**20 and len(self.bounds) > 2:
            _trial_parallel(*args, self.bounds, exact_pass, self._slack, self._counts)
        else:
            for b in range(len(self.bounds) - 1):
                _trial_block(*args, self.bounds[b], self.bounds[b + 1], exact_pass,
                             self._slack, self._counts[b])
        self.n_computed += int(self._counts.sum())
        self._new_dist_view = new_dist
        self._cands = shifted
        # scikit-learn's products: (1, n) @ (n,) for the first centre, then
        # (T, n) @ (n, 1); the same calls give the same bits (BLAS threads included).
        if not self.n_chosen:
            self._pots = new_dist @ self.weights
        else:
            self._pots = (new_dist @ self.weights[:, None])[:, 0]
        return self._pots

    def accept(self, t):
        """Add candidate ``t`` of the last :meth:`try_candidates` call as a centre."""
        label = self.n_chosen
        self.centers[label] = self._cands[t]
        self.n_chosen += 1
        _accept(self._new_dist_view, t, label, self.nearest, self.dist, self.weights,
                self.cumulative)
        self.potential = float(self._pots[t])

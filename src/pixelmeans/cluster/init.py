"""Initial centroids: greedy k-means++, random values, random points, given array or file.

``kmeans_plusplus`` is public and validates its input, like scikit-learn's; the
``_``-prefixed functions take prepared arrays (as the estimator has them) and check
nothing.

Methods (``KMeans(init=...)``):

``"k-means++"``
    Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's greedy
    trials): the first centre is a point drawn with probability proportional to its
    weight; each next one is the best of ``2 + int(log k)`` points drawn with
    probability proportional to ``weight * D(x)^2`` (``D``: distance to the nearest
    centre chosen so far), "best" meaning the lowest resulting potential.
``"k-means||"``
    Scalable k-means++ (Bahmani et al. 2012), for large ``n``: a few rounds each
    keep every point independently with probability ``min(1, l w D(x)^2 / phi)``
    (oversampling ``l = 2k``, ``phi`` the current potential), so each round is one
    pass over the data whatever ``k``; the ``O(l * rounds)`` points kept, weighted by
    the weight of the points nearest to them, are then reduced to ``k`` centres by
    greedy k-means++ and a few weighted Lloyd steps.
``"random"``
    Each coordinate uniform between the smallest and largest value of that feature in
    the data (random pixels in the data's range).
``"random-points"``
    ``k`` distinct samples drawn without replacement with probability proportional to
    their weight (scikit-learn's ``"random"``).
array of shape (k, n_features), or the path of a CSV / ``.npy`` file of centroids
    Used as given (see :func:`pixelmeans.cluster.io.read_centroids` for the file).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from pixelmeans.cluster._rows import RowSource, as_rows
from pixelmeans.cluster._threads import blas_single_thread, limit_threads
from pixelmeans.cluster._validation import (
    check_data,
    check_int,
    check_n_clusters_vs_samples,
    check_sample_weight,
)
from pixelmeans.cluster.kernels import (
    LloydKernel,
    compute_dtype,
    labels_inertia,
    round_shift,
)
from pixelmeans.cluster.plusplus import PlusPlusState
from pixelmeans.errors import InputError

__all__ = ["INIT_METHODS", "kmeans_plusplus"]

#: Names accepted by ``KMeans(init=...)``; any other string is a file path.
INIT_METHODS = ("k-means++", "k-means||", "random", "random-points")


def kmeans_plusplus(X, n_clusters, *, sample_weight=None, x_squared_norms=None,
                    random_state=None, n_local_trials=None):
    """Choose ``n_clusters`` initial centres from ``X`` by greedy k-means++.

    The same algorithm, random draws and return values as
    ``sklearn.cluster.kmeans_plusplus`` (on float32 data the same centres, bit for
    bit); most point-candidate distances are ruled out by bounds instead of computed,
    and there is no float copy of ``X``.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        The data to pick seeds from. uint8, float32 and float64 are used as they
        are; other numbers are converted to float64; a CSR/CSC matrix is densified.
    n_clusters : int
        Number of centres to choose, ``1 <= n_clusters <= n_samples``.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the points (default: all 1).
    x_squared_norms : array-like of shape (n_samples,), default=None
        Accepted for scikit-learn's signature and checked for its length, but not
        used: the distances are computed from shifted data (see
        :mod:`pixelmeans.cluster.plusplus`), which needs no norms.
    random_state : int, RandomState instance or None, default=None
        Determines the random draws. An int makes the result reproducible.
    n_local_trials : int, default=None
        Candidates tried for each centre after the first; the one lowering the
        potential most is kept. None means ``2 + int(log(n_clusters))``; 1 gives
        plain (non-greedy) k-means++.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen rows of ``X``; dtype float32 for uint8 and float32 data, float64
        otherwise.
    indices : ndarray of shape (n_clusters,), dtype int64
        Their row indices: ``X[indices[i]] == centers[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelmeans import kmeans_plusplus
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> centers, indices = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> centers.shape, indices.shape
    ((2, 2), (2,))
    """
    X = check_data(X)
    n_clusters = check_int(n_clusters, "n_clusters", 1)
    check_n_clusters_vs_samples(n_clusters, X.shape[0])
    if x_squared_norms is not None and len(x_squared_norms) != X.shape[0]:
        raise InputError(f"The length of x_squared_norms {len(x_squared_norms)} should "
                         f"be equal to the length of n_samples {X.shape[0]}.")
    if n_local_trials is not None:
        n_local_trials = check_int(n_local_trials, "n_local_trials", 1)
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    random_state = check_random_state(random_state)
    dtype = compute_dtype(X.dtype)
    # The shift only steers which distances are skipped, never a distance that is
    # used: the mean of a fixed subsample does, without two passes over the data.
    sample = np.asarray(X[::max(1, X.shape[0] // 4096)], dtype=np.float64)
    shift = round_shift(sample.mean(axis=0), np.abs(sample).max(axis=0), dtype)
    with limit_threads():
        return _kmeans_plusplus(X, n_clusters, sample_weight, random_state, shift,
                                n_local_trials=n_local_trials)


@blas_single_thread()
def _kmeans_plusplus(X, n_clusters, sample_weight, random_state, shift, n_local_trials=None):
    """Greedy k-means++ on prepared arrays.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64
    n_clusters : int
    sample_weight : ndarray of shape (n_samples,), dtype float64
    random_state : numpy.random.RandomState
    shift : ndarray of shape (n_features,), dtype float32 or float64
        Used for the distance computation (accuracy); its dtype is the compute dtype.
    n_local_trials : int or None

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), dtype of ``shift``
    indices : ndarray of shape (n_clusters,), dtype int64
    """
    n_samples = X.shape[0]
    dtype = shift.dtype
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))

    # The same random draws as scikit-learn's _kmeans_plusplus; the candidates'
    # potentials come from fewer distances, to the same bits on float32 data (see
    # pixelmeans.cluster.plusplus).
    state = PlusPlusState(X, sample_weight, shift, n_clusters, n_local_trials)
    indices = np.full(n_clusters, -1, dtype=np.int64)
    center_id = random_state.choice(n_samples, p=sample_weight / sample_weight.sum())
    state.try_candidates(np.array([center_id], dtype=np.int64))
    state.accept(0)
    indices[0] = center_id

    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_local_trials) * state.potential
        candidate_ids = np.searchsorted(state.cumulative, rand_vals)
        np.clip(candidate_ids, None, n_samples - 1, out=candidate_ids)
        candidates_pot = state.try_candidates(candidate_ids.astype(np.int64))
        best = int(np.argmin(candidates_pot))
        state.accept(best)
        indices[c] = candidate_ids[best]

    centers = np.asarray(X[indices], dtype=dtype)
    return np.ascontiguousarray(centers), indices


#: Data read chunk by chunk gets its greedy k-means++ start from a random sample of
#: this many rows per cluster (faiss' default cap on training points per centroid):
#: greedy k-means++ compares every point with new candidates ``k`` times, which in
#: memory is a fraction of a fit but from disk would be ``k`` reads of the data.
PLUSPLUS_SAMPLE_PER_CLUSTER = 256


def _kmeans_plusplus_start(X, n_clusters, sample_weight, random_state, shift):
    """Greedy k-means++ centres for a fit: on all rows of an in-memory array, on a
    sample of :data:`PLUSPLUS_SAMPLE_PER_CLUSTER` rows per cluster (drawn with
    probability proportional to weight, without replacement) of rows read chunk by
    chunk.

    Returns
    -------
    ndarray of shape (n_clusters, n_features), dtype of ``shift``
    """
    rows = as_rows(X)
    if rows.in_memory:
        return _kmeans_plusplus(rows.X, n_clusters, sample_weight, random_state, shift)[0]
    n = rows.shape[0]
    m = min(n, PLUSPLUS_SAMPLE_PER_CLUSTER * n_clusters)
    p = sample_weight / sample_weight.sum()
    if m == n:
        pick = np.arange(n, dtype=np.int64)
    else:
        pick = np.sort(random_state.choice(n, size=m, replace=False, p=p))
    sample = np.ascontiguousarray(rows.take(pick))
    return _kmeans_plusplus(sample, n_clusters, sample_weight[pick], random_state, shift)[0]


#: Rounds of k-means|| and its oversampling factor (times k), as in Bahmani et al.
KMEANS_PARALLEL_ROUNDS = 5
KMEANS_PARALLEL_OVERSAMPLING = 2.0
# Weighted Lloyd steps on the candidates after their k-means++ seeding.
_RECLUSTER_STEPS = 20


@blas_single_thread()
def _kmeans_parallel(X, n_clusters, sample_weight, random_state, shift,
                     rounds=KMEANS_PARALLEL_ROUNDS, oversampling=KMEANS_PARALLEL_OVERSAMPLING):
    """k-means|| seeding on prepared arrays.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64
    n_clusters : int
    sample_weight : ndarray of shape (n_samples,), dtype float64
    random_state : numpy.random.RandomState
    shift : ndarray of shape (n_features,), dtype float32 or float64
        Its dtype is the compute dtype.
    rounds : int
        Sampling rounds (each is one pass over the data).
    oversampling : float
        Expected points kept per round, in multiples of ``n_clusters``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), dtype of ``shift``
        Weighted means of candidate points (not rows of ``X``).
    """
    from pixelmeans.cluster.lloyd import kmeans_single

    X = as_rows(X)
    n_samples = X.shape[0]
    dtype = shift.dtype
    ell = oversampling * n_clusters
    p = sample_weight / sample_weight.sum()
    chosen = [int(random_state.choice(n_samples, p=p))]
    kernel = LloydKernel(X, sample_weight, shift, n_clusters=1, dtype=dtype)
    dist = np.full(n_samples, np.inf)
    new = chosen
    for _ in range(rounds):
        # Distances to the points added last round only: dist = min over all kept.
        centers = np.asarray(X.take(new), dtype=np.float64) - shift
        labels = np.full(n_samples, -1, dtype=np.int32)
        step = kernel.step(centers.astype(dtype), labels, want_sums=False, want_sqdist=True)
        np.minimum(dist, step.sqdist, out=dist)
        potential = float(sample_weight @ dist)
        if potential <= 0.0:
            break
        keep = random_state.uniform(size=n_samples) < ell * sample_weight * dist / potential
        new = np.flatnonzero(keep & (dist > 0.0)).tolist()
        if not new:
            break
        chosen.extend(new)
    candidates = np.ascontiguousarray(np.asarray(X.take(chosen), dtype=dtype))
    if len(candidates) <= n_clusters:  # too few distinct points: top up at random
        extra = random_state.choice(n_samples, size=n_clusters - len(candidates) + 1,
                                    replace=False, p=p)
        candidates = np.concatenate([candidates, np.asarray(X.take(extra), dtype=dtype)])
    # Weight of a candidate: the total weight of the points nearest to it.
    owner = labels_inertia(X, candidates, return_inertia=False)
    cw = np.bincount(owner, weights=sample_weight, minlength=len(candidates))
    if np.count_nonzero(cw) < n_clusters:
        cw = cw + 1e-12 * cw.sum()  # every candidate stays eligible
    cshift = shift  # same coordinates: the candidates are rows of X
    seeds, _ = _kmeans_plusplus(candidates, n_clusters, cw, random_state, cshift)
    run = kmeans_single(candidates, cw, seeds - cshift, shift=cshift,
                        max_iter=_RECLUSTER_STEPS, tol=0.0, empty_clusters="relocate")
    return np.ascontiguousarray(run.centers, dtype=dtype)


def _random_uniform(lo, hi, n_clusters, random_state, dtype):
    """``n_clusters`` points with each coordinate uniform in ``[lo_j, hi_j]``.

    Parameters
    ----------
    lo, hi : ndarray of shape (n_features,), dtype float64
        Per-feature minimum and maximum of the data.

    Returns
    -------
    ndarray of shape (n_clusters, n_features), dtype ``dtype``
    """
    u = random_state.uniform(size=(n_clusters, lo.shape[0]))
    return (lo + u * (hi - lo)).astype(dtype)


def _random_points(X, n_clusters, sample_weight, random_state, dtype):
    """``n_clusters`` distinct rows of ``X``, drawn with probability ∝ weight.

    Returns
    -------
    ndarray of shape (n_clusters, n_features), dtype ``dtype``
    """
    seeds = random_state.choice(X.shape[0], size=n_clusters, replace=False,
                                p=sample_weight / sample_weight.sum())
    rows = X.take(seeds) if isinstance(X, RowSource) else X[seeds]
    return np.ascontiguousarray(np.asarray(rows, dtype=dtype))

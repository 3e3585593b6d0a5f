"""The pruned k-means++ kernel: same potentials as the obvious computation, same
draws whatever the number of threads."""

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans import KMeans, kmeans_plusplus
from pixelmeans.cluster.plusplus import PROJECTION_DIM, PlusPlusState

from cluster_helpers import blobs, brute_sqdist


@pytest.mark.parametrize("data", ["blobs", "mnist"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_candidate_potentials_are_the_brute_force_ones(dtype, data, mnist_test_pixels):
    rng = np.random.default_rng(0)
    if data == "mnist":  # 784 features: the projection test is used too
        X = mnist_test_pixels[:2000].astype(np.float64)
        if dtype != np.uint8:
            X = X / 255
    else:
        X = (blobs(n=3000, d=16, centers=12, seed=1, spread=2.0) * 5 + 128).clip(0, 255)
    X = X.astype(dtype)
    cdt = np.float64 if dtype == np.float64 else np.float32
    shift = X.astype(np.float64).mean(0).round().astype(cdt)
    w = rng.uniform(0.5, 2.0, size=len(X))
    state = PlusPlusState(X, w, shift, n_clusters=20, n_trials=4)
    assert state.Z.shape[1] == (PROJECTION_DIM if data == "mnist" else 0)
    chosen = []
    for c in range(20):
        ids = rng.choice(len(X), size=1 if c == 0 else 4, replace=False).astype(np.int64)
        pots = state.try_candidates(ids)
        d2 = brute_sqdist(X, X[np.r_[chosen, ids].astype(int)])
        near = d2[:, :len(chosen)].min(1) if chosen else np.full(len(X), np.inf)
        expected = [(w * np.minimum(near, d2[:, len(chosen) + t])).sum() for t in range(len(ids))]
        assert_allclose(pots, expected, rtol=1e-5)
        best = int(np.argmin(pots))
        state.accept(best)
        chosen.append(ids[best])
        assert_allclose(state.dist, brute_sqdist(X, X[chosen]).min(1), rtol=1e-5, atol=1e-3)
    assert state.n_computed < 20 * 4 * len(X) / 2  # the bounds skip most distances


def test_agrees_with_sklearn_on_separated_data():
    from sklearn.cluster import kmeans_plusplus as sk_plusplus

    X = blobs(n=2000, d=5, centers=8, seed=3, spread=0.3)
    for seed in range(3):
        ours, ids = kmeans_plusplus(X, 8, random_state=seed)
        _, sk_ids = sk_plusplus(X, 8, random_state=seed)
        assert_array_equal(ids, sk_ids)


def test_same_draws_and_fit_whatever_the_threads():
    X = (blobs(n=20000, d=32, centers=20, seed=5, spread=3.0)).astype(np.float32)
    results = []
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(threads)
        try:
            _, ids = kmeans_plusplus(X, 30, random_state=0)
            km = KMeans(30, random_state=0).fit(X)
            par = KMeans(30, init="k-means||", random_state=0, max_iter=2).fit(X)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        results.append((ids, km, par))
    (ids1, a, pa), (ids2, b, pb) = results[0], results[-1]
    assert_array_equal(ids1, ids2)
    assert_array_equal(pa.cluster_centers_, pb.cluster_centers_)
    assert_array_equal(a.labels_, b.labels_)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.n_iter_ == b.n_iter_ and a.inertia_ == b.inertia_

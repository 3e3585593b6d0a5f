"""Initialisation methods: k-means++, random, random-points, n_init."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from pixelmeans import KMeans, kmeans_plusplus

from cluster_helpers import blobs

X = blobs(n=200, d=3, centers=5, seed=7, spread=1.0)


def initial(km, X, **fit):
    km.set_params(record_history=True, max_iter=1, n_init=1).fit(X, **fit)
    return km.history_[0].centers


def test_kmeans_plusplus_returns_rows_of_x():
    centers, indices = kmeans_plusplus(X, 5, random_state=0)
    assert centers.shape == (5, 3) and centers.dtype == np.float64
    assert indices.dtype == np.int64 and len(set(indices.tolist())) == 5
    assert_array_equal(centers, X[indices])


def test_kmeans_plusplus_on_uint8_gives_float32():
    Xu = np.random.default_rng(0).integers(0, 256, size=(100, 8), dtype=np.uint8)
    centers, indices = kmeans_plusplus(Xu, 4, random_state=1)
    assert centers.dtype == np.float32
    assert_array_equal(centers, Xu[indices].astype(np.float32))


def test_kmeans_plusplus_ignores_zero_weight_points():
    w = np.zeros(len(X))
    w[:20] = 1.0
    for seed in range(5):
        _, indices = kmeans_plusplus(X, 5, sample_weight=w, random_state=seed)
        assert (indices < 20).all()


def test_kmeans_plusplus_greedy_trials_help():
    # Greedy (default) is never worse on average than plain k-means++ (1 trial).
    def potential(centers):
        return ((X[:, None, :] - centers[None]) ** 2).sum(-1).min(1).sum()

    greedy = np.mean([potential(kmeans_plusplus(X, 5, random_state=s)[0]) for s in range(10)])
    plain = np.mean([potential(kmeans_plusplus(X, 5, random_state=s, n_local_trials=1)[0])
                     for s in range(10)])
    assert greedy <= plain


def test_kmeans_plusplus_parameter_errors():
    with pytest.raises(ValueError, match="n_local_trials must be >= 1"):
        kmeans_plusplus(X, 3, n_local_trials=0)
    with pytest.raises(ValueError, match="n_clusters must be >= 1"):
        kmeans_plusplus(X, 0)


def test_init_kmeans_plusplus_is_kmeans_plusplus():
    centers = initial(KMeans(5, random_state=3), X)
    expected, _ = kmeans_plusplus(X, 5, random_state=3)
    assert_array_equal(centers, expected.astype(np.float32))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_random_is_uniform_in_the_data_range():
    Xr = np.column_stack([np.linspace(0, 1, 50), np.linspace(-5, 5, 50), np.full(50, 2.0)])
    centers = initial(KMeans(40, init="random", random_state=0), Xr)
    lo, hi = Xr.min(0), Xr.max(0)
    assert (centers >= lo.astype(np.float32)).all() and (centers <= hi.astype(np.float32)).all()
    assert not np.isin(centers[:, 0], Xr[:, 0].astype(np.float32)).all()  # not data points
    assert_array_equal(centers[:, 2], 2.0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_random_points_are_distinct_samples():
    Xd = np.repeat(X[:30], 2, axis=0)  # each point twice: rows distinct, values not
    centers = initial(KMeans(30, init="random-points", random_state=0), Xd)
    rows = {tuple(r) for r in Xd.astype(np.float32).tolist()}
    assert all(tuple(c) in rows for c in centers.tolist())


def test_random_points_respect_weights():
    w = np.zeros(len(X))
    w[50:60] = 1.0
    centers = initial(KMeans(5, init="random-points", random_state=0), X, sample_weight=w)
    pool = X[50:60].astype(np.float32).tolist()
    assert all(c in pool for c in centers.tolist())


@pytest.mark.parametrize("init,expected", [("k-means++", 1), ("random", 10),
                                           ("random-points", 10)])
def test_n_init_auto(init, expected, capsys):
    KMeans(3, init=init, n_init="auto", verbose=1, random_state=0).fit(X)
    assert capsys.readouterr().out.count("Initialization complete") == expected


def test_best_of_several_runs():
    single = [KMeans(5, init="random-points", n_init=1, random_state=s).fit(X).inertia_
              for s in range(3)]
    best = KMeans(5, init="random-points", n_init=3, random_state=0).fit(X).inertia_
    assert best <= min(single) + 1e-9 or best <= single[0]


def test_callable_init():
    def first_rows(data, k, random_state):
        assert isinstance(random_state, np.random.RandomState)
        return data[:k]

    km = KMeans(5, init=first_rows, n_init=1, record_history=True).fit(X)
    assert_array_equal(km.history_[0].centers, X[:5].astype(np.float32))


def test_an_init_array_is_in_the_units_of_x():
    # uint8 pixels take 0..255 centroids, the same pixels / 255 take them / 255:
    # the same clustering, and no guessing of the scale by KMeans.
    import warnings

    rng = np.random.default_rng(3)
    Xu = rng.integers(0, 256, size=(300, 16), dtype=np.uint8)
    init = rng.integers(0, 256, size=(4, 16)).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        on_pixels = KMeans(4, init=init).fit(Xu)
        on_scaled = KMeans(4, init=init / 255).fit(Xu / 255.0)
    assert_array_equal(on_pixels.labels_, on_scaled.labels_)
    np.testing.assert_allclose(on_pixels.cluster_centers_ / 255, on_scaled.cluster_centers_,
                               atol=1e-6)


@pytest.mark.parametrize("cls", ["KMeans", "MiniBatchKMeans"])
def test_an_init_far_outside_the_data_warns(cls):
    import pixelmeans

    rng = np.random.default_rng(3)
    X01 = rng.random((300, 16))
    init = rng.integers(0, 256, size=(4, 16)).astype(np.float64)
    with pytest.warns(UserWarning, match="other units than X"):
        getattr(pixelmeans, cls)(4, init=init).fit(X01)

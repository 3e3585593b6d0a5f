"""Same answer as scikit-learn's KMeans(algorithm="lloyd") from the same initial centroids."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus

from pixelmeans import KMeans, kmeans_plusplus

from cluster_helpers import DROP_INIT, DROP_X, blobs


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_as_sklearn_lloyd_on_mnist(mnist_test_pixels, dtype):
    # Real MNIST images (the bundled 10k test split), pixels scaled to [0, 1].
    X = mnist_test_pixels.astype(dtype) / dtype(255)
    init, _ = kmeans_plusplus(X, 10, random_state=0)

    ours = KMeans(10, init=init).fit(X)
    ref = SKKMeans(10, init=init, n_init=1, algorithm="lloyd").fit(X)

    assert ours.n_iter_ == ref.n_iter_
    assert_array_equal(ours.labels_, ref.labels_)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=rtol)
    assert ours.cluster_centers_.dtype == dtype
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=0,
                    atol=1e-5 if dtype == np.float32 else 1e-12)
    assert ours.converged_


@pytest.mark.parametrize("seed", range(3))
def test_same_as_sklearn_on_blobs_with_weights(seed):
    X = blobs(n=200, d=5, centers=6, seed=seed, spread=2.0)
    w = np.random.default_rng(seed).integers(1, 4, size=len(X)).astype(float)
    init, _ = kmeans_plusplus(X, 6, sample_weight=w, random_state=seed)
    ours = KMeans(6, init=init, tol=0).fit(X, sample_weight=w)
    ref = SKKMeans(6, init=init, n_init=1, tol=0).fit(X, sample_weight=w)
    assert ours.n_iter_ == ref.n_iter_
    assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-12)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, atol=1e-12)


def test_relocation_of_empty_clusters_as_sklearn():
    ours = KMeans(12, init=DROP_INIT).fit(DROP_X)
    ref = SKKMeans(12, init=DROP_INIT, n_init=1).fit(DROP_X)
    assert ours.n_iter_ == ref.n_iter_
    assert_array_equal(ours.labels_, ref.labels_)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, atol=1e-12)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_kmeans_plusplus_draws_as_sklearn(seed):
    X = blobs(n=300, d=4, centers=8, seed=seed, spread=1.5)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, size=len(X))
    for sample_weight in (None, w):
        ours_c, ours_i = kmeans_plusplus(X, 8, sample_weight=sample_weight, random_state=seed)
        ref_c, ref_i = sk_kmeans_plusplus(X, 8, sample_weight=sample_weight, random_state=seed)
        assert_array_equal(ours_i, ref_i)
        assert_array_equal(ours_c, ref_c)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_kmeans_plusplus_draws_as_sklearn_on_float32_images(seed, weighted, mnist_test_pixels):
    # 784 features and k >= 16: the pruned, projected kernel does the work, and its
    # float32 distances, potentials and running sums must be scikit-learn's bit for
    # bit, or the draws part after a few centres (as they did, at k = 100, for 3 of
    # these 8 cases when pixelmeans summed exact float64 distances).
    X = mnist_test_pixels.astype(np.float32) / np.float32(255)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, size=len(X)) if weighted else None
    _, ours = kmeans_plusplus(X, 100, sample_weight=w, random_state=seed)
    _, ref = sk_kmeans_plusplus(X, 100, sample_weight=w, random_state=seed)
    assert_array_equal(ours, ref)


def test_default_fit_matches_sklearn_default():
    # Same k-means++ draws, same Lloyd iterations: the default fits agree too.
    X = blobs(n=300, d=3, centers=5, seed=3, spread=1.0)
    ours = KMeans(5, random_state=42).fit(X)
    ref = SKKMeans(5, random_state=42).fit(X)
    assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-12)

"""Spherical k-means against a brute-force NumPy reference."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans import KMeans


def reference_spherical(X, init, max_iter):
    """Lloyd with the centroids scaled to unit length after init and every update."""
    def unit(C):
        n = np.linalg.norm(C, axis=1, keepdims=True)
        return C / np.where(n == 0, 1, n)

    C = unit(np.asarray(init, dtype=np.float64))
    labels = None
    for it in range(1, max_iter + 1):
        d2 = ((X[:, None, :] - C[None]) ** 2).sum(-1)
        new = d2.argmin(1)
        C_new = C.copy()
        for j in range(len(C)):
            if np.any(new == j):
                C_new[j] = X[new == j].mean(0)
        C_new = unit(C_new)
        if labels is not None and np.array_equal(new, labels):
            return C, new, it
        labels, C = new, C_new
    return C, labels, max_iter


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("normalise", [True, False])
def test_spherical_matches_reference(seed, normalise):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(150, 6)) + rng.integers(-3, 4, size=(150, 1))
    if normalise:
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    init = X[rng.choice(len(X), 5, replace=False)]
    C_ref, labels_ref, n_ref = reference_spherical(X, init, 100)

    km = KMeans(5, init=init, spherical=True, tol=0, algorithm="lloyd").fit(X)
    assert_allclose(np.linalg.norm(km.cluster_centers_, axis=1), 1.0, rtol=1e-12)
    assert_allclose(km.cluster_centers_, C_ref, atol=1e-10)
    d2 = ((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(-1)
    assert_array_equal(km.labels_, d2.argmin(1))
    assert km.inertia_ == pytest.approx(d2.min(1).sum(), rel=1e-10)
    assert km.n_iter_ == n_ref
    assert_array_equal(km.labels_, labels_ref)


@pytest.mark.parametrize("algorithm", ["hamerly", "elkan", "yinyang"])
def test_spherical_is_the_same_with_every_kernel(algorithm):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 8)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    base = KMeans(7, spherical=True, random_state=0, algorithm="lloyd").fit(X)
    other = KMeans(7, spherical=True, random_state=0, algorithm=algorithm).fit(X)
    assert_array_equal(other.labels_, base.labels_)
    assert other.n_iter_ == base.n_iter_


def test_centroids_are_unit_length_in_float32_far_from_the_origin():
    # Pixels 0..255: the kernels' shift (the data mean) is large; the final centroids
    # are still of unit length to float32 precision.
    X = np.random.default_rng(0).integers(0, 256, (500, 20)).astype(np.uint8)
    km = KMeans(4, random_state=0, spherical=True).fit(X)
    assert km.cluster_centers_.dtype == np.float32
    assert_allclose(np.linalg.norm(km.cluster_centers_.astype(np.float64), axis=1), 1.0,
                    rtol=1e-6)
    assert_array_equal(km.labels_, km.predict(X))

"""The Lloyd pass from the nonzero entries of raw rows gives the gemm pass's labels and
inertia exactly: same dtypes, near and exact ties, rows that are not finite."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from pixelmeans import KMeans
from pixelmeans.cluster import kernels as K

from cluster_helpers import brute_sqdist


def both_paths(monkeypatch, X, C, **kw):
    out = []
    for sparse in (False, True):
        monkeypatch.setattr(K, "use_sparse_dots", lambda f, k, s=sparse: s)
        out.append(K.labels_inertia(X, C, **kw))
    return out


def images(mnist_test_pixels, dtype, n=3000):
    X = mnist_test_pixels[:n].reshape(n, -1)
    if dtype == np.uint8:
        return np.ascontiguousarray(X)
    return (X / 255).astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_same_labels_and_inertia_as_the_gemm_pass(monkeypatch, dtype, mnist_test_pixels):
    X = images(mnist_test_pixels, dtype)
    rng = np.random.default_rng(0)
    C = X[rng.choice(len(X), 200, replace=False)].astype(np.float64)
    C[:100] += rng.normal(scale=0.02 * C.max(), size=(100, C.shape[1]))
    C[150:160] = C[140:150]  # exact duplicates: ties go to the first index
    (lab_g, in_g), (lab_s, in_s) = both_paths(monkeypatch, X, C)
    assert_array_equal(lab_s, lab_g)
    assert in_s == in_g
    assert not np.isin(lab_g, np.arange(150, 160)).any()
    d2 = brute_sqdist(X, C)
    assert_array_equal(lab_g, d2.argmin(axis=1))
    # labels alone take the path that shifts a row only for its near ties
    lab_lazy = both_paths(monkeypatch, X, C, return_inertia=False)[1]
    assert_array_equal(lab_lazy, lab_g)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_exact_ties_on_a_coarse_grid(monkeypatch, dtype):
    # mostly zeros and values on a grid: many points are equally far from two centres
    rng = np.random.default_rng(1)
    X = (rng.integers(0, 3, size=(2000, 40)) * (rng.random((2000, 40)) < 0.3)).astype(dtype)
    C = X[rng.choice(2000, 120, replace=False)].astype(np.float64)
    C[60:] = np.clip(C[60:] + rng.integers(-1, 2, size=C[60:].shape), 0, None)
    d2 = brute_sqdist(X, C)
    first_nearest = (d2 == d2.min(axis=1, keepdims=True)).argmax(axis=1)
    assert (np.sort(d2, axis=1)[:, 1] == d2.min(axis=1)).sum() > 100  # ties do occur
    (lab_g, in_g), (lab_s, in_s) = both_paths(monkeypatch, X, C)
    assert_array_equal(lab_s, first_nearest)
    assert_array_equal(lab_g, first_nearest)
    assert in_s == in_g
    lab_g, lab_s = both_paths(monkeypatch, X, C, return_inertia=False)
    assert_array_equal(lab_s, first_nearest)
    assert_array_equal(lab_g, first_nearest)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rows_that_are_not_finite(monkeypatch, bad, mnist_test_pixels):
    X = images(mnist_test_pixels, np.float32, n=500)
    C = X[:180].astype(np.float64) + 0.01
    X[[3, 499], [0, 700]] = bad
    (lab_g, _), (lab_s, _) = both_paths(monkeypatch, X, C)
    lazy = both_paths(monkeypatch, X, C, return_inertia=False)[1]
    for got in (lab_s, lazy):
        assert got[3] == -1 and got[499] == -1
        assert_array_equal(got, lab_g)


def test_a_fit_takes_the_sparse_pass_on_images_with_many_centres(mnist_test_pixels):
    X = images(mnist_test_pixels, np.float32, n=2000)
    assert K.use_sparse_dots(K.nonzero_fraction(X), 200)
    assert not K.use_sparse_dots(K.nonzero_fraction(X), 10)
    assert not K.use_sparse_dots(0.5, 10_000)  # dense data: never
    km = KMeans(200, algorithm="lloyd", n_init=1, max_iter=3, random_state=0).fit(X)
    assert_array_equal(km.predict(X), brute_sqdist(X, km.cluster_centers_).argmin(axis=1))


def test_nonzero_fraction():
    X = np.zeros((5000, 10), dtype=np.uint8)
    X[:, :3] = 1
    assert K.nonzero_fraction(X) == pytest.approx(0.3)
    assert K.nonzero_fraction(np.zeros((0, 4))) == 1.0

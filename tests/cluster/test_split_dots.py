"""Dot products of raw rows split by columns (a gemm over the often-nonzero columns, the
nonzero entries of the others one by one) give the plain gemm's labels and inertia
exactly, in the Lloyd pass and in the bound-based kernels: same dtypes, near and exact
ties, rows that are not finite."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from pixelmeans import KMeans
from pixelmeans.cluster import _dots as D
from pixelmeans.cluster import bounds as B
from pixelmeans.cluster import kernels as K

from cluster_helpers import brute_sqdist


def forced(way):
    """A column_split that always answers ``way``: the plain gemm, every column entry
    by entry, or the first half of the columns by gemm."""
    def split(X, n_clusters):
        d = X.shape[1]
        if way == "gemm":
            return None
        n_dense = 0 if way == "entries" else d // 2
        return np.arange(n_dense, dtype=np.int64), np.arange(n_dense, d, dtype=np.int64)
    return split


WAYS = ("gemm", "entries", "split")


def both_paths(monkeypatch, X, C, **kw):
    """labels_inertia by the plain gemm, then by each raw way; the results of the raw
    ways must agree with each other (returned: plain, split)."""
    out = {}
    for way in WAYS:
        monkeypatch.setattr(K, "column_split", forced(way))
        out[way] = K.labels_inertia(X, C, **kw)
    if kw.get("return_inertia", True):
        assert_array_equal(out["entries"][0], out["split"][0])
        assert out["entries"][1] == out["split"][1]
    else:
        assert_array_equal(out["entries"], out["split"])
    return out["gemm"], out["split"]


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


@pytest.mark.parametrize("algorithm", ["hamerly", "yinyang", "elkan"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_bounded_kernels_take_the_same_steps_with_split_dots(monkeypatch, algorithm, dtype,
                                                             mnist_test_pixels):
    # the bound-based kernels use the split products where they compute all distances
    # of a chunk's undecided points at once; every step's labels stay the same
    X = images(mnist_test_pixels, dtype, n=2500)
    init = X[np.random.default_rng(2).choice(len(X), 120, replace=False)].astype(np.float64)
    fits = {}
    for way in WAYS:
        monkeypatch.setattr(B, "column_split", forced(way))
        monkeypatch.setattr(K, "column_split", forced(way))
        km = KMeans(120, init=init, algorithm=algorithm, max_iter=8, tol=0,
                    record_history=True).fit(X)
        fits[way] = km
    for way in ("entries", "split"):
        assert fits[way].n_iter_ == fits["gemm"].n_iter_
        assert_array_equal(fits[way].labels_, fits["gemm"].labels_)
        assert fits[way].inertia_ == fits["gemm"].inertia_
        for a, b in zip(fits[way].history_, fits["gemm"].history_):
            assert a.n_changed == b.n_changed
            assert_array_equal(a.centers, b.centers)


def test_the_split_goes_by_how_often_a_column_is_nonzero(mnist_test_pixels):
    X = images(mnist_test_pixels, np.float32, n=2000)
    dense, sparse = D.column_split(X, 256)
    assert np.array_equal(np.sort(np.concatenate([dense, sparse])), np.arange(X.shape[1]))
    nonzero = (X != 0).mean(axis=0)
    assert nonzero[dense].min() > nonzero[sparse].max() - 0.02  # the sample is a subset
    assert 0 < len(dense) < X.shape[1] // 2
    assert D.column_split(X, 10) is None  # few centres: the plain gemm
    assert D.column_split(np.ones((500, 20), np.float32), 10_000) is None  # dense data: never
    assert D.column_split(np.zeros((0, 4)), 256) is None
    km = KMeans(200, algorithm="lloyd", n_init=1, max_iter=3, random_state=0).fit(X)
    assert_array_equal(km.predict(X), brute_sqdist(X, km.cluster_centers_).argmin(axis=1))

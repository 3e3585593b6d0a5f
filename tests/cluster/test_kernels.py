"""The compiled kernels against brute force: chunk and block edges, dtypes, threads."""

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans.cluster import _common as common
from pixelmeans.cluster import kernels as K

from cluster_helpers import brute_sqdist


def data(n, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=(n, d), dtype=np.uint8)
    return (rng.normal(size=(n, d)) * 3 + 1).astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 15, 16, 17, 257, 3000])
def test_squared_distances(dtype, n):
    X = data(n, 20, dtype)
    C = data(7, 20, np.float64, seed=1) * (40 if dtype == np.uint8 else 1)
    C = C.astype(K.compute_dtype(dtype))
    out = K.squared_distances(X, C)
    ref = brute_sqdist(X, C)
    assert out.dtype == K.compute_dtype(dtype) and out.shape == (n, 7)
    rtol = 1e-5 if out.dtype == np.float32 else 1e-11
    assert_allclose(out, ref, rtol=rtol, atol=rtol * ref.max())
    assert (out >= 0).all()


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 100, 5000])
def test_labels_inertia(dtype, n):
    X = data(n, 12, dtype)
    C = X[np.random.default_rng(2).choice(n, min(n, 5), replace=False)].astype(np.float64) + 0.25
    w = np.random.default_rng(3).uniform(0.5, 2, size=n)
    labels, inertia = K.labels_inertia(X, C, w)
    d2 = brute_sqdist(X, C)
    assert labels.dtype == np.int32
    assert_array_equal(labels, d2.argmin(axis=1))
    assert inertia == pytest.approx(d2.min(axis=1) @ w, rel=1e-6 if dtype != np.float64 else 1e-12)
    assert_array_equal(K.labels_inertia(X, C, return_inertia=False), labels)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_column_stats(dtype):
    X = data(2000, 9, dtype)
    mean, var, lo, hi = K.column_stats(X)
    X64 = X.astype(np.float64)
    assert_allclose(mean, X64.mean(axis=0), rtol=1e-12)
    assert_allclose(var, X64.var(axis=0), rtol=1e-10)
    assert_array_equal(lo, X64.min(axis=0))
    assert_array_equal(hi, X64.max(axis=0))


def test_column_stats_of_a_large_offset():
    X = 1e6 + np.random.default_rng(0).normal(size=(1000, 3))
    mean, var, _, _ = K.column_stats(X)
    assert_allclose(var, X.var(axis=0), rtol=1e-6)


def test_lloyd_kernel_step_sums():
    X = data(1000, 6, np.float64)
    w = np.random.default_rng(1).uniform(0, 2, size=1000)
    shift = X.mean(axis=0)
    C = X[:4] - shift
    kern = K.LloydKernel(X, w, shift, 4, np.float64)
    labels = np.full(1000, -1, dtype=np.int32)
    res = kern.step(C, labels)
    d2 = brute_sqdist(X - shift, C)
    assert_array_equal(labels, d2.argmin(axis=1))
    assert res.n_changed == 1000
    for j in range(4):
        members = labels == j
        assert res.weight_sums[j] == pytest.approx(w[members].sum())
        assert_allclose(res.sums[j], (w[members, None] * (X[members] - shift)).sum(0), atol=1e-10)
    assert res.inertia == pytest.approx(d2.min(axis=1) @ w, rel=1e-12)
    assert kern.step(C, labels).n_changed == 0


def test_blocks_depend_on_shapes_only():
    b = common.block_bounds(1000, common.n_blocks(1000, 10, 5, 16), 16)
    assert b[0] == 0 and b[-1] == 1000 and np.all(np.diff(b) >= 0)
    assert np.all(b[:-1] % 16 == 0)
    assert common.n_blocks(10**6, 10**4, 10**3, 64) == 1  # partial sums would not fit


def test_serial_and_parallel_paths_agree(monkeypatch):
    X = data(4000, 30, np.float32)
    C = X[:8].astype(np.float64)
    w = np.random.default_rng(0).uniform(0.5, 2, size=len(X))
    shift = X.mean(axis=0, dtype=np.float64).astype(np.float32)

    def run():
        kern = K.LloydKernel(X, w, shift, 8, np.float32)
        labels = np.full(len(X), -1, dtype=np.int32)
        res = kern.step((C - shift).astype(np.float32), labels)
        return labels, res.sums.copy(), res.weight_sums.copy(), res.inertia

    monkeypatch.setattr(common, "_PARALLEL_MIN_WORK", 0)
    assert common.parallel_worth_it(len(X), X.shape[1], 8, 2)
    parallel = run()
    monkeypatch.setattr(common, "_PARALLEL_MIN_WORK", 2**62)
    assert not common.parallel_worth_it(len(X), X.shape[1], 8, 2)
    serial = run()
    for a, b in zip(parallel, serial):
        assert_array_equal(a, b)


def test_same_result_whatever_the_number_of_threads(monkeypatch):
    from pixelmeans import KMeans

    monkeypatch.setattr(common, "_PARALLEL_MIN_WORK", 0)
    X = data(3000, 16, np.float32, seed=4)
    results = []
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(threads)
        try:
            results.append(KMeans(6, random_state=0).fit(X))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    for km in results[1:]:
        assert_array_equal(km.cluster_centers_, results[0].cluster_centers_)
        assert_array_equal(km.labels_, results[0].labels_)
        assert km.inertia_ == results[0].inertia_


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_labels_inertia_marks_rows_that_are_not_finite(bad):
    rng = np.random.default_rng(3)
    X = rng.random((300, 7)).astype(np.float32)
    C = X[:4].copy()
    expect = K.labels_inertia(X, C, return_inertia=False)
    X[[5, 299], [0, 6]] = bad
    got = K.labels_inertia(X, C, return_inertia=False)
    assert got[5] == -1 and got[299] == -1
    keep = np.ones(300, bool)
    keep[[5, 299]] = False
    assert_array_equal(got[keep], expect[keep])

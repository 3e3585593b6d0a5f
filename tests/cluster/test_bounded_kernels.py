"""The bound-based kernels (Hamerly, Yinyang, Elkan) give Lloyd's labels at every step.

"Same answer" means: the same labels after every step (so the same ``n_iter_``), the
same final labels, and centres/inertia equal up to float64 rounding of the sums
(the bounded kernels update the sums incrementally).
"""

import warnings

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans import KMeans, kmeans_plusplus
from pixelmeans.cluster import _common as common
from pixelmeans.cluster import bounds as B
from pixelmeans.cluster import kernels as K
from pixelmeans.cluster import lloyd as L

from cluster_helpers import DROP_INIT, DROP_X, blobs, brute_sqdist

BOUNDED = ["hamerly", "yinyang", "elkan"]


def fit(X, k, init, algorithm, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KMeans(k, init=init, algorithm=algorithm, **params).fit(X)


def assert_same_run(a, b, rtol):
    assert a.n_iter_ == b.n_iter_
    assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == pytest.approx(b.inertia_, rel=rtol)
    scale = max(1.0, float(np.abs(b.cluster_centers_).max()))
    assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=0, atol=rtol * scale)


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", BOUNDED)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("k", [10, 40])
def test_same_as_lloyd_on_mnist(mnist_test_pixels, algorithm, dtype, k):
    X = mnist_test_pixels[:3000]
    X = X if dtype == np.uint8 else X.astype(dtype) / dtype(255)
    init, _ = kmeans_plusplus(X, k, random_state=k)
    ref = fit(X, k, init, "lloyd", record_history=True)
    ours = fit(X, k, init, algorithm, record_history=True)
    assert_same_run(ours, ref, 1e-5 if dtype != np.float64 else 1e-12)
    # Step by step: the same number of points changed at every step.
    assert [h.n_changed for h in ours.history_] == [h.n_changed for h in ref.history_]
    assert ours.converged_ and ours.cluster_centers_.dtype == ref.cluster_centers_.dtype


@pytest.mark.parametrize("algorithm", BOUNDED)
@pytest.mark.parametrize("policy", ["relocate", "drop", "keep"])
def test_empty_cluster_policies_as_lloyd(algorithm, policy):
    ref = fit(DROP_X, 12, DROP_INIT, "lloyd", empty_clusters=policy, record_history=True)
    ours = fit(DROP_X, 12, DROP_INIT, algorithm, empty_clusters=policy, record_history=True)
    assert_same_run(ours, ref, 1e-12)
    for h, g in zip(ours.history_, ref.history_, strict=True):
        assert_array_equal(h.ids, g.ids)


@pytest.mark.parametrize("algorithm", BOUNDED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weighted_blobs_as_lloyd(algorithm, dtype):
    X = blobs(n=3000, d=12, centers=25, seed=5, spread=3.0).astype(dtype)
    w = np.random.default_rng(0).uniform(0.2, 3.0, size=len(X))
    init, _ = kmeans_plusplus(X, 25, sample_weight=w, random_state=0)
    ref = KMeans(25, init=init, algorithm="lloyd", tol=0).fit(X, sample_weight=w)
    ours = KMeans(25, init=init, algorithm=algorithm, tol=0).fit(X, sample_weight=w)
    assert_same_run(ours, ref, 1e-5 if dtype == np.float32 else 1e-12)


@st.composite
def grid_problems(draw):
    """Small data on a coarse grid: duplicates and exact distance ties are common."""
    n = draw(st.integers(2, 60))
    d = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(scale=3.0, size=(n, d))) * draw(st.sampled_from([1.0, 0.5]))
    X = X + draw(st.sampled_from([0.0, 1000.0]))
    k = draw(st.integers(1, min(n, 12)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return X.astype(dtype), k, seed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_problems(), st.sampled_from(BOUNDED), st.sampled_from(["relocate", "drop", "keep"]))
def test_ties_broken_as_lloyd(problem, algorithm, policy):
    X, k, seed = problem
    init = X[np.random.default_rng(seed).choice(len(X), k, replace=False)]
    ref = fit(X, k, init, "lloyd", empty_clusters=policy, record_history=True, tol=0)
    ours = fit(X, k, init, algorithm, empty_clusters=policy, record_history=True, tol=0)
    assert_same_run(ours, ref, 1e-5 if X.dtype == np.float32 else 1e-12)
    for h, g in zip(ours.history_, ref.history_, strict=True):
        assert h.n_changed == g.n_changed
        assert_array_equal(h.ids, g.ids)


def test_exact_ties_go_to_the_first_centre():
    # Every point is exactly halfway between centres 0 and 1 (and 2 is a copy of 1).
    X = np.array([[0.0, y] for y in range(-3, 4)])
    C = np.array([[-1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    for algorithm in ["lloyd", *BOUNDED]:
        km = fit(X, 3, C, algorithm, max_iter=1, empty_clusters="keep")
        assert (km.labels_ == 0).all(), algorithm
    assert (K.labels_inertia(X, C[1:], return_inertia=False) == 0).all()


@pytest.mark.parametrize("n_groups", [1, 3, 7])
def test_bounds_stay_valid(n_groups):
    # After every step: upper >= distance to own centre, lower_g <= distance to every
    # other centre of group g; and the labels are the exact nearest centres.
    rng = np.random.default_rng(n_groups)
    X = (rng.normal(size=(2000, 16)) * 2 + rng.integers(0, 4, size=(2000, 1))).astype(np.float32)
    w = np.ones(len(X))
    shift = K.round_shift(X.mean(0), np.abs(X).max(0), np.float32)
    k = 14
    kern = B.BoundedKernel(X, w, shift, k, np.float32, n_groups=n_groups)
    C = (X[:k] - shift).astype(np.float32)
    labels = np.full(len(X), -1, dtype=np.int32)
    Xs = (X - shift).astype(np.float32)
    for _ in range(12):
        res = kern.step(C, labels)
        d = np.sqrt(brute_sqdist(Xs, C))
        assert_array_equal(labels, d.argmin(axis=1))
        assert (kern.upper.astype(np.float64) >= d[np.arange(len(X)), labels]).all()
        for g in range(kern.gstart.size - 1):
            members = kern.gmembers[kern.gstart[g]:kern.gstart[g + 1]]
            others = np.where(members[None, :] == labels[:, None], np.inf, d[:, members])
            assert (kern.lower[:, g].astype(np.float64) <= others.min(axis=1)).all()
        C = (res.sums / np.maximum(res.weight_sums, 1e-300)[:, None]).astype(np.float32)


def test_incremental_sums_equal_fresh_sums():
    X = blobs(n=5000, d=8, centers=20, seed=2, spread=4.0).astype(np.float32)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=len(X))
    shift = K.round_shift(X.mean(0), np.abs(X).max(0), np.float32)
    kern = B.YinyangKernel(X, w, shift, 20, np.float32)
    lloyd = K.LloydKernel(X, w, shift, 20, np.float32)
    C = (X[:20] - shift).astype(np.float32)
    labels = np.full(len(X), -1, dtype=np.int32)
    for _ in range(8):
        res = kern.step(C, labels, want_sqdist=True)
        ref_labels = labels.copy()
        ref = lloyd.step(C, ref_labels)
        assert_array_equal(labels, ref_labels)
        assert_allclose(res.sums, ref.sums, rtol=1e-12, atol=1e-9)
        assert_allclose(res.weight_sums, ref.weight_sums, rtol=1e-12)
        assert res.inertia == pytest.approx(ref.inertia, rel=1e-12)
        C = (res.sums / res.weight_sums[:, None]).astype(np.float32)


@pytest.mark.parametrize("algorithm", BOUNDED)
def test_serial_and_parallel_paths_agree(monkeypatch, algorithm):
    X = blobs(n=6000, d=20, centers=30, seed=1, spread=3.0).astype(np.float32)
    init, _ = kmeans_plusplus(X, 30, random_state=0)
    monkeypatch.setattr(common, "_PARALLEL_MIN_WORK", 0)
    assert common.parallel_worth_it(len(X), X.shape[1], 30, 2)
    parallel = KMeans(30, init=init, algorithm=algorithm).fit(X)
    monkeypatch.setattr(common, "_PARALLEL_MIN_WORK", 2**62)
    assert not common.parallel_worth_it(len(X), X.shape[1], 30, 2)
    serial = KMeans(30, init=init, algorithm=algorithm).fit(X)
    assert_array_equal(parallel.labels_, serial.labels_)
    assert_array_equal(parallel.cluster_centers_, serial.cluster_centers_)
    assert parallel.inertia_ == serial.inertia_ and parallel.n_iter_ == serial.n_iter_


@pytest.mark.parametrize("algorithm", BOUNDED)
def test_same_result_whatever_the_number_of_threads(monkeypatch, algorithm):
    monkeypatch.setattr(common, "_PARALLEL_MIN_WORK", 0)
    X = blobs(n=4000, d=16, centers=12, seed=4, spread=3.0).astype(np.float32)
    results = []
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(threads)
        try:
            results.append(KMeans(12, random_state=0, algorithm=algorithm).fit(X))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    for km in results[1:]:
        assert_array_equal(km.cluster_centers_, results[0].cluster_centers_)
        assert_array_equal(km.labels_, results[0].labels_)
        assert km.inertia_ == results[0].inertia_


def test_auto_chooses_by_shape():
    assert L.choose_kernel("auto", 1, 784, 60000) is K.LloydKernel
    assert L.choose_kernel("auto", 10, 2, 50) is K.LloydKernel  # tiny: bounds do not pay
    assert L.choose_kernel("auto", 10, 784, 60000).name == "elkan"
    assert L.choose_kernel("auto", 256, 784, 1_000_000).name == "elkan"  # 1.02e9 bytes
    # Elkan's n x k float32 bounds stay within the budget, whatever n: Yinyang beyond.
    fits = L.AUTO_ELKAN_BYTES // (4 * 256)
    assert L.choose_kernel("auto", 256, 784, fits).name == "elkan"
    assert L.choose_kernel("auto", 256, 784, fits + 1).name == "yinyang"
    assert L.choose_kernel("auto", 256, 784, 8_100_000).name == "yinyang"
    assert L.choose_kernel("auto", 10, 784, 8_100_000).name == "elkan"  # 0.32 GB
    for name in ["lloyd", *BOUNDED]:
        assert L.choose_kernel(name, 10, 784, 60000) is L.KERNELS[name]


def test_yinyang_groups_partition_the_centres():
    C = blobs(n=50, d=3, centers=5, seed=0)
    group_of, gstart, gmembers = B.yinyang_groups(C, 5)
    assert sorted(gmembers.tolist()) == list(range(50))
    assert gstart[0] == 0 and gstart[-1] == 50 and np.all(np.diff(gstart) > 0)
    for g in range(gstart.size - 1):
        assert (group_of[gmembers[gstart[g]:gstart[g + 1]]] == g).all()

"""KMeans on a Dask array, on a real LocalCluster of two worker processes (loopback).

The single-process fit is the reference: from the same start, the same labels,
centres and steps (uint8 pixels: bit for bit), the same inertia to float64 rounding.
"""

import os
import signal
import sys
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="needs the dask extra: pip install 'pixelmeans[dask]'")
distributed = pytest.importorskip("distributed")

from pixelmeans import KMeans  # noqa: E402
from pixelmeans.cluster import distributed as dk  # noqa: E402
from pixelmeans.cluster.kernels import compute_dtype, data_shift, labels_inertia  # noqa: E402
from pixelmeans.errors import InputError, MissingDependencyError  # noqa: E402

N_CHUNKS = 6
K = 20


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def pixels(mnist_test_pixels):
    """3,000 MNIST test images shrunk to 8 x 8 (uint8, 64 features): real pixel data."""
    x = mnist_test_pixels[:3000].reshape(-1, 7, 4, 7, 4).astype(np.float64).mean(axis=(2, 4))
    x = x.reshape(3000, -1)[:, :64]
    return np.ascontiguousarray(np.round(x), dtype=np.uint8)


def _chunked(X):
    return da.from_array(X, chunks=(-(-X.shape[0] // N_CHUNKS), -1))


def _both(X, **params):
    one = KMeans(**params).fit(X)
    many = KMeans(**params).fit(_chunked(X))
    return one, many


def _assert_same(one, many, *, exact_centers=True):
    assert many.n_iter_ == one.n_iter_
    np.testing.assert_array_equal(many.labels_, one.labels_)
    if exact_centers:
        np.testing.assert_array_equal(many.cluster_centers_, one.cluster_centers_)
    else:
        np.testing.assert_allclose(many.cluster_centers_, one.cluster_centers_, rtol=1e-5,
                                   atol=1e-6)
    assert many.inertia_ == pytest.approx(one.inertia_, rel=1e-12)
    assert many.converged_ == one.converged_


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_same_fit_as_one_process_uint8(client, pixels, algorithm):
    init = pixels[::150][:K].astype(np.float32)
    one, many = _both(pixels, n_clusters=K, init=init, algorithm=algorithm, tol=0.0,
                      record_history=True)
    assert one.n_iter_ > 5  # a fit with real work to agree on
    _assert_same(one, many)
    for a, b in zip(one.history_, many.history_):
        np.testing.assert_array_equal(a.centers, b.centers)
        assert a.n_changed == b.n_changed


def test_integer_weights_add_up_on_the_workers_to_the_same_fit(client, pixels):
    # uint8 pixels, integer weights: each worker adds its chunks' sums before they
    # come back (exact in any order), and the fit is the single-process one bit for bit.
    w = (np.arange(pixels.shape[0]) % 4).astype(np.float64)
    init = pixels[::150][:K].astype(np.float32)
    _, chunks = dk._prepare(client, _chunked(pixels), w)
    assert chunks.exact_sums and len(chunks) == N_CHUNKS
    msg = {"run": 0, "t": 0, "kernel": "lloyd", "shift": init[0], "centers": init,
           "prev": None, "keep": None, "want_inertia": False}
    per_worker = chunks.call("step", msg, combine=dk._add_steps)
    assert len(per_worker) == len(set(chunks._placement().values())) < N_CHUNKS
    one = KMeans(n_clusters=K, init=init, algorithm="hamerly", tol=0.0).fit(pixels, sample_weight=w)
    many = KMeans(n_clusters=K, init=init, algorithm="hamerly", tol=0.0).fit(
        _chunked(pixels), sample_weight=w)
    _assert_same(one, many)


@pytest.mark.parametrize("make", [lambda p: (p, np.full(p.shape[0], 0.5)),
                                  lambda p: (p.astype(np.float32), None)])
def test_inexact_sums_come_back_per_chunk(client, pixels, make):
    X, w = make(pixels)
    _, chunks = dk._prepare(client, _chunked(X), w)
    assert not chunks.exact_sums


def test_same_fit_as_one_process_float32(client, pixels):
    X = (pixels / np.float32(255)).astype(np.float32)
    init = X[::150][:K].copy()
    one, many = _both(X, n_clusters=K, init=init, algorithm="hamerly", tol=1e-4)
    _assert_same(one, many, exact_centers=False)


@pytest.mark.parametrize("policy", ["relocate", "drop", "keep"])
def test_empty_clusters_as_one_process(client, pixels, policy):
    # One centre far beyond the data (empty after the first assignment), one on a
    # duplicate of another (loses all its points to the first of the two).
    init = pixels[::300][:8].astype(np.float32)
    init[5] = 1000.0
    init[7] = init[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # far init; fewer distinct clusters with "keep"
        one, many = _both(pixels, n_clusters=8, init=init, algorithm="lloyd", tol=0.0,
                          empty_clusters=policy)
    _assert_same(one, many)
    if policy == "drop":
        assert one.cluster_centers_.shape[0] < 8


def test_predict_transform_score_are_dask(client, pixels):
    X = _chunked(pixels)
    km = KMeans(n_clusters=K, init=pixels[:K].astype(np.float32), max_iter=5).fit(X)
    one = KMeans(n_clusters=K, init=pixels[:K].astype(np.float32), max_iter=5).fit(pixels)
    labels = km.predict(X)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), one.predict(pixels))
    dist = km.transform(X)
    assert isinstance(dist, da.Array)
    # gemm distances: rounding depends on the rows computed together
    np.testing.assert_allclose(dist.compute(), one.transform(pixels), rtol=1e-5)
    assert km.score(X) == pytest.approx(one.score(pixels), rel=1e-12)
    w = np.arange(pixels.shape[0]) % 3
    assert km.score(X, sample_weight=w) == pytest.approx(one.score(pixels, sample_weight=w),
                                                         rel=1e-12)


def test_column_stats_give_the_single_process_shift(client, pixels):
    X, chunks = dk._prepare(client, _chunked(pixels), None)
    mean, var, lo, hi = dk._column_stats(chunks)
    shift, var1, lo1, hi1 = data_shift(pixels, np.float32)
    np.testing.assert_array_equal(lo, lo1)
    np.testing.assert_array_equal(hi, hi1)
    np.testing.assert_allclose(var, var1, rtol=1e-12)
    np.testing.assert_array_equal(
        dk.round_shift(mean, np.maximum(np.abs(lo), np.abs(hi)), np.float32), shift)


def test_random_points_init_is_the_single_process_draw(client, pixels):
    one, many = _both(pixels, n_clusters=K, init="random-points", n_init=2, random_state=3,
                      algorithm="elkan", tol=0.0)
    _assert_same(one, many)


def _init_potentials(X, seeds, make):
    out = []
    for seed in seeds:
        centers = make(np.random.RandomState(seed))
        out.append(labels_inertia(X, centers)[1])
    return np.array(out)


def test_kmeans_parallel_has_the_single_process_distribution(client, pixels):
    from scipy.stats import mannwhitneyu

    from pixelmeans.cluster.init import _kmeans_parallel

    dtype = compute_dtype(pixels.dtype)
    shift = data_shift(pixels, dtype)[0]
    w = np.ones(pixels.shape[0])
    _, chunks = dk._prepare(client, _chunked(pixels), None)
    seeds = range(10)
    one = _init_potentials(pixels, seeds,
                           lambda rs: _kmeans_parallel(pixels, K, w, rs, shift))
    many = _init_potentials(pixels, seeds,
                            lambda rs: dk._kmeans_parallel(chunks, K, rs, shift))
    # Same seed, same start (the draws depend on the chunking, not on the workers).
    np.testing.assert_array_equal(dk._kmeans_parallel(chunks, K, np.random.RandomState(0), shift),
                                  dk._kmeans_parallel(chunks, K, np.random.RandomState(0), shift))
    assert mannwhitneyu(one, many).pvalue > 0.01
    assert np.median(many) == pytest.approx(np.median(one), rel=0.05)
    # Far better than random points: the seeding step does its work.
    rand = _init_potentials(pixels, seeds, lambda rs: pixels[rs.choice(len(pixels), K)]
                            .astype(np.float32))
    assert np.median(many) < 0.9 * np.median(rand)


def test_kmeans_plusplus_on_a_sample(client, pixels):
    km = KMeans(n_clusters=K, init="k-means++", random_state=0).fit(_chunked(pixels))
    ref = KMeans(n_clusters=K, init="k-means++", random_state=0).fit(pixels)
    assert km.inertia_ == pytest.approx(ref.inertia_, rel=0.05)
    assert np.unique(km.labels_).size == K


def test_a_worker_killed_mid_fit_gives_the_same_result(client, pixels, monkeypatch):
    init = pixels[::150][:K].astype(np.float32)
    one = KMeans(n_clusters=K, init=init, algorithm="elkan", tol=0.0).fit(pixels)
    pids = client.run(os.getpid)
    calls = []
    real = dk.update_centers

    def kill_on_third_step(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            os.kill(next(iter(pids.values())), signal.SIGKILL)
        return real(*args, **kwargs)

    monkeypatch.setattr(dk, "update_centers", kill_on_third_step)
    many = KMeans(n_clusters=K, init=init, algorithm="elkan", tol=0.0).fit(_chunked(pixels))
    assert len(calls) > 3
    _assert_same(one, many)
    client.wait_for_workers(2, timeout=60)
    assert next(iter(pids.values())) not in client.run(os.getpid).values()  # really killed


def test_unreachable_scheduler_is_one_line():
    with pytest.raises(InputError, match="no Dask scheduler answered") as err:
        dk.connect("tcp://127.0.0.1:9", timeout=1.0)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="local:N"):
        dk.connect("local:zero")


def test_without_dask_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'pixelmeans\[dask\]'"):
        dk._client()


@pytest.mark.parametrize("kernel", ["lloyd", "elkan"])
def test_a_rebuilt_chunk_state_steps_as_the_one_it_replaces(pixels, kernel):
    # No cluster: what a worker does when Dask hands it a state rebuilt from its chunk.
    X = pixels[:500]
    shift = data_shift(pixels, np.float32)[0]
    centers = pixels[::150][:K].astype(np.float32) - shift
    lived = dk.ChunkState(X, None, 0, 0)
    prev, keep = None, None
    for t in range(4):
        msg = {"run": 0, "t": t, "kernel": kernel, "shift": shift, "centers": centers,
               "prev": prev, "keep": keep, "want_inertia": True}
        n_changed, inertia, sums, weight_sums, rebuilt = lived.step(msg)
        assert rebuilt is False
        prev, centers = centers, (sums / np.maximum(weight_sums, 1)[:, None]).astype(np.float32)
    msg = {"run": 0, "t": 4, "kernel": kernel, "shift": shift, "centers": centers,
           "prev": prev, "keep": None, "want_inertia": True}
    rebuilt = dk.ChunkState(X, None, 0, 0).step(msg)
    expected = lived.step(dict(msg))
    assert expected[0] > 0
    assert rebuilt[4] and not expected[4]
    assert rebuilt[0] == expected[0]
    np.testing.assert_array_equal(rebuilt[2], expected[2])
    np.testing.assert_array_equal(rebuilt[3], expected[3])


def test_restarts_under_use_cluster_run_on_it(client, pixels):
    from pixelmeans.restarts import fit_restarts

    init = pixels[::150][:K].astype(np.float32)
    params = dict(k=K, n_init=2, seed=0, init=init, max_iter=50, tol=0.0,
                  empty_clusters="relocate")
    one, _ = fit_restarts(pixels, **params)
    with dk.use_cluster(client.scheduler.address):
        assert dk.is_dask_array(dk.on_cluster(pixels))
        assert dk.on_cluster(pixels) is dk.on_cluster(pixels)  # uploaded once
        many, records = fit_restarts(pixels, **params)
    assert not dk.is_dask_array(dk.on_cluster(pixels))
    assert len(records) == 2
    _assert_same(one, many)


def test_restarts_on_a_cluster_tell_each_step_with_its_time_and_workers(client, pixels, tmp_path):
    """Per-step notes of the restarts (the run's progress) on a cluster, from pixels in
    memory and from a store read chunk by chunk; the models in the features' units."""
    from pixelmeans.data.store import FlatRows, open_store, write_store
    from pixelmeans.restarts import fit_restarts

    init = pixels[::150][:K].astype(np.float32) / 255
    params = dict(k=K, n_init=2, seed=0, init=init, max_iter=30, tol=0.0,
                  empty_clusters="relocate", scale=1 / 255)
    here = []
    one, _ = fit_restarts(pixels, **params, on_step=here.append)
    stack = pixels.reshape(len(pixels), 7, 7)
    store, _, _ = open_store(write_store(tmp_path / "store", len(stack), (7, 7),
                                         lambda lo, hi: (stack[lo:hi], np.zeros(hi - lo, np.uint8)),
                                         attrs={}, chunk=700))
    for data in (pixels, FlatRows(store)):
        there = []
        with dk.use_cluster(client.scheduler.address):
            many, records = fit_restarts(data, **params, on_step=there.append)
        _assert_same(one, many)
        assert [(n.restart, n.step) for n in there] == [(n.restart, n.step) for n in here]
        assert [n.n_changed for n in there] == [n.n_changed for n in here]
        steps = [(a, b) for a, b in zip(here, there) if a.step]
        assert all(b.n_workers == 2 and a.n_workers is None and b.seconds >= 0 for a, b in steps)
        # the same inertia, up to the order of a float64 sum
        assert all(b.inertia == pytest.approx(a.inertia, rel=1e-9) for a, b in steps)
    plain = KMeans(K, init=init * 255, n_init=1, max_iter=30, tol=0.0).fit(pixels)
    np.testing.assert_allclose(one.cluster_centers_, plain.cluster_centers_ / 255, rtol=1e-6)
    assert one.inertia_ == pytest.approx(plain.inertia_ / 255**2, rel=1e-12)


def test_a_callback_sees_the_steps_and_stops_the_fit_on_a_cluster(client, pixels):
    init = pixels[::150][:K].astype(np.float32)
    seen = {}
    for where in ("here", "there"):
        records = seen[where] = []

        def stop_at_three(step):
            records.append((step.step, step.n_changed))
            return step.step == 3

        km = KMeans(K, init=init, n_init=1, tol=0.0, callback=stop_at_three)
        km.fit(pixels if where == "here" else _chunked(pixels))
        assert km.n_iter_ == 3 and not km.converged_
    assert seen["here"] == seen["there"] == [(0, 0)] + seen["here"][1:] and len(seen["here"]) == 4


def test_cli_unreachable_scheduler_exits_2(capsys):
    from pixelmeans.cli import main

    code = main(["run", "--scheduler", "tcp://127.0.0.1:9", "--k", "3"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no Dask scheduler answered" in err


def test_infimnist_generated_on_the_workers(client, mnist_test_pixels):
    from pixelmeans.data.infimnist import generate, infimnist_dask

    source = mnist_test_pixels[:200].reshape(-1, 28, 28)
    X = infimnist_dask(1200, source, seed=5, chunk_rows=300)
    assert X.numblocks == (4, 1)
    local = generate(np.arange(1200), source, seed=5).reshape(1200, -1)
    init = local[:6].astype(np.float32)
    one = KMeans(6, init=init, tol=0.0).fit(local)
    many = KMeans(6, init=init, tol=0.0).fit(X)
    _assert_same(one, many)

"""Data read chunk by chunk (zarr arrays, image stores) gives the bits of the same data in memory."""

import numpy as np
import pytest
import zarr

from pixelmeans import KMeans, MiniBatchKMeans
from pixelmeans.cluster._rows import ArrayRows, ChunkedRows, as_rows, is_chunked
from pixelmeans.cluster.init import _kmeans_plusplus_start
from pixelmeans.cluster.kernels import column_stats, labels_inertia
from pixelmeans.errors import InputError


def _blobs(n, d, k, seed, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, size=(k, d))
    X = centres[rng.integers(0, k, size=n)] + rng.normal(0, 40, size=(n, d))
    X = np.clip(X, 0, 255)
    return X.astype(dtype) if dtype == np.uint8 else (X / 255).astype(dtype)


def _zarr(tmp_path, X, chunk, name="x"):
    z = zarr.create_array(store=str(tmp_path / name), shape=X.shape, chunks=(chunk, *X.shape[1:]),
                          dtype=X.dtype, compressors=None)
    z[:] = X
    return zarr.open_array(str(tmp_path / name), mode="r")


# 20,000 x 64 makes 16 blocks of 1,280 rows: with 500-row chunks (read in 512s) every
# block comes in three pieces, and the fit runs the parallel path.
@pytest.fixture(scope="module")
def data():
    return _blobs(20_000, 64, 12, seed=0)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang", "elkan"])
def test_streamed_fit_is_the_in_memory_fit(tmp_path, data, algorithm):
    z = _zarr(tmp_path, data, 500)
    init = data[np.random.default_rng(1).choice(len(data), 12, replace=False)].astype(np.float32)
    a = KMeans(12, init=init, n_init=1, algorithm=algorithm, max_iter=50).fit(data)
    b = KMeans(12, init=init, n_init=1, algorithm=algorithm, max_iter=50).fit(z)
    assert a.n_iter_ == b.n_iter_ > 2
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.inertia_ == b.inertia_
    np.testing.assert_array_equal(a.predict(data), b.predict(z))
    np.testing.assert_array_equal(a.transform(data), b.transform(z))
    assert a.score(data) == b.score(z)


def test_float_data_and_small_serial_problems(tmp_path):
    X = _blobs(700, 20, 4, seed=3, dtype=np.float32)
    z = _zarr(tmp_path, X, 100)
    for init in ("k-means||", "random-points", "random"):
        a = KMeans(4, init=init, n_init=2, random_state=5).fit(X)
        b = KMeans(4, init=init, n_init=2, random_state=5).fit(z)
        np.testing.assert_array_equal(a.labels_, b.labels_)
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
        assert a.inertia_ == b.inertia_ and a.n_iter_ == b.n_iter_


def test_column_stats_stream(tmp_path, data):
    z = _zarr(tmp_path, data, 300)
    for got, want in zip(column_stats(as_rows(z)), column_stats(data)):
        np.testing.assert_array_equal(got, want)


def test_empty_cluster_relocation_reads_the_far_rows(tmp_path):
    X = _blobs(3000, 16, 3, seed=4)
    z = _zarr(tmp_path, X, 256)
    init = np.vstack([X[:3].astype(np.float32), np.full((1, 16), 1e4, np.float32)])  # one far off
    a = KMeans(4, init=init, n_init=1).fit(X)
    b = KMeans(4, init=init, n_init=1).fit(z)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert np.unique(b.labels_).size == 4


def test_image_stack_is_read_as_rows(tmp_path):
    X = _blobs(2000, 49, 5, seed=6)
    z = _zarr(tmp_path, X.reshape(-1, 7, 7), 512, name="stack")
    a = KMeans(5, random_state=0, init="k-means||").fit(X)
    b = KMeans(5, random_state=0, init="k-means||").fit(z)
    assert b.n_features_in_ == 49
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_kmeans_plusplus_on_chunked_data_uses_a_sample(tmp_path, data):
    z = _zarr(tmp_path, data, 1000)
    rows = as_rows(z)
    shift = np.full(data.shape[1], 128, np.float32)
    w = np.ones(len(data))

    def potential(c):
        return labels_inertia(data, c)[1]

    sampled, full = [], []
    for seed in range(5):
        c = _kmeans_plusplus_start(rows, 12, w, np.random.RandomState(seed), shift)
        again = _kmeans_plusplus_start(rows, 12, w, np.random.RandomState(seed), shift)
        np.testing.assert_array_equal(c, again)
        # the centres are rows of the data
        assert all((data == row.astype(np.uint8)).all(axis=1).any() for row in c)
        sampled.append(potential(c))
        full.append(potential(_kmeans_plusplus_start(data, 12, w, np.random.RandomState(seed),
                                                     shift)))
    # 256 rows per cluster is plenty: the starts are about as good as from every row
    assert np.mean(sampled) <= 1.5 * np.mean(full)


def test_rounds_cut_blocks_at_chunk_boundaries(data):
    rows = ChunkedRows(data, read_rows=1000)  # rounded up to 1,024
    bounds = np.array([0, 1280, 2560, 3000])
    seen = []
    for rnd in rows.rounds(bounds):
        assert len(set(rnd.blocks.tolist())) == rnd.blocks.size
        for b, lo, hi, piece in zip(rnd.blocks, rnd.r0, rnd.r1, rnd.pieces):
            assert lo // 1024 == (hi - 1) // 1024  # one source chunk per piece
            np.testing.assert_array_equal(piece, data[lo:hi])
            seen.append((int(b), int(lo), int(hi)))
    for b in range(3):  # every block whole, in row order
        cuts = [(lo, hi) for bb, lo, hi in seen if bb == b]
        assert cuts[0][0] == bounds[b] and cuts[-1][1] == bounds[b + 1]
        assert all(x[1] == y[0] for x, y in zip(cuts, cuts[1:]))
    np.testing.assert_array_equal(rows.take([2999, 5, 1500, 5]), data[[2999, 5, 1500, 5]])


def test_what_counts_as_chunked(tmp_path, data):
    assert not is_chunked(data) and isinstance(as_rows(data), ArrayRows)
    assert is_chunked(_zarr(tmp_path, data[:10], 5))


def test_bad_chunked_input_gets_one_line(tmp_path):
    bad = _zarr(tmp_path, np.zeros((50, 4), np.int16), 10, name="int16")
    with pytest.raises(InputError, match="uint8, float32 or float64"):
        KMeans(2).fit(bad)
    nan = np.zeros((50, 4), np.float32)
    nan[33, 2] = np.nan
    with pytest.raises(InputError, match="NaN"):
        KMeans(2).fit(_zarr(tmp_path, nan, 10, name="nan"))
    with pytest.raises(InputError, match="MiniBatchKMeans"):
        MiniBatchKMeans(2).fit(_zarr(tmp_path, np.zeros((50, 4), np.float32), 10, name="mb"))
    fitted = KMeans(2, n_init=1).fit(np.random.default_rng(0).random((50, 4)))
    with pytest.raises(InputError, match="features"):
        fitted.predict(_zarr(tmp_path, np.zeros((50, 3), np.float32), 10, name="d3"))

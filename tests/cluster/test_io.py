"""write_centroids / read_centroids: CSV with a key column, .npy; KMeans(init=<file>)."""

import os

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from pixelmeans import InputError, KMeans, read_centroids, write_centroids

from cluster_helpers import blobs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_csv_round_trip_is_exact(tmp_path, dtype):
    rng = np.random.default_rng(0)
    centers = (rng.normal(size=(5, 7)) * 10.0 ** rng.integers(-8, 8, size=(5, 7))).astype(dtype)
    centers[0, :3] = [0.0, 1.0, -0.0]
    path = write_centroids(tmp_path / "c.csv", centers)
    back, keys = read_centroids(path, return_keys=True)
    assert back.dtype == np.float64
    assert_array_equal(back.astype(dtype), centers)
    assert keys == [f"centroid{i}" for i in range(5)]


def test_csv_layout(tmp_path):
    path = tmp_path / "c.csv"
    write_centroids(path, np.array([[0.0, 0.5], [1.0, 0.25]], dtype=np.float32))
    assert path.read_text() == "centroid0,0.0,0.5\ncentroid1,1.0,0.25\n"


def test_keys(tmp_path):
    path = tmp_path / "c.csv"
    write_centroids(path, np.eye(2), keys=["zero", "one"])
    assert read_centroids(path, return_keys=True)[1] == ["zero", "one"]
    with pytest.raises(InputError, match="3 keys for 2 centroids"):
        write_centroids(path, np.eye(2), keys=["a", "b", "c"])
    with pytest.raises(InputError, match="without commas"):
        write_centroids(path, np.eye(2), keys=["a,b", "c"])


def test_csv_without_key_column(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("0.5,1,2\n\n3,4,5e-1\n")
    back, keys = read_centroids(path, return_keys=True)
    assert_array_equal(back, [[0.5, 1, 2], [3, 4, 0.5]])
    assert keys == ["centroid0", "centroid1"]


def test_npy_round_trip(tmp_path):
    centers = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = write_centroids(tmp_path / "c.npy", centers)
    back = read_centroids(path)
    assert back.dtype == np.float32
    assert_array_equal(back, centers)
    with pytest.raises(InputError, match="no keys"):
        write_centroids(tmp_path / "d.npy", centers, keys=["a", "b", "c"])


@pytest.mark.parametrize("text,match", [
    ("", "no centroids"),
    ("c0,1,2\nc1,3\n", "line 2: 1 values, expected 2"),
    ("c0,1,x\n", "line 1: 'x' is not a number"),
    ("c0\n", "no values after the key"),
])
def test_bad_csv(tmp_path, text, match):
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        read_centroids(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such centroids file"):
        read_centroids(tmp_path / "nope.csv")


def test_refuses_non_finite(tmp_path):
    with pytest.raises(InputError, match="NaN or infinity"):
        write_centroids(tmp_path / "c.csv", np.array([[np.nan, 1.0]]))
    with pytest.raises(InputError, match="2-D"):
        write_centroids(tmp_path / "c.csv", np.zeros(3))


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "c.csv"
    write_centroids(path, np.eye(2))
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(RuntimeError):
        write_centroids(path, np.zeros((2, 2)))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]


@pytest.mark.parametrize("suffix", [".csv", ".npy"])
def test_kmeans_init_from_file_equals_init_from_array(tmp_path, suffix):
    X = blobs(n=80, d=3, centers=4, seed=5)
    init = X[[0, 20, 40, 60]]
    path = write_centroids(tmp_path / f"init{suffix}", init)
    from_file = KMeans(4, init=path).fit(X)
    from_str = KMeans(4, init=str(path)).fit(X)
    from_array = KMeans(4, init=init).fit(X)
    for km in (from_file, from_str):
        assert_array_equal(km.cluster_centers_, from_array.cluster_centers_)
        assert_array_equal(km.labels_, from_array.labels_)


def test_fitted_centroids_round_trip(tmp_path):
    X = blobs(n=80, d=3, centers=4, seed=5).astype(np.float32)
    km = KMeans(4, random_state=0).fit(X)
    path = write_centroids(tmp_path / "fit.csv", km.cluster_centers_)
    again = KMeans(4, init=path, max_iter=1).fit(X)
    assert_array_equal(again.labels_, km.labels_)
    assert_array_equal(read_centroids(path).astype(np.float32), km.cluster_centers_)

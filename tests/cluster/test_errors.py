"""Bad input gets scikit-learn-style errors (ValueError subclasses) with clear messages."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans as SKKMeans
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from pixelmeans import InputError, KMeans, kmeans_plusplus, write_centroids

from cluster_helpers import blobs

X = blobs(n=30, d=4, centers=3, seed=1)


@pytest.mark.parametrize("n_clusters", [0, -1])
def test_n_clusters_below_one(n_clusters):
    with pytest.raises(ValueError, match="n_clusters must be >= 1"):
        KMeans(n_clusters).fit(X)


@pytest.mark.parametrize("n_clusters", [2.5, "3", None, True])
def test_n_clusters_not_an_integer(n_clusters):
    with pytest.raises(ValueError, match="n_clusters must be an integer"):
        KMeans(n_clusters).fit(X)


def test_more_clusters_than_samples():
    with pytest.raises(ValueError, match=r"n_samples=30 should be >= n_clusters=31\."):
        KMeans(31).fit(X)
    with pytest.raises(ValueError, match=r"n_samples=30 should be >= n_clusters=31\."):
        kmeans_plusplus(X, 31)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["fit", "predict", "transform", "score"])
def test_nan_or_inf(bad, method):
    Xbad = X.copy()
    Xbad[3, 2] = bad
    km = KMeans(3, random_state=0)
    if method != "fit":
        km.fit(X)
    with pytest.raises(ValueError, match="NaN|infinity"):
        getattr(km, method)(Xbad)


def test_nan_in_kmeans_plusplus():
    Xbad = X.copy()
    Xbad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        kmeans_plusplus(Xbad, 3)


@pytest.mark.parametrize("shape,match", [
    ((2, 4), "does not match the number of clusters 3"),
    ((3, 5), "does not match the number of features of the data 4"),
])
def test_init_array_of_wrong_shape(shape, match):
    with pytest.raises(ValueError, match=match):
        KMeans(3, init=np.zeros(shape)).fit(X)


def test_init_array_with_nan():
    init = X[:3].copy()
    init[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        KMeans(3, init=init).fit(X)


@pytest.mark.parametrize("shape,match", [
    ((4, 4), "does not match the number of clusters 3"),
    ((3, 3), "does not match the number of features of the data 4"),
])
def test_init_csv_of_wrong_shape(tmp_path, shape, match):
    path = tmp_path / "centroids.csv"
    write_centroids(path, np.zeros(shape))
    with pytest.raises(ValueError, match=match) as info:
        KMeans(3, init=str(path)).fit(X)
    assert str(path) in str(info.value)


def test_init_name_that_is_neither_method_nor_file():
    with pytest.raises(InputError,
                       match=r"neither one of k-means\+\+, k-means\|\|, random, random-points"):
        KMeans(3, init="kmeans++").fit(X)


def test_init_of_unknown_type():
    with pytest.raises(InputError, match="init must be one of"):
        KMeans(3, init=3.5).fit(X)


def test_callable_init_returning_wrong_shape():
    with pytest.raises(ValueError, match="number of clusters 3"):
        KMeans(3, init=lambda X, k, random_state: X[:2]).fit(X)


def test_predict_with_wrong_number_of_features():
    km = KMeans(3, random_state=0).fit(X)
    for method in ("predict", "transform", "score"):
        with pytest.raises(ValueError, match="X has 3 features, but KMeans is expecting 4"):
            getattr(km, method)(X[:, :3])


def test_images_must_be_flattened():
    images = np.zeros((10, 4, 4), dtype=np.uint8)
    with pytest.raises(ValueError, match="dim 3"):
        KMeans(2).fit(images)


def test_not_fitted():
    for method in ("predict", "transform", "score"):
        with pytest.raises(NotFittedError):
            getattr(KMeans(3), method)(X)


@pytest.mark.parametrize("params,match", [
    (dict(empty_clusters="delete"), "empty_clusters must be one of relocate, drop, keep"),
    (dict(algorithm="full"), "algorithm must be one of auto, lloyd, hamerly, yinyang, elkan"),
    (dict(max_iter=0), "max_iter must be >= 1"),
    (dict(tol=-1.0), "tol must be >= 0"),
    (dict(tol=float("nan")), "tol must be a finite number"),
    (dict(n_init=0), "n_init must be >= 1"),
    (dict(n_init="many"), "n_init must be an integer"),
    (dict(verbose=-1), "verbose must be >= 0"),
    (dict(record_history="yes"), "record_history must be True or False"),
])
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        KMeans(3, **params).fit(X)


@pytest.mark.parametrize("sample_weight,match", [
    (np.ones(29), r"sample_weight.shape == \(29,\), expected \(30,\)"),
    (np.ones((30, 1)), "sample_weight must be 1-D"),
    (-np.ones(30), "sample_weight must be >= 0"),
    (np.zeros(30), "sample_weight is all zero"),
    (np.full(30, np.nan), "NaN"),
])
def test_bad_sample_weight(sample_weight, match):
    with pytest.raises(ValueError, match=match):
        KMeans(3).fit(X, sample_weight=sample_weight)


def test_fewer_distinct_points_than_clusters_warns_like_sklearn():
    Xdup = np.repeat(X[:3], 5, axis=0)  # 15 samples, 3 distinct
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(3\) found "
                      r"smaller than n_clusters \(5\)"):
        ours = KMeans(5, random_state=0).fit(Xdup)
    with pytest.warns(ConvergenceWarning):
        SKKMeans(5, random_state=0).fit(Xdup)
    assert np.unique(ours.labels_).size == 3
    assert ours.inertia_ == pytest.approx(0.0, abs=1e-9)


def test_explicit_init_with_several_runs_warns():
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        km = KMeans(3, init=X[:3], n_init=4).fit(X)
    assert km.n_iter_ >= 1


def test_no_warning_on_a_normal_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KMeans(3, random_state=0).fit(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("row", [0, 12345, -1])
def test_predict_finds_nan_anywhere_in_a_large_array(dtype, row):
    # predict leaves the finiteness check to its kernel pass: a bad value in any
    # block (parallel path) must still raise scikit-learn's error.
    rng = np.random.default_rng(0)
    big = rng.random((20000, 40)).astype(dtype)
    km = KMeans(5, random_state=0, n_init=1, max_iter=5).fit(big[:2000])
    big[row, 17] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        km.predict(big)


def test_predict_refuses_values_whose_squares_overflow():
    km = KMeans(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="too large"):
        km.predict(X.astype(np.float64) * 1e160)

"""The three empty-cluster policies on a constructed case where a centroid loses its points."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from pixelmeans import KMeans

from cluster_helpers import DROP_INIT, DROP_X, brute_sqdist


def fit(policy, **params):
    return KMeans(12, init=DROP_INIT, empty_clusters=policy, record_history=True,
                  **params).fit(DROP_X)


def test_drop_twelve_in_eleven_out():
    km = fit("drop")
    ks = [h.centers.shape[0] for h in km.history_]
    assert ks[:2] == [12, 12] and ks[2:] == [11] * (len(ks) - 2)  # lost at step 2
    assert km.cluster_centers_.shape == (11, 2)
    assert km._n_features_out == 11 and km.transform(DROP_X).shape == (24, 11)
    dropped = sorted(set(range(12)) - set(km.history_[-1].ids.tolist()))
    assert dropped == [1]
    # Surviving centroids keep their order and their ids; labels index the rows.
    assert_array_equal(km.history_[-1].ids, [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    assert set(np.unique(km.labels_)) == set(range(11))
    assert_array_equal(km.labels_, brute_sqdist(DROP_X, km.cluster_centers_).argmin(axis=1))
    assert_array_equal(km.predict(DROP_X), km.labels_)
    # The kept centroids are the ones of the run with that centroid removed.
    for row, cid in enumerate(km.history_[-1].ids):
        assert_allclose(km.history_[-1].centers[row], km.cluster_centers_[row], rtol=1e-6)
        assert cid in km.history_[1].ids


def test_drop_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit("drop")


def test_drop_verbose_says_so(capsys):
    fit("drop", verbose=1)
    out = capsys.readouterr().out
    assert re.search(r"^Iteration 2, .*1 empty cluster dropped\.$", out, re.M)


def test_keep_leaves_the_centroid_where_it_was():
    with pytest.warns(ConvergenceWarning, match=r"\(11\) found smaller than n_clusters \(12\)"):
        km = fit("keep")
    assert km.cluster_centers_.shape == (12, 2)
    assert 1 not in km.labels_
    # Centroid 1 stays at its position after step 1 (its last points' mean).
    for h in km.history_[1:]:
        assert_array_equal(h.centers[1], km.history_[1].centers[1])
    assert_array_equal(km.cluster_centers_[1], km.history_[1].centers[1])


def test_relocate_moves_it_to_the_farthest_point():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        km = fit("relocate")
    assert km.cluster_centers_.shape == (12, 2)
    assert np.unique(km.labels_).size == 12
    # At step 2 centroid 1 got the point farthest from its centroid at step 1.
    h1, h2 = km.history_[1], km.history_[2]
    d2 = brute_sqdist(DROP_X, h1.centers)
    labels = d2.argmin(axis=1)
    far = np.argmax(d2[np.arange(len(DROP_X)), labels])
    assert_allclose(h2.centers[1], DROP_X[far])


def test_relocate_beats_keep_and_drop_here():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        inertia = {p: fit(p).inertia_ for p in ("relocate", "drop", "keep")}
    assert inertia["relocate"] < inertia["drop"] == pytest.approx(inertia["keep"])


def test_far_away_initial_centroids_are_dropped_at_step_one():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.1, size=(10, 2)) for c in ([0, 0], [5, 0], [0, 5])])
    init = np.concatenate([[[0, 0], [5, 0], [0, 5]], 100 + np.arange(18.0).reshape(9, 2)])
    km = KMeans(12, init=init, empty_clusters="drop", record_history=True).fit(X)
    assert km.cluster_centers_.shape == (3, 2)
    assert_array_equal(km.history_[1].ids, [0, 1, 2])
    assert_allclose(km.cluster_centers_, [X[:10].mean(0), X[10:20].mean(0), X[20:].mean(0)])


@pytest.mark.parametrize("policy", ["relocate", "drop", "keep"])
def test_policies_agree_when_nothing_empties(policy):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    ref = KMeans(4, init=X[:4]).fit(X)
    km = KMeans(4, init=X[:4], empty_clusters=policy).fit(X)
    assert_array_equal(km.labels_, ref.labels_)
    assert_array_equal(km.cluster_centers_, ref.cluster_centers_)


@pytest.mark.parametrize("policy", ["drop", "keep", "relocate"])
def test_an_empty_cluster_casts_no_garbage(policy):
    # The mean of an empty cluster was left uninitialised and then cast to float32:
    # whatever the memory held (here 1e300, from a just-freed buffer of that size)
    # overflowed with a RuntimeWarning.
    from pixelmeans.cluster.update import update_centers

    centers = np.zeros((3, 4), dtype=np.float32)
    weights = np.array([2.0, 0.0, 1.0])
    for _ in range(5):
        sums = np.ones((3, 4))
        junk = np.full((3, 4), 1e300)
        del junk
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            new, _, n_empty = update_centers(centers, sums, weights.copy(), policy)
        assert n_empty == 1 and np.all(np.isfinite(new))

"""Properties of every fit (hypothesis): monotone inertia, nearest labels, centres as means."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans import KMeans

from cluster_helpers import brute_sqdist

SETTINGS = settings(max_examples=75, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw, max_n=40, max_d=4):
    """Small data sets (values on a coarse grid, so duplicates and ties happen) and k."""
    n = draw(st.integers(2, max_n))
    d = draw(st.integers(1, max_d))
    grid = draw(st.sampled_from([1.0, 0.5, 0.125]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(scale=draw(st.sampled_from([1.0, 10.0, 100.0])), size=(n, d)) / grid) * grid
    offset = draw(st.sampled_from([0.0, 1000.0]))
    k = draw(st.integers(1, min(n, 6)))
    weighted = draw(st.booleans())
    w = rng.integers(1, 4, size=n).astype(float) if weighted else None
    return X + offset, k, w, seed


def fit(X, k, w, seed, **params):
    params.setdefault("record_history", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate points: fewer distinct clusters
        return KMeans(k, random_state=seed, **params).fit(X, sample_weight=w)


def scale(X):
    return float(((X - X.mean(axis=0)) ** 2).sum()) + 1.0


@SETTINGS
@given(problems(), st.sampled_from(["relocate", "drop", "keep"]),
       st.sampled_from(["k-means++", "random", "random-points"]))
def test_inertia_never_rises(problem, policy, init):
    X, k, w, seed = problem
    km = fit(X, k, w, seed, empty_clusters=policy, init=init, n_init=1, tol=0)
    inertias = [h.inertia for h in km.history_[1:]]
    slack = 1e-9 * scale(X)
    for before, after in zip(inertias, inertias[1:]):
        assert after <= before + slack
    # The final assignment is to the final centres: no worse than the last step's.
    assert km.inertia_ <= inertias[-1] + slack


@SETTINGS
@given(problems(), st.sampled_from(["relocate", "drop", "keep"]))
def test_every_label_is_the_nearest_centre(problem, policy):
    X, k, w, seed = problem
    km = fit(X, k, w, seed, empty_clusters=policy)
    d2 = brute_sqdist(X, km.cluster_centers_)
    own = d2[np.arange(len(X)), km.labels_]
    assert np.all(own <= d2.min(axis=1) + 1e-9 * scale(X))
    weights = np.ones(len(X)) if w is None else w
    assert km.inertia_ == pytest.approx(own @ weights, rel=1e-9, abs=1e-9 * scale(X))
    assert_array_equal(km.predict(X), km.labels_)


@SETTINGS
@given(problems(), st.sampled_from(["relocate", "drop", "keep"]))
def test_converged_centres_are_the_means_of_their_members(problem, policy):
    X, k, w, seed = problem
    km = fit(X, k, w, seed, empty_clusters=policy, tol=0, max_iter=1000)
    assert km.converged_
    weights = np.ones(len(X)) if w is None else w
    for j, centre in enumerate(km.cluster_centers_):
        members = km.labels_ == j
        if weights[members].sum() > 0:
            mean = np.average(X[members], axis=0, weights=weights[members])
            assert_allclose(centre, mean, rtol=1e-9, atol=1e-9 * np.abs(X).max())


@SETTINGS
@given(problems(), st.sampled_from(["k-means++", "random", "random-points"]))
def test_same_random_state_same_result(problem, init):
    X, k, w, seed = problem
    a = fit(X, k, w, seed, init=init)
    b = fit(X, k, w, seed, init=init)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_ and a.n_iter_ == b.n_iter_
    for ha, hb in zip(a.history_, b.history_, strict=True):
        assert_array_equal(ha.centers, hb.centers)
        assert_array_equal(ha.ids, hb.ids)


@SETTINGS
@given(st.integers(2, 25), st.integers(1, 3), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_integer_weights_equal_repeated_samples(n, d, k, seed):
    # From the same initial centres, weight w == the sample repeated w times.
    # (Continuous data, distinct initial centres: no exact ties to break.)
    k = min(k, n)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 10
    w = rng.integers(1, 4, size=n)
    init = X[rng.choice(n, k, replace=False)]
    weighted = fit(X, k, w.astype(float), seed, init=init, empty_clusters="keep")
    repeated = fit(np.repeat(X, w, axis=0), k, None, seed, init=init, empty_clusters="keep")
    assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert_array_equal(np.repeat(weighted.labels_, w), repeated.labels_)
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-9, abs=1e-9)

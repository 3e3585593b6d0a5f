"""KMeans(callback=...): a record after every step; True stops the fit."""

import math

import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans import KMeans, KMeansStep

from cluster_helpers import blobs

X = blobs(n=400, d=4, centers=6, seed=2, spread=3.0)


def test_callback_sees_every_step_as_the_history_does():
    seen = []
    km = KMeans(6, init=X[:6], tol=0, callback=seen.append, record_history=True).fit(X)
    assert [r.step for r in seen] == list(range(km.n_iter_ + 1))
    assert all(isinstance(r, KMeansStep) for r in seen)
    for a, b in zip(seen, km.history_):
        assert_array_equal(a.centers, b.centers)
        assert a.n_changed == b.n_changed
        assert a.inertia == b.inertia or (math.isnan(a.inertia) and math.isnan(b.inertia))
    assert math.isnan(seen[0].center_shift)
    # the centre shift of a step is the sum of the squared moves of the centroids
    for prev, cur in zip(seen[:-1], seen[1:]):
        moved = float(((cur.centers.astype(float) - prev.centers) ** 2).sum())
        assert cur.center_shift == pytest.approx(moved, rel=1e-4, abs=1e-9)
    assert seen[-1].n_changed == 0 and km.converged_


def test_callback_returning_true_stops_the_fit_early():
    full = KMeans(6, init=X[:6], tol=0).fit(X)
    assert full.n_iter_ > 3

    def stop_after_two(step):
        return step.step == 2

    km = KMeans(6, init=X[:6], tol=0, callback=stop_after_two, record_history=True).fit(X)
    assert km.n_iter_ == 2
    assert not km.converged_
    assert len(km.history_) == 3
    # the fitted model is the one after two steps, labels consistent with it
    two = KMeans(6, init=X[:6], tol=0, max_iter=2).fit(X)
    assert_allclose(km.cluster_centers_, two.cluster_centers_)
    assert_array_equal(km.labels_, km.predict(X))
    assert km.inertia_ == pytest.approx(-km.score(X))


def test_stopping_stops_the_restarts_too():
    runs = []

    def count(step):
        if step.step == 0:
            runs.append(0)
        return step.step == 1

    km = KMeans(6, init="random-points", n_init=5, random_state=0, callback=count).fit(X)
    assert len(runs) == 1 and km.n_iter_ == 1 and not km.converged_


def test_callback_must_be_callable():
    with pytest.raises(ValueError, match="callback must be a callable"):
        KMeans(3, callback=3).fit(X)


def test_verbose_names_the_callback(capsys):
    KMeans(6, init=X[:6], verbose=1, callback=lambda s: s.step == 1).fit(X)
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        "K-means stopped by the callback after 1 steps.")

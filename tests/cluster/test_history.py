"""history_, verbose output, and the other fitted attributes."""

import dataclasses
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans import KMeans, KMeansStep

from cluster_helpers import blobs, brute_sqdist

X = blobs(n=120, d=3, centers=4, seed=2, spread=2.0)


def test_history_records_every_step():
    init = X[:4].copy()
    km = KMeans(4, init=init, record_history=True).fit(X)
    h = km.history_
    assert len(h) == km.n_iter_ + 1
    assert [s.step for s in h] == list(range(km.n_iter_ + 1))
    assert all(isinstance(s, KMeansStep) for s in h)
    assert_array_equal(h[0].centers, init.astype(np.float32))
    assert math.isnan(h[0].inertia) and h[0].n_changed == 0
    assert h[1].n_changed == len(X)
    assert h[-1].n_changed == 0 and km.converged_  # strict convergence here
    assert_allclose(h[-1].centers, km.cluster_centers_, rtol=1e-6)
    for s in h:
        assert s.centers.dtype == np.float32 and s.centers.shape == (4, 3)
        assert s.ids.dtype == np.int64 and s.ids.tolist() == [0, 1, 2, 3]


def test_history_inertia_and_changes_are_those_of_each_assignment():
    km = KMeans(4, init=X[:4], record_history=True, tol=0).fit(X)
    prev_labels = None
    for before, after in zip(km.history_, km.history_[1:]):
        d2 = brute_sqdist(X, before.centers.astype(np.float64))
        labels = d2.argmin(axis=1)
        assert after.inertia == pytest.approx(d2.min(axis=1).sum(), rel=1e-5)
        if prev_labels is not None:
            assert after.n_changed == int((labels != prev_labels).sum())
        prev_labels = labels


def test_history_steps_are_frozen_and_read_only():
    step = KMeans(2, record_history=True, random_state=0).fit(X).history_[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.inertia = 0.0
    with pytest.raises(ValueError):
        step.centers[0, 0] = 1.0
    assert "KMeansStep(step=1, k=2" in repr(step)


def test_no_history_unless_asked():
    km = KMeans(2, random_state=0, record_history=True).fit(X)
    assert hasattr(km, "history_")
    km.set_params(record_history=False).fit(X)
    assert not hasattr(km, "history_")


def test_history_of_the_best_run():
    km = KMeans(4, init="random-points", n_init=5, random_state=3, record_history=True).fit(X)
    assert len(km.history_) == km.n_iter_ + 1
    assert_allclose(km.history_[-1].centers, km.cluster_centers_, rtol=1e-6)


def test_verbose_prints_one_line_per_step_and_the_convergence_lines(capsys):
    # scikit-learn's lines ("Iteration t, inertia ...", "Converged at iteration t:
    # ..."), numbered from 1 like n_iter_, then pixelmeans' summary.
    km = KMeans(4, init=X[:4], verbose=1).fit(X)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Initialization complete"
    assert [line.split(",")[0] for line in lines[1:-2]] == [
        f"Iteration {t}" for t in range(1, km.n_iter_ + 1)]
    assert lines[-2].startswith(f"Converged at iteration {km.n_iter_}: ")
    assert lines[-1] == f"K-means converged after {km.n_iter_} steps."


def test_verbose_at_max_iter(capsys):
    km = KMeans(4, init=X[:4], verbose=1, max_iter=1).fit(X)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "K-means stopped at max_iter=1 steps without converging."
    assert not km.converged_ and km.n_iter_ == 1


def test_quiet_by_default(capsys):
    KMeans(4, random_state=0).fit(X)
    assert capsys.readouterr().out == ""


def test_inertia_is_consistent_with_labels_and_centres_at_max_iter():
    # Stopped early: centres are not the means of labels_, but labels_ and inertia_
    # belong to cluster_centers_ (the final assignment), as in scikit-learn.
    km = KMeans(4, init=X[:4], max_iter=2).fit(X)
    d2 = brute_sqdist(X, km.cluster_centers_)
    assert_array_equal(km.labels_, d2.argmin(axis=1))
    assert km.inertia_ == pytest.approx(d2.min(axis=1).sum(), rel=1e-12)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-12)
    assert_array_equal(km.predict(X), km.labels_)


def test_fitted_attributes():
    km = KMeans(3, random_state=0).fit(X.astype(np.float32))
    assert km.cluster_centers_.shape == (3, 3) and km.cluster_centers_.dtype == np.float32
    assert km.labels_.dtype == np.int32 and km.labels_.shape == (len(X),)
    assert isinstance(km.inertia_, float) and isinstance(km.n_iter_, int)
    assert km.n_features_in_ == 3 and km.converged_ is True
    assert km.get_feature_names_out().tolist() == ["kmeans0", "kmeans1", "kmeans2"]
    assert km.transform(X.astype(np.float32)).dtype == np.float32
    assert_allclose(km.transform(X), np.sqrt(brute_sqdist(X, km.cluster_centers_)), rtol=1e-5)
    assert_array_equal(km.fit_predict(X.astype(np.float32)), km.labels_)
    assert_allclose(km.fit_transform(X), km.transform(X))

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelmeans import evaluate as ev


def test_confusion_and_mapping_small_case():
    clusters = np.array([0, 0, 0, 1, 1, 2])
    truth = np.array([3, 3, 1, 1, 1, 0])
    table = ev.confusion(clusters, truth)
    assert table.shape == (3, 4)
    assert table[0, 3] == 2 and table[0, 1] == 1 and table.sum() == 6
    np.testing.assert_array_equal(ev.cluster_label_mapping(clusters, truth), [3, 1, 0])
    np.testing.assert_array_equal(ev.majority_count(clusters, truth), [2, 2, 1])
    assert ev.accuracy(clusters, truth) == pytest.approx(5 / 6)
    purity, sizes = ev.cluster_purity(clusters, truth)
    np.testing.assert_allclose(purity, [2 / 3, 1, 1])
    np.testing.assert_array_equal(sizes, [3, 2, 1])


def test_hungarian_is_one_to_one_unlike_purity():
    # Two clusters both dominated by label 0: purity counts both, Hungarian only one.
    clusters = np.array([0, 0, 1, 1])
    truth = np.array([0, 0, 0, 1])
    assert ev.accuracy(clusters, truth) == pytest.approx(3 / 4)
    assert ev.hungarian_accuracy(clusters, truth) == pytest.approx(3 / 4)
    clusters = np.array([0, 0, 1, 1])
    truth = np.array([0, 0, 0, 0])
    assert ev.accuracy(clusters, truth) == 1.0
    assert ev.hungarian_accuracy(clusters, truth) == 0.5


def test_test_split_uses_training_mapping():
    mapping = ev.cluster_label_mapping([0, 0, 1], [5, 5, 2], n_classes=6)
    # On "test", cluster 1 is mostly label 5, but the training mapping says 2.
    assert ev.accuracy([1, 1, 0], [5, 5, 5], mapping) == pytest.approx(1 / 3)
    assert ev.accuracy([1, 1, 0], [5, 5, 5]) == 1.0


def test_empty_cluster_maps_to_minus_one_and_counts_wrong():
    mapping = ev.cluster_label_mapping([0, 0], [1, 1], n_clusters=2)
    np.testing.assert_array_equal(mapping, [1, -1])
    assert ev.accuracy([1], [1], mapping) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_measures_are_invariant_to_relabelling_clusters(data):
    n = data.draw(st.integers(1, 60))
    k = data.draw(st.integers(1, 6))
    clusters = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    truth = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)))
    perm = np.array(data.draw(st.permutations(range(k))))
    relabelled = perm[clusters]
    for f in (ev.accuracy, ev.hungarian_accuracy, ev.nmi, ev.ari):
        assert f(clusters, truth) == pytest.approx(f(relabelled, truth))
    assert ev.hungarian_accuracy(clusters, truth) <= ev.accuracy(clusters, truth) + 1e-12
    assert 0 <= ev.accuracy(clusters, truth) <= 1


def test_perfect_clustering_scores_one():
    truth = np.repeat(np.arange(4), 5)
    clusters = (truth + 1) % 4
    result = ev.evaluate(clusters, truth)
    for key in ("accuracy", "purity", "hungarian_accuracy", "nmi", "ari"):
        assert result[key] == pytest.approx(1.0)
    assert result["n_samples"] == 20

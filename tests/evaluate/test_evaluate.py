import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn.metrics import (
    adjusted_mutual_info_score,
    completeness_score,
    homogeneity_score,
    silhouette_samples,
    silhouette_score,
    v_measure_score,
)

from pixelmeans import evaluate as ev
from pixelmeans.errors import InputError


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
    for f in (ev.accuracy, ev.hungarian_accuracy, ev.homogeneity, ev.completeness,
              ev.v_measure, ev.nmi, ev.ami, ev.ari):
        assert f(clusters, truth) == pytest.approx(f(relabelled, truth))
    assert ev.hungarian_accuracy(clusters, truth) <= ev.accuracy(clusters, truth) + 1e-12
    assert 0 <= ev.accuracy(clusters, truth) <= 1


def test_perfect_clustering_scores_one():
    truth = np.repeat(np.arange(4), 5)
    clusters = (truth + 1) % 4
    result = ev.evaluate(clusters, truth)
    for key in ("accuracy", "purity", "hungarian_accuracy", "homogeneity", "completeness",
                "v_measure", "nmi", "ami", "ari"):
        assert result[key] == pytest.approx(1.0)
    assert result["n_samples"] == 20


def test_new_measures_are_scikit_learns_with_true_labels_first():
    # One label split over two clusters: every cluster is pure (homogeneity 1) but
    # the label is not in one cluster (completeness 0), so swapped arguments would show.
    clusters = np.array([0, 0, 1, 1])
    truth = np.array([0, 0, 0, 0])
    assert ev.homogeneity(clusters, truth) == 1.0
    assert ev.completeness(clusters, truth) == 0.0
    assert ev.v_measure(clusters, truth) == 0.0

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, 200)
    clusters = np.where(rng.random(200) < 0.7, truth, rng.integers(0, 6, 200))
    assert ev.homogeneity(clusters, truth) == pytest.approx(homogeneity_score(truth, clusters))
    assert ev.completeness(clusters, truth) == pytest.approx(completeness_score(truth, clusters))
    assert ev.v_measure(clusters, truth) == pytest.approx(v_measure_score(truth, clusters))
    assert ev.ami(clusters, truth) == pytest.approx(adjusted_mutual_info_score(truth, clusters))
    assert ev.homogeneity(clusters, truth) != pytest.approx(ev.completeness(clusters, truth))
    # AMI removes the chance agreement NMI keeps: 30 clusters unrelated to 4 labels on
    # 100 points share information by chance alone, NMI about 0.2, AMI about 0.
    noise = rng.integers(0, 30, 200)[:100]
    assert abs(ev.ami(noise, truth[:100])) < 0.1 < ev.nmi(noise, truth[:100])


def test_evaluate_returns_every_measure():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 50)
    clusters = np.where(rng.random(50) < 0.8, truth, rng.integers(0, 4, 50))
    result = ev.evaluate(clusters, truth)
    assert set(result) == {"accuracy", "purity", "hungarian_accuracy", "homogeneity",
                           "completeness", "v_measure", "nmi", "ami", "ari", "n_samples"}
    for key, f in (("homogeneity", ev.homogeneity), ("completeness", ev.completeness),
                   ("v_measure", ev.v_measure), ("ami", ev.ami)):
        assert result[key] == f(clusters, truth)
        assert isinstance(result[key], float)


@pytest.fixture(scope="module")
def mnist_1000():
    from pixelmeans import load_dataset

    data = load_dataset("mnist", split="test", download=False)
    return data.images[:1000].reshape(1000, -1).astype(np.float32) / 255, data.labels[:1000]


def test_sample_silhouettes_mean_is_silhouette_score(mnist_1000):
    X, labels = mnist_1000
    values, drawn, idx = ev.sample_silhouettes(X, labels, sample_size=300, random_state=3)
    assert values.shape == drawn.shape == idx.shape == (300,)
    assert np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(drawn, labels[idx])
    np.testing.assert_allclose(values, silhouette_samples(X[idx], labels[idx]), rtol=1e-6, atol=1e-7)
    assert values.mean() == pytest.approx(silhouette_score(X, labels, sample_size=300, random_state=3),
                                          rel=1e-6)
    again = ev.sample_silhouettes(X, labels, sample_size=300, random_state=3)
    np.testing.assert_array_equal(again[2], idx)
    other = ev.sample_silhouettes(X, labels, sample_size=300, random_state=4)
    assert not np.array_equal(other[2], idx)


def test_sample_silhouettes_takes_every_point_of_small_data(mnist_1000):
    X, labels = mnist_1000
    values, _, idx = ev.sample_silhouettes(X[:50], labels[:50], sample_size=5000)
    np.testing.assert_array_equal(idx, np.arange(50))
    assert values.shape == (50,) and np.all(np.abs(values) <= 1)


@pytest.mark.parametrize("X, labels, kwargs, match", [
    (np.zeros((10, 3)), np.zeros(10, int), {}, "2 to 9 clusters"),
    (np.zeros((4, 3)), np.arange(4), {}, "2 to 3 clusters"),
    (np.zeros((10, 3)), np.zeros(9, int), {}, r"\(n, d\)"),
    (np.zeros(10), np.zeros(10, int), {}, r"\(n, d\)"),
    (np.zeros((10, 3)), np.arange(10) % 2, {"sample_size": 1}, "sample_size"),
    (np.full((10, 3), np.nan), np.arange(10) % 2, {}, "NaN"),
])
def test_sample_silhouettes_bad_input(X, labels, kwargs, match):
    with pytest.raises(InputError, match=match):
        ev.sample_silhouettes(X, labels, **kwargs)

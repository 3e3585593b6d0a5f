"""scikit-learn's own k-means tests, run against pixelmeans.

The test module that ships with the installed scikit-learn
(``sklearn/cluster/tests/test_k_means.py``) is read at import time, its imports of
``KMeans``, ``MiniBatchKMeans``, ``k_means``, ``kmeans_plusplus`` and
``_is_same_clustering`` are pointed at pixelmeans, and the result is executed in
this module's namespace, where pytest collects its tests. Nothing of it is copied
into the repository.

Tests that call scikit-learn's private functions (Cython helpers, ``_labels_inertia``,
``_mini_batch_step``, ``KMeans._init_centroids``) test scikit-learn, not pixelmeans:
they are not collected (:data:`EXCLUDED`, with the reasons; also in
docs/sklearn-compatibility.md). Every other test runs and is expected to pass: none
is marked as an expected failure.

``global_random_seed`` is scikit-learn's fixture (its conftest is not loaded here):
``SKLEARN_TESTS_GLOBAL_RANDOM_SEED`` as there, 42 by default.
"""

import importlib.util
import os

import numpy as np
import pytest

_SPEC = importlib.util.find_spec("sklearn.cluster.tests.test_k_means")
if _SPEC is None or _SPEC.origin is None:  # pragma: no cover - a wheel without tests
    pytest.skip("the installed scikit-learn ships without its tests", allow_module_level=True)

#: (import line in scikit-learn's file, what it becomes). Each must be found once:
#: a scikit-learn release that changes them fails here instead of testing itself.
_REWRITES = [
    ("from sklearn.cluster import KMeans, MiniBatchKMeans, k_means, kmeans_plusplus\n",
     "from pixelmeans.cluster import KMeans, MiniBatchKMeans, k_means, kmeans_plusplus\n"),
    ("    _is_same_clustering,\n", ""),
    ("from sklearn.cluster._kmeans import _labels_inertia, _mini_batch_step\n",
     "from sklearn.cluster._kmeans import _labels_inertia, _mini_batch_step\n"
     "from pixelmeans.cluster.estimator import _is_same_clustering\n"),
]

#: Tests that reach scikit-learn's private functions; not collected.
EXCLUDED = {
    "test_relocate_empty_clusters": "calls the Cython _relocate_empty_clusters_dense/_sparse",
    "test_minibatch_update_consistency": "calls the private _mini_batch_step",
    "test_euclidean_distance": "calls the Cython _euclidean_*_wrapper",
    "test_inertia": "calls the Cython _inertia_dense/_inertia_sparse",
    "test_sample_weight_init": "calls the private KMeans._init_centroids",
    "test_sample_weight_zero": "calls the private KMeans._init_centroids",
}


def _load():
    with open(_SPEC.origin, encoding="utf-8") as f:
        source = f.read()
    for old, new in _REWRITES:
        if source.count(old) != 1:
            raise RuntimeError(f"scikit-learn's test file changed: {old.strip()!r} not found once")
        source = source.replace(old, new)
    return compile(source, _SPEC.origin, "exec")


exec(_load(), globals())  # noqa: S102 - scikit-learn's installed test module
for _name in EXCLUDED:
    del globals()[_name]


def test_the_suite_runs_against_pixelmeans():
    for tested in (KMeans, MiniBatchKMeans, k_means, kmeans_plusplus, _is_same_clustering):  # noqa: F821
        assert tested.__module__.startswith("pixelmeans."), tested


def _seeds(value):
    """scikit-learn's reading of SKLEARN_TESTS_GLOBAL_RANDOM_SEED: "all", "a-b" or "a"."""
    if value == "all":
        return list(range(100))
    first, _, last = value.partition("-")
    return list(range(int(first), int(last or first) + 1))


@pytest.fixture(params=_seeds(os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42")))
def global_random_seed(request):
    return request.param


@pytest.fixture(params=[np.float32, np.float64])
def global_dtype(request):
    """scikit-learn's fixture (float64, and float32 when asked); both here."""
    return request.param

"""scikit-learn's own estimator checks (``parametrize_with_checks``).

Written-down exclusions (the checks are run and expected to fail, xfail):

* ``check_sample_weight_equivalence_on_dense_data`` (and ``_on_sparse_data``): the
  random initialisation depends on which samples are present, not only on their
  weights (k-means++ and
  random-points draw from a list of samples, "random" from their range), so a
  sample of weight 2 and the same sample repeated give different initial centroids
  and different clusterings. From the same initial centroids the weighted algorithm
  is equivalent (test_properties checks it); scikit-learn excludes this check for
  its own KMeans for the same reason.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from pixelmeans import KMeans, MiniBatchKMeans

ESTIMATORS = [
    # scikit-learn's own test parameters for KMeans
    KMeans(n_clusters=2, n_init=2, max_iter=5),
    # the pixelmeans extras switched on
    KMeans(n_clusters=2, init="random", empty_clusters="drop", record_history=True,
           max_iter=5),
    KMeans(n_clusters=2, init="random-points", empty_clusters="keep", n_init=3),
    # scikit-learn's own test parameters for MiniBatchKMeans
    MiniBatchKMeans(n_clusters=2, n_init=2, max_iter=5, batch_size=10),
    MiniBatchKMeans(n_clusters=2, init="k-means||", n_init=1, max_iter=5),
]

_WEIGHTS_VS_REPEATS = (
    "the random initialisation depends on the samples present, not only their "
    "weights (scikit-learn excludes its KMeans from this check too)"
)

EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_VS_REPEATS,
    "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_VS_REPEATS,
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)

"""Measures of a clustering against the hidden labels.

The labels are never used to fit; they only judge the result. This module is the one
place that maps clusters to labels:

- *accuracy* (purity): each cluster takes the most frequent true label among its
  members; accuracy is the fraction of samples whose cluster's label is their own.
  On a test split the mapping learned on the training split is used.
- *Hungarian accuracy*: the best one-to-one matching of clusters to labels
  (``scipy.optimize.linear_sum_assignment``); with more clusters than labels the
  unmatched clusters count as wrong.
- *homogeneity*, *completeness*, *V-measure*, *NMI*, *AMI* and *ARI*: scikit-learn's
  measures, which need no mapping (homogeneity: each cluster holds one label;
  completeness: each label lies in one cluster; V-measure: their harmonic mean).

It also holds the one measure that needs no labels, the per-sample silhouette on a
fixed random sample (:func:`sample_silhouettes`): the full one costs ``O(n^2)``.

Cluster labels are ints in ``[0, n_clusters)``; true labels are ints in
``[0, n_classes)``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import (
    adjusted_mutual_info_score,
    adjusted_rand_score,
    completeness_score,
    homogeneity_score,
    normalized_mutual_info_score,
    silhouette_samples,
    v_measure_score,
)
from sklearn.utils import check_random_state

from pixelmeans.errors import InputError

__all__ = [
    "confusion",
    "cluster_label_mapping",
    "assign_labels",
    "majority_count",
    "accuracy",
    "cluster_purity",
    "hungarian_accuracy",
    "homogeneity",
    "completeness",
    "v_measure",
    "nmi",
    "ami",
    "ari",
    "evaluate",
    "sample_silhouettes",
]

UNMAPPED = -1  # label of a cluster with no training members

#: Points whose silhouettes :func:`sample_silhouettes` computes by default.
SILHOUETTE_SAMPLE = 5000


def confusion(cluster_labels, true_labels, n_clusters=None, n_classes=None):
    """Count the samples of each true label in each cluster.

    Parameters
    ----------
    cluster_labels : array of int, shape (n_samples,)
    true_labels : array of int, shape (n_samples,)
    n_clusters, n_classes : int, optional
        Size of the table; default one more than the largest label seen.

    Returns
    -------
    table : ndarray of int64, shape (n_clusters, n_classes)
        ``table[j, c]`` is the number of samples of label ``c`` in cluster ``j``.
    """
    cluster_labels = np.asarray(cluster_labels, dtype=np.int64)
    true_labels = np.asarray(true_labels, dtype=np.int64)
    if n_clusters is None:
        n_clusters = int(cluster_labels.max(initial=-1)) + 1
    if n_classes is None:
        n_classes = int(true_labels.max(initial=-1)) + 1
    flat = cluster_labels * n_classes + true_labels
    return np.bincount(flat, minlength=n_clusters * n_classes).reshape(n_clusters, n_classes)


def cluster_label_mapping(cluster_labels, true_labels, n_clusters=None, n_classes=None):
    """The majority true label of each cluster.

    Ties go to the smallest label; a cluster with no members maps to ``-1``.

    Returns
    -------
    mapping : ndarray of int64, shape (n_clusters,)
    """
    table = confusion(cluster_labels, true_labels, n_clusters, n_classes)
    mapping = table.argmax(axis=1).astype(np.int64)
    mapping[table.sum(axis=1) == 0] = UNMAPPED
    return mapping


def assign_labels(cluster_labels, mapping):
    """Predict a true label for every sample from its cluster.

    Parameters
    ----------
    cluster_labels : array of int, shape (n_samples,)
    mapping : array of int, shape (n_clusters,)
        From :func:`cluster_label_mapping`, usually learned on the training split.

    Returns
    -------
    predicted : ndarray of int64, shape (n_samples,)
        ``-1`` for samples in clusters that had no training members.
    """
    return np.asarray(mapping, dtype=np.int64)[np.asarray(cluster_labels, dtype=np.int64)]


def majority_count(cluster_labels, true_labels, n_clusters=None, n_classes=None):
    """How many members of each cluster carry its majority label.

    Returns
    -------
    counts : ndarray of int64, shape (n_clusters,)
    """
    return confusion(cluster_labels, true_labels, n_clusters, n_classes).max(axis=1, initial=0)


def accuracy(cluster_labels, true_labels, mapping=None):
    """Majority-label accuracy (purity).

    Without ``mapping`` this is the sum of each cluster's majority count over the
    number of samples. With ``mapping`` (learned on another split) it is the fraction
    of samples whose cluster maps to their own label.

    Returns
    -------
    float in [0, 1]
    """
    true_labels = np.asarray(true_labels, dtype=np.int64)
    if true_labels.size == 0:
        return float("nan")
    if mapping is None:
        return float(majority_count(cluster_labels, true_labels).sum() / true_labels.size)
    return float(np.mean(assign_labels(cluster_labels, mapping) == true_labels))


def cluster_purity(cluster_labels, true_labels, n_clusters=None, n_classes=None):
    """Majority count over size for each cluster (NaN for an empty cluster).

    Returns
    -------
    purity : ndarray of float64, shape (n_clusters,)
    sizes : ndarray of int64, shape (n_clusters,)
    """
    table = confusion(cluster_labels, true_labels, n_clusters, n_classes)
    sizes = table.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        purity = np.where(sizes > 0, table.max(axis=1, initial=0) / np.maximum(sizes, 1), np.nan)
    return purity, sizes


def hungarian_accuracy(cluster_labels, true_labels, n_clusters=None, n_classes=None):
    """Accuracy under the best one-to-one matching of clusters to labels.

    Returns
    -------
    float in [0, 1]
    """
    table = confusion(cluster_labels, true_labels, n_clusters, n_classes)
    total = table.sum()
    if total == 0:
        return float("nan")
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / total)


def homogeneity(cluster_labels, true_labels):
    """Homogeneity (scikit-learn's): 1 when every cluster holds a single label."""
    return float(homogeneity_score(true_labels, cluster_labels))


def completeness(cluster_labels, true_labels):
    """Completeness (scikit-learn's): 1 when every label lies in a single cluster."""
    return float(completeness_score(true_labels, cluster_labels))


def v_measure(cluster_labels, true_labels):
    """V-measure (scikit-learn's): the harmonic mean of homogeneity and completeness."""
    return float(v_measure_score(true_labels, cluster_labels))


def nmi(cluster_labels, true_labels):
    """Normalised mutual information (scikit-learn's, arithmetic mean)."""
    return float(normalized_mutual_info_score(true_labels, cluster_labels))


def ami(cluster_labels, true_labels):
    """Adjusted mutual information (scikit-learn's, arithmetic mean): NMI corrected for
    the agreement expected by chance, which grows with the number of clusters."""
    return float(adjusted_mutual_info_score(true_labels, cluster_labels))


def ari(cluster_labels, true_labels):
    """Adjusted Rand index (scikit-learn's)."""
    return float(adjusted_rand_score(true_labels, cluster_labels))


def evaluate(cluster_labels, true_labels, *, mapping=None, n_clusters=None, n_classes=None):
    """All label-based measures of one split, as a plain dict.

    Parameters
    ----------
    cluster_labels, true_labels : array of int, shape (n_samples,)
    mapping : array of int, shape (n_clusters,), optional
        Cluster-to-label mapping learned on the training split; when given,
        ``accuracy`` uses it (the test-split contract), otherwise it is the purity
        of this split.

    Returns
    -------
    dict with keys accuracy, purity, hungarian_accuracy, homogeneity, completeness,
    v_measure, nmi, ami, ari, n_samples
    """
    purity = accuracy(cluster_labels, true_labels)
    return {
        "accuracy": purity if mapping is None else accuracy(cluster_labels, true_labels, mapping),
        "purity": purity,
        "hungarian_accuracy": hungarian_accuracy(cluster_labels, true_labels, n_clusters, n_classes),
        "homogeneity": homogeneity(cluster_labels, true_labels),
        "completeness": completeness(cluster_labels, true_labels),
        "v_measure": v_measure(cluster_labels, true_labels),
        "nmi": nmi(cluster_labels, true_labels),
        "ami": ami(cluster_labels, true_labels),
        "ari": ari(cluster_labels, true_labels),
        "n_samples": int(np.asarray(true_labels).size),
    }


def sample_silhouettes(X, cluster_labels, *, sample_size: int = SILHOUETTE_SAMPLE,
                       random_state=0):
    """Silhouette of each point of a fixed random sample (scikit-learn's).

    The sample is the one `sklearn.metrics.silhouette_score` draws for the same
    ``sample_size`` and ``random_state``, so the mean of the values is its score.

    Parameters
    ----------
    X : array_like of float or uint8, shape (n_samples, n_features)
        The points that were clustered (pixels or features). Anything with a
        ``shape`` is read only at the sampled rows (``X[indices]``), so a chunked or
        lazily computed array is never read whole.
    cluster_labels : array_like of int, shape (n_samples,)
    sample_size : int, default=SILHOUETTE_SAMPLE
        Points to draw without replacement; all of them when ``n_samples`` is smaller.
        The cost grows as its square.
    random_state : int, RandomState or None

    Returns
    -------
    values : ndarray of float64, shape (m,)
        Silhouette in [-1, 1] of each drawn point, ``m = min(sample_size, n_samples)``.
    labels : ndarray of int64, shape (m,)
        Cluster of each drawn point.
    indices : ndarray of int64, shape (m,)
        Rows of ``X`` drawn, increasing.

    Raises
    ------
    InputError
        ``X`` not 2-D or not one row per label, ``sample_size`` under 2, non-finite
        values, or fewer than 2 clusters (or as many clusters as points) in the sample.
    """
    if not hasattr(X, "shape"):
        X = np.asarray(X)
    cluster_labels = np.asarray(cluster_labels)
    if len(X.shape) != 2 or cluster_labels.shape != (X.shape[0],):
        raise InputError(f"silhouette: expected X (n, d) and labels (n,), got {tuple(X.shape)} and "
                         f"{cluster_labels.shape}")
    if isinstance(sample_size, bool) or not isinstance(sample_size, (int, np.integer)) or sample_size < 2:
        raise InputError(f"silhouette: sample_size must be an int of at least 2, got {sample_size!r}")
    # The same draw as silhouette_score's, so the sample's mean is the sweep's score.
    indices = np.sort(check_random_state(random_state).permutation(X.shape[0])[:sample_size])
    sample, labels = np.asarray(X[indices]), cluster_labels[indices].astype(np.int64)
    if not np.isfinite(sample).all():
        raise InputError("silhouette: X has NaN or infinite values")
    n_found = np.unique(labels).size
    if not 2 <= n_found <= labels.size - 1:
        raise InputError(f"silhouette: needs 2 to {labels.size - 1} clusters among the "
                         f"{labels.size} sampled points, got {n_found}")
    return silhouette_samples(sample, labels), labels, indices.astype(np.int64)

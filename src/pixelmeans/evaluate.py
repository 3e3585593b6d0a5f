"""Measures of a clustering against the hidden labels.

The labels are never used to fit; they only judge the result. This module is the one
place that maps clusters to labels:

- *accuracy* (purity): each cluster takes the most frequent true label among its
  members; accuracy is the fraction of samples whose cluster's label is their own.
  On a test split the mapping learned on the training split is used.
- *Hungarian accuracy*: the best one-to-one matching of clusters to labels
  (``scipy.optimize.linear_sum_assignment``); with more clusters than labels the
  unmatched clusters count as wrong.

Cluster labels are ints in ``[0, n_clusters)``; true labels are ints in
``[0, n_classes)``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

__all__ = [
    "confusion",
    "cluster_label_mapping",
    "assign_labels",
    "majority_count",
    "accuracy",
    "cluster_purity",
    "hungarian_accuracy",
    "nmi",
    "ari",
    "evaluate",
]

UNMAPPED = -1  # label of a cluster with no training members


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


def nmi(cluster_labels, true_labels):
    """Normalised mutual information (scikit-learn's, arithmetic mean)."""
    return float(normalized_mutual_info_score(true_labels, cluster_labels))


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
    dict with keys accuracy, purity, hungarian_accuracy, nmi, ari, n_samples
    """
    purity = accuracy(cluster_labels, true_labels)
    return {
        "accuracy": purity if mapping is None else accuracy(cluster_labels, true_labels, mapping),
        "purity": purity,
        "hungarian_accuracy": hungarian_accuracy(cluster_labels, true_labels, n_clusters, n_classes),
        "nmi": nmi(cluster_labels, true_labels),
        "ari": ari(cluster_labels, true_labels),
        "n_samples": int(np.asarray(true_labels).size),
    }

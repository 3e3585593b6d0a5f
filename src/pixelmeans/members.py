"""Which images stand for each cluster: its nearest and farthest members, and its mean
image (how a centroid in a learned feature space is shown).
"""

from __future__ import annotations

import numpy as np

N_MEMBERS_SHOWN = 8


#: Rows whose distances to the centroids are held at a time (16,384 x 256 clusters
#: is 16 MB of float32).
BLOCK_ROWS = 16_384


def nearest_and_farthest(X, labels, model, n=N_MEMBERS_SHOWN, block_rows=BLOCK_ROWS):
    """Indices of the ``n`` samples nearest each centroid and of its ``n`` farthest members.

    The distances are computed a block of rows at a time and only the best
    candidates of each cluster are kept between blocks: never ``n_samples x k``.

    Parameters
    ----------
    X : array-like of float, shape (n_samples, n_features)
        The features: an array, or anything whose row slices ``X[lo:hi]`` are arrays
        (:class:`pixelmeans.train_features.TrainFeatures`).
    labels : ndarray of int, shape (n_samples,)
        Cluster of each sample.
    model : fitted KMeans
        ``model.transform`` gives the distances of a block to the centroids.
    n : int
    block_rows : int
        Rows per block (the result does not depend on it).

    Returns
    -------
    nearest, farthest : list of ndarray of int64
        One array per cluster, each of at most ``n`` sample indices (fewer for small
        clusters), nearest first / farthest first.
    """
    k = model.cluster_centers_.shape[0]
    labels = np.asarray(labels, dtype=np.int64)
    near_idx = np.empty((0, k), dtype=np.int64)
    near_d = np.empty((0, k))
    far = (np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64))  # index, distance, cluster
    for lo in range(0, X.shape[0], block_rows):
        hi = min(X.shape[0], lo + block_rows)
        d = np.asarray(model.transform(X[lo:hi]), dtype=np.float64)
        part = np.argpartition(d, n - 1, axis=0)[:n] if d.shape[0] > n else np.argsort(d, axis=0)
        near_idx, near_d = _smallest_per_column(np.concatenate([near_idx, lo + part]),
                                                np.concatenate([near_d, np.take_along_axis(d, part, 0)]), n)
        own = labels[lo:hi]
        far = _largest_per_group(np.concatenate([far[0], np.arange(lo, hi, dtype=np.int64)]),
                                 np.concatenate([far[1], d[np.arange(hi - lo), own]]),
                                 np.concatenate([far[2], own]), n)
    nearest = [near_idx[:, j] for j in range(k)]
    farthest = [far[0][far[2] == j] for j in range(k)]
    return nearest, farthest


def _smallest_per_column(idx, d, n):
    """Per column, the ``n`` entries of smallest ``d``, smallest first (ties: the earlier row)."""
    order = np.argsort(d, axis=0, kind="stable")[:n]
    return np.take_along_axis(idx, order, 0), np.take_along_axis(d, order, 0)


def _largest_per_group(idx, d, group, n):
    """Of each group, the ``n`` entries of largest ``d`` (ties: lower ``idx``), largest
    first, groups in increasing order: ``(idx, d, group)``."""
    order = np.lexsort((idx, -d, group))
    group_sorted = group[order]
    first = np.searchsorted(group_sorted, group_sorted, side="left")
    keep = order[np.arange(order.size) - first < n]
    return idx[keep], d[keep], group[keep]


def member_means(images, labels, n_clusters, block_rows=BLOCK_ROWS):
    """Mean pixel image of each cluster's members (zeros for an empty cluster).

    Parameters
    ----------
    images : array-like of uint8, shape (n_samples, h*w) or (n_samples, h, w)
        An array, or a chunked one (read a block of rows at a time).
    labels : ndarray of int, shape (n_samples,)

    Returns
    -------
    means : ndarray of float32, shape (n_clusters, h*w), values in [0, 1]
    """
    n = int(images.shape[0])
    d = int(np.prod(images.shape[1:]))
    labels = np.asarray(labels)
    sums = np.zeros((n_clusters, d), dtype=np.float64)
    for lo in range(0, n, block_rows):
        hi = min(n, lo + block_rows)
        np.add.at(sums, labels[lo:hi], np.asarray(images[lo:hi]).reshape(hi - lo, d))
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    return (sums / np.maximum(counts, 1)[:, None] / 255.0).astype(np.float32)


def _is_pixels(transformer) -> bool:
    from pixelmeans.features.pixels import has_pixel_units

    return has_pixel_units(transformer)


def centroid_pictures(model, transformer, images, labels, k_out):
    """Each centroid as an image in [0, 1], shape (k, h*w).

    On pixel features the centroid is the picture; in a learned space it is the mean
    of its members' pixels (``images``: the training images, (n, h, w) or (n, h*w)).
    """
    if _is_pixels(transformer):
        return np.clip(np.asarray(model.cluster_centers_, dtype=np.float32), 0, 1)
    return member_means(images, labels, k_out)

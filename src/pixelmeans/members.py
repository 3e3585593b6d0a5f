"""Which images stand for each cluster: its nearest and farthest members, and its mean
image (how a centroid in a learned feature space is shown).
"""

from __future__ import annotations

import numpy as np

N_MEMBERS_SHOWN = 8


def nearest_and_farthest(X, labels, distances, n=N_MEMBERS_SHOWN):
    """Indices of the ``n`` samples nearest each centroid and of its ``n`` farthest members.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
    labels : ndarray of int, shape (n_samples,)
    distances : ndarray of float, shape (n_samples, n_clusters)

    Returns
    -------
    nearest, farthest : list of ndarray of int64
        One array per cluster, each of at most ``n`` sample indices (fewer for small
        clusters), nearest first / farthest first.
    """
    nearest, farthest = [], []
    for j in range(distances.shape[1]):
        d = distances[:, j]
        take = min(n, d.shape[0])
        idx = np.argpartition(d, take - 1)[:take]
        nearest.append(idx[np.argsort(d[idx], kind="stable")])
        members = np.flatnonzero(labels == j)
        if members.size == 0:
            farthest.append(np.empty(0, dtype=np.int64))
            continue
        dm = d[members]
        take = min(n, members.size)
        idx = np.argpartition(-dm, take - 1)[:take]
        farthest.append(members[idx[np.argsort(-dm[idx], kind="stable")]])
    return nearest, farthest


def member_means(images_flat, labels, n_clusters):
    """Mean pixel image of each cluster's members (zeros for an empty cluster).

    Parameters
    ----------
    images_flat : ndarray of uint8, shape (n_samples, h*w)
    labels : ndarray of int, shape (n_samples,)

    Returns
    -------
    means : ndarray of float32, shape (n_clusters, h*w), values in [0, 1]
    """
    sums = np.zeros((n_clusters, images_flat.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, images_flat)
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    return (sums / np.maximum(counts, 1)[:, None] / 255.0).astype(np.float32)


def _is_pixels(transformer) -> bool:
    from pixelmeans.features.pixels import has_pixel_units

    return has_pixel_units(transformer)


def centroid_pictures(model, transformer, flat_train, labels, k_out):
    """Each centroid as an image in [0, 1], shape (k, h*w).

    On pixel features the centroid is the picture; in a learned space it is the mean
    of its members' pixels.
    """
    if _is_pixels(transformer):
        return np.clip(np.asarray(model.cluster_centers_, dtype=np.float32), 0, 1)
    return member_means(flat_train, labels, k_out)

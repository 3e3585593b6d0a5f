"""The M-step: new centres from the per-cluster sums, and what to do with empty clusters.

Pure functions of arrays, shared by every step kernel (a faster kernel changes how
the sums are obtained, not what is done with them).

Empty-cluster policies (a cluster is empty when the total weight of its points is 0):

``"relocate"``
    As scikit-learn: each empty cluster takes the point farthest from its assigned
    centre (the farthest first), which leaves its old cluster. If every point sits
    exactly on its centre (fewer distinct points than clusters) nothing can be
    relocated; the empty centres then move onto the heaviest cluster's centre.
``"keep"``
    The empty centre stays where it was.
``"drop"``
    The empty centre is removed: later steps have one centre fewer. Labels are
    renumbered to the rows of the remaining centres, which keep their order.
"""

from __future__ import annotations

import numpy as np

from pixelmeans.cluster._rows import as_rows

__all__ = ["EMPTY_POLICIES", "relocate_empty_clusters", "update_centers"]

EMPTY_POLICIES = ("relocate", "drop", "keep")


def relocate_empty_clusters(X, shift, sample_weight, labels, sqdist, sums, weight_sums) -> int:
    """Give each empty cluster the point farthest from its centre (scikit-learn's rule).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or RowSource
        The data (any of the kernel dtypes).
    shift : ndarray of shape (n_features,), dtype float32 or float64
        The shift of the kernel coordinates; ``sums`` are sums of ``x - shift``.
    sample_weight : ndarray of shape (n_samples,), dtype float64
    labels : ndarray of shape (n_samples,), dtype int32
        The assignment the sums come from (not modified: the next assignment moves
        the relocated points).
    sqdist : ndarray of shape (n_samples,), dtype float64
        Squared distance of each point to its assigned centre.
    sums : ndarray of shape (k, n_features), dtype float64
        Modified in place.
    weight_sums : ndarray of shape (k,), dtype float64
        Modified in place.

    Returns
    -------
    int
        Number of clusters relocated.
    """
    empty = np.flatnonzero(weight_sums == 0)
    n_empty = empty.size
    if n_empty == 0 or sqdist.size == 0 or np.max(sqdist) == 0:
        return 0
    n_empty = min(n_empty, sqdist.size)
    # Same selection (and order) as scikit-learn's _relocate_empty_clusters_dense.
    far = np.argpartition(sqdist, -n_empty)[: -n_empty - 1 : -1]
    rows = as_rows(X).take(far)
    for new_id, idx, row in zip(empty[:n_empty], far, rows):
        x = (np.asarray(row, dtype=shift.dtype) - shift).astype(np.float64)
        w = sample_weight[idx]
        old_id = labels[idx]
        sums[old_id] -= x * w
        weight_sums[old_id] -= w
        sums[new_id] = x * w
        weight_sums[new_id] = w
    return int(n_empty)


def update_centers(centers, sums, weight_sums, policy, *, relocate_args=None):
    """New centres: weighted means of the clusters, empty clusters handled by ``policy``.

    Parameters
    ----------
    centers : ndarray of shape (k, n_features), dtype float32 or float64
        The centres the assignment was made against (kernel coordinates).
    sums : ndarray of shape (k, n_features), dtype float64
        Weighted sums of the points of each cluster (kernel coordinates). May be
        modified (relocation).
    weight_sums : ndarray of shape (k,), dtype float64
        Total weight of each cluster. May be modified (relocation).
    policy : {"relocate", "drop", "keep"}
    relocate_args : tuple, optional
        ``(X, shift, sample_weight, labels, sqdist)`` for
        :func:`relocate_empty_clusters`; needed only by ``"relocate"`` when a cluster
        is empty (without it, empty centres go onto the heaviest cluster's centre).

    Returns
    -------
    new_centers : ndarray of shape (k_new, n_features), same dtype as ``centers``
        ``k_new == k`` except with ``"drop"``.
    keep : ndarray of shape (k,), dtype bool, or None
        With ``"drop"``: which rows of ``centers`` survive (None if all do).
    n_empty : int
        Number of clusters that were empty after the assignment.
    """
    dtype = centers.dtype
    n_empty = int(np.count_nonzero(weight_sums == 0))
    if n_empty and policy == "relocate" and relocate_args is not None:
        relocate_empty_clusters(*relocate_args, sums, weight_sums)
    filled = weight_sums > 0
    # Zeros, not np.empty: ``where`` leaves an empty cluster's row untouched, and
    # whatever the memory held (NaN, 1e300) would overflow in the cast below.
    new = np.zeros(sums.shape, dtype=np.float64)
    np.divide(sums, weight_sums[:, None], out=new, where=filled[:, None])
    new = new.astype(dtype)
    keep = None
    if not filled.all():
        if policy == "keep":
            new[~filled] = centers[~filled]
        elif policy == "relocate":
            # Nothing could be relocated (all points sit on their centres).
            new[~filled] = new[np.argmax(weight_sums)]
        elif policy == "drop":
            keep = filled
            new = new[keep]
        else:  # pragma: no cover - validated at the edge
            raise ValueError(f"unknown empty-cluster policy {policy!r}")
    return new, keep, n_empty


def center_shift_total(old, new, keep=None) -> float:
    """Sum over clusters of the squared distance each centre moved (float64).

    With ``keep``, only the surviving rows of ``old`` are compared with ``new``.
    """
    if keep is not None:
        old = old[keep]
    diff = new.astype(np.float64) - old.astype(np.float64)
    return float(np.einsum("ij,ij->", diff, diff))

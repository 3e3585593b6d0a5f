"""Mini-batch k-means (Sculley 2010, with scikit-learn's reassignment and stopping rules).

Pure functions over prepared arrays; :class:`pixelmeans.cluster.estimator.MiniBatchKMeans`
validates and calls them. Each step draws ``batch_size`` rows with replacement,
assigns them to the nearest centre (the exact kernel of
:mod:`pixelmeans.cluster.kernels`) and moves every centre that got points to the
weighted mean of everything it has been given so far (per-centre learning rate
``1 / total weight``). As scikit-learn:

* centres whose total weight falls below ``reassignment_ratio`` times the largest
  are moved to random points of the batch, every ``10 k`` points seen or as soon as a
  centre has no weight;
* the run stops after ``max_iter`` passes' worth of steps, when the centres moved
  less than ``tol`` (squared, scaled by the data variance) in a step, or when the
  exponentially weighted average of the batch inertia has not improved for
  ``max_no_improvement`` steps.

Only the batch is copied (``batch_size x d``); the data is never converted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pixelmeans.cluster.kernels import labels_inertia

__all__ = ["MiniBatchState", "minibatch_step"]


@dataclass
class MiniBatchState:
    """What a mini-batch run carries from step to step.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features), dtype float64
    weight_sums : ndarray of shape (n_clusters,), dtype float64
        Total weight each centre has been given (its inverse learning rate).
    n_since_reassign : int
        Points seen since the last reassignment check.
    ewa_inertia, ewa_inertia_min : float or None
        Exponentially weighted average of the per-point batch inertia, and its minimum.
    no_improvement : int
        Steps since ``ewa_inertia_min`` last improved.
    n_steps : int
    """

    centers: np.ndarray
    weight_sums: np.ndarray
    n_since_reassign: int = 0
    ewa_inertia: float | None = None
    ewa_inertia_min: float | None = None
    no_improvement: int = 0
    n_steps: int = 0


def _batch_sums(Xb, wb, labels, n_clusters):
    """Per-centre weighted sums (k, d) and weights (k,) of a batch, float64."""
    onehot = sp.csr_matrix((wb, (labels, np.arange(len(labels)))),
                           shape=(n_clusters, len(labels)))
    sums = np.asarray(onehot @ Xb.astype(np.float64, copy=False))
    return sums, np.asarray(onehot.sum(axis=1)).ravel()


def minibatch_step(Xb, wb, state, random_state, *, reassignment_ratio, dtype):
    """One mini-batch step: assign, move centres, maybe reassign small ones.

    Parameters
    ----------
    Xb : ndarray of shape (batch_size, n_features), dtype uint8, float32 or float64
        The batch (C-contiguous).
    wb : ndarray of shape (batch_size,), dtype float64
    state : MiniBatchState
        Updated in place.
    random_state : numpy.random.RandomState
    reassignment_ratio : float
    dtype : {float32, float64}
        Compute dtype of the assignment.

    Returns
    -------
    batch_inertia : float
        Weighted inertia of the batch on the centres it was assigned to.
    squared_shift : float
        Sum of squared centre moves of this step.
    """
    k = state.centers.shape[0]
    labels, inertia = labels_inertia(Xb, state.centers.astype(dtype), wb)
    sums, wsum = _batch_sums(Xb, wb, labels, k)
    old = state.centers.copy()
    got = wsum > 0
    total = state.weight_sums[got] + wsum[got]
    state.centers[got] = (old[got] * state.weight_sums[got, None] + sums[got]) / total[:, None]
    state.weight_sums[got] = total

    state.n_since_reassign += len(Xb)
    if reassignment_ratio > 0 and ((state.weight_sums == 0).any()
                                   or state.n_since_reassign >= 10 * k):
        state.n_since_reassign = 0
        small = state.weight_sums < reassignment_ratio * state.weight_sums.max()
        # At most half the batch is used for new centres: the smallest ones move.
        if small.sum() > 0.5 * len(Xb):
            order = np.argsort(state.weight_sums, kind="stable")
            small[:] = False
            small[order[:int(0.5 * len(Xb))]] = True
        n_new = int(small.sum())
        if n_new and (~small).any() and np.count_nonzero(wb) >= n_new:
            picks = random_state.choice(len(Xb), size=n_new, replace=False, p=wb / wb.sum())
            state.centers[small] = Xb[picks]
            state.weight_sums[small] = state.weight_sums[~small].min()
    diff = state.centers - old
    state.n_steps += 1
    return float(inertia), float(np.einsum("ij,ij->", diff, diff))


def converged(state, batch_inertia, squared_shift, *, batch_size, n_samples, tol,
              max_no_improvement, verbose=0):
    """scikit-learn's stopping rules for mini-batch k-means, after step ``state.n_steps``.

    Parameters
    ----------
    batch_inertia : float
        Weighted inertia of the last batch (divided here by ``batch_size``).
    squared_shift : float
    batch_size, n_samples : int
    tol : float
        Absolute tolerance on ``squared_shift`` (0 disables it).
    max_no_improvement : int or None

    Returns
    -------
    bool
    """
    if state.n_steps == 1:  # the first step's centres come from the initialisation
        return False
    per_point = batch_inertia / batch_size
    alpha = min(1.0, batch_size * 2.0 / (n_samples + 1))
    if state.ewa_inertia is None:
        state.ewa_inertia = per_point
    else:
        state.ewa_inertia = state.ewa_inertia * (1 - alpha) + per_point * alpha
    if verbose:
        print(f"Minibatch step {state.n_steps}: mean batch inertia {per_point:.6g}, "
              f"ewa inertia {state.ewa_inertia:.6g}")
    if tol > 0.0 and squared_shift <= tol:
        if verbose:
            print(f"Converged (small centers change) at step {state.n_steps}")
        return True
    if state.ewa_inertia_min is None or state.ewa_inertia < state.ewa_inertia_min:
        state.no_improvement = 0
        state.ewa_inertia_min = state.ewa_inertia
    else:
        state.no_improvement += 1
    if max_no_improvement is not None and state.no_improvement >= max_no_improvement:
        if verbose:
            print(f"Converged (lack of improvement in inertia) at step {state.n_steps}")
        return True
    return False

"""One run of batch k-means from given initial centres (no validation: arrays in).

The loop is scikit-learn's ``_kmeans_single_lloyd``: assign every point to its
nearest centre, move every centre to the mean of its points, stop when no label
changed ("strict convergence") or when the centres moved less than ``tol`` in total
(sum of squared shifts), or after ``max_iter`` steps; then assign once more so that
the labels and the inertia belong to the final centres.

What a step costs is the step kernel's business (``kernel_factory``); this module
only sequences steps, applies the empty-cluster policy and keeps the history. It also
names the step kernels it can run (:data:`KERNELS`: the exhaustive one of
:mod:`pixelmeans.cluster.kernels`, the bound-based ones of
:mod:`pixelmeans.cluster.bounds`) and chooses one for ``algorithm="auto"``
(:func:`choose_kernel`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pixelmeans.cluster._threads import blas_single_thread
from pixelmeans.cluster.bounds import ElkanKernel, HamerlyKernel, YinyangKernel
from pixelmeans.cluster.history import KMeansStep
from pixelmeans.cluster.kernels import LloydKernel, labels_inertia
from pixelmeans.cluster.update import center_shift_total, update_centers

__all__ = ["AUTO_ELKAN_MAX_K", "KERNELS", "SingleRun", "choose_kernel", "kmeans_single"]


@dataclass
class SingleRun:
    """Result of :func:`kmeans_single`.

    Attributes
    ----------
    centers : ndarray of shape (k_final, n_features), dtype float32 or float64
        Final centres in the coordinates of the data.
    labels : ndarray of shape (n_samples,), dtype int32
        Nearest final centre of each point (rows of ``centers``).
    inertia : float
        Weighted sum of squared distances to the final centres (float64 sum).
    n_iter : int
        Steps run.
    converged : bool
        False when it stopped at ``max_iter``.
    ids : ndarray of shape (k_final,), dtype int64
        Index of the initial centre each final centre descends from.
    history : list of KMeansStep or None
    stopped : bool
        True when a callback stopped the run before convergence.
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool
    ids: np.ndarray
    history: list | None
    stopped: bool = False


#: Step kernels by name, for ``KMeans(algorithm=...)``. A new exact kernel registers
#: here and in :func:`choose_kernel`; nothing else changes. All give the same labels
#: at every step (the canonical nearest centres), hence the same ``n_iter_``.
KERNELS = {"lloyd": LloydKernel, "hamerly": HamerlyKernel, "yinyang": YinyangKernel,
           "elkan": ElkanKernel}

#: "auto" uses Lloyd below this many multiply-adds per step (n * k * d): bounds do
#: not pay on tiny problems.
AUTO_LLOYD_WORK = 2**21
#: "auto" uses Elkan (a lower bound per point and centre: ``n x k`` float32) while
#: those bounds take at most this many bytes, Yinyang (``ceil(k / 10)`` groups, at most
#: 64, per point) above. Elkan was the faster at every size measured
#: (``benchmarks/bench_kernels.py``: full MNIST, k = 100, 2.57 s against 3.16 s;
#: 1,000,000 InfiMNIST images, k = 256, 300 steps, 127 s against 161 s), so only its
#: memory limits it: the budget keeps a fit at the data plus at most 1 GiB of bounds,
#: whatever ``n``.
AUTO_ELKAN_BYTES = 2**30


def choose_kernel(algorithm: str, n_clusters: int, n_features: int, n_samples: int):
    """The step-kernel class for ``algorithm``; "auto" chooses by the problem's shape.

    Parameters
    ----------
    algorithm : {"auto"} or a key of :data:`KERNELS`
    n_clusters, n_features, n_samples : int

    Returns
    -------
    type
        ``"auto"``: :class:`~pixelmeans.cluster.kernels.LloydKernel` when ``k == 1``
        or the problem is too small for bounds to pay (:data:`AUTO_LLOYD_WORK`), else
        Elkan while its bounds fit in :data:`AUTO_ELKAN_BYTES`, else Yinyang.
    """
    if algorithm != "auto":
        return KERNELS[algorithm]
    if n_clusters <= 1 or n_samples * n_clusters * max(1, n_features) < AUTO_LLOYD_WORK:
        return LloydKernel
    if n_samples * n_clusters * np.dtype(np.float32).itemsize <= AUTO_ELKAN_BYTES:
        return ElkanKernel
    return YinyangKernel


def _original(centers, shift):
    return centers + shift


def _unit_rows(centers):
    """``centers`` (data coordinates) scaled to unit length, in float64.

    A row at the origin (possible only for an empty cluster kept there) stays put.
    """
    centers = np.asarray(centers, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", centers, centers))
    norms[norms == 0] = 1.0
    return centers / norms[:, None]


def _normalise(centers, shift):
    """Shifted centres whose data-coordinate rows are scaled to unit length."""
    unit = _unit_rows(centers.astype(np.float64) + shift)
    return np.ascontiguousarray(unit - shift, dtype=centers.dtype)


@blas_single_thread()
def kmeans_single(X, sample_weight, centers_init, *, shift, max_iter=300, tol=0.0,
                  empty_clusters="relocate", record_history=False, verbose=0,
                  kernel_factory=LloydKernel, callback=None, spherical=False) -> SingleRun:
    """A single run of k-means (Lloyd's iteration), preparation done by the caller.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype uint8, float32 or float64, or RowSource
        C-contiguous, finite data, never modified or copied; or rows read chunk by
        chunk (:mod:`pixelmeans.cluster._rows`), with the same result.
    sample_weight : ndarray of shape (n_samples,), dtype float64
        Non-negative weights with a positive sum.
    centers_init : ndarray of shape (n_clusters, n_features), dtype of ``shift``
        Initial centres, already shifted (``c - shift``).
    shift : ndarray of shape (n_features,), dtype float32 or float64
        Subtracted from the data inside the kernels (the data mean); its dtype is
        the compute dtype.
    max_iter : int, default=300
    tol : float, default=0.0
        Absolute tolerance on the sum of squared centre shifts (the estimator scales
        its relative ``tol`` by the mean variance of the data).
    empty_clusters : {"relocate", "drop", "keep"}, default="relocate"
        See :mod:`pixelmeans.cluster.update`.
    record_history : bool, default=False
        Keep a :class:`KMeansStep` per step (the initial centres first).
    verbose : int, default=0
        >= 1: one line per step and the reason the run stopped.
    kernel_factory : callable, default=LloydKernel
        ``kernel_factory(X, sample_weight, shift, n_clusters, dtype)`` returning a
        step kernel (see :class:`~pixelmeans.cluster.kernels.LloydKernel` for the
        contract).
    callback : callable, optional
        ``callback(step)`` with a :class:`KMeansStep`, for the initial centres (step
        0) and after every step; a true return value stops the run there
        (``converged`` False). The history is kept by such a callback.
    spherical : bool, default=False
        Scale the centres to unit length after the initialisation and after every
        update (spherical k-means); the assignment stays Euclidean, to the scaled
        centres.

    Returns
    -------
    SingleRun
        ``stopped`` is True when the callback stopped the run.
    """
    dtype = shift.dtype
    n_samples = X.shape[0]
    centers = np.array(centers_init, dtype=dtype, order="C")
    if spherical:
        centers = _normalise(centers, shift)
    ids = np.arange(centers.shape[0], dtype=np.int64)
    labels = np.full(n_samples, -1, dtype=np.int32)
    kernel = kernel_factory(X, sample_weight, shift, centers.shape[0], dtype)

    history = [] if record_history else None
    observers = [f for f in (history.append if record_history else None, callback) if f]

    def tell(record):  # every observer sees every record; any true answer stops the run
        return any([bool(f(record)) for f in observers])

    stopped = bool(observers) and tell(
        KMeansStep(0, _original(centers, shift), ids, float("nan"), 0))

    # The exact distances to the assigned centres cost a little per step: computed
    # when a step's inertia is shown or kept, or when empty clusters need them.
    want_inertia = bool(observers or verbose)
    converged = False
    n_iter = 0
    while not stopped and n_iter < max_iter:
        n_iter += 1
        step = kernel.step(centers, labels, want_sqdist=want_inertia)
        relocate_args = None
        if empty_clusters == "relocate" and np.any(step.weight_sums == 0):
            sqdist = step.sqdist
            if not want_inertia:  # same centres, same labels: only the distances are new
                sqdist = kernel.step(centers, labels.copy(), want_sums=False).sqdist
            relocate_args = (kernel.X, shift, sample_weight, labels, sqdist)
        new_centers, keep, n_empty = update_centers(
            centers, step.sums, step.weight_sums, empty_clusters,
            relocate_args=relocate_args,
        )
        if spherical:
            new_centers = _normalise(new_centers, shift)
        moved = center_shift_total(centers, new_centers, keep)
        if keep is not None:
            # Renumber labels to the surviving rows; points of a dropped cluster
            # (possible only with zero weight) get -1 until the next assignment.
            remap = np.full(centers.shape[0], -1, dtype=np.int32)
            remap[keep] = np.arange(int(keep.sum()), dtype=np.int32)
            labels = remap[labels]
            ids = ids[keep]
            kernel.drop(keep)
        centers = new_centers

        if verbose:
            empty_note = ""
            if n_empty:
                verb = {"relocate": "relocated", "drop": "dropped", "keep": "kept"}[empty_clusters]
                empty_note = f", {n_empty} empty cluster{'s' if n_empty > 1 else ''} {verb}"
            print(f"Iteration {n_iter}, inertia {step.inertia:.6g}, {step.n_changed} points "
                  f"changed, centre shift {moved:.3g}{empty_note}.")
        if observers:
            stopped = tell(KMeansStep(n_iter, _original(centers, shift), ids, step.inertia,
                                      step.n_changed, moved))

        if step.n_changed == 0:
            converged = True  # strict convergence: the assignment did not change
            if verbose:
                print(f"Converged at iteration {n_iter}: strict convergence.")
            break
        if moved <= tol:
            converged = True
            if verbose:
                print(f"Converged at iteration {n_iter}: center shift {moved:.6g} within "
                      f"tolerance {tol:.6g}.")
            break

    stopped = stopped and not converged
    final_centers = _original(centers, shift)
    if spherical:  # unit length to the output dtype's precision, not the shift's
        final_centers = _unit_rows(final_centers).astype(dtype)
    final_labels, inertia = labels_inertia(kernel.X, final_centers, sample_weight)
    if verbose:
        if converged:
            print(f"K-means converged after {n_iter} steps.")
        elif stopped:
            print(f"K-means stopped by the callback after {n_iter} steps.")
        else:
            print(f"K-means stopped at max_iter={max_iter} steps without converging.")
    return SingleRun(final_centers, final_labels, inertia, n_iter, converged, ids, history,
                     stopped)

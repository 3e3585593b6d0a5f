"""Restarts of k-means from independent seeds, each one's statistics kept.

The sweep reports every restart (inertia after the first step and at the end, steps,
time) and the console shows progress across them and along each one's steps, so the
restarts run here rather than inside ``KMeans(n_init=...)``, with the same rule for
the best one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StepNote:
    """One k-means step of a restart, as the console shows it.

    Attributes
    ----------
    restart : int
        From 0.
    step : int
        0 for the initial centroids, then 1, 2, ...
    seconds : float
        Wall time of the step (for step 0: from the start of the fit to the initial
        centroids, the first pass over the data included).
    inertia : float
        Of the step's assignment, in the features' units; NaN for step 0.
    n_changed : int
        Points whose cluster changed in the step.
    n_workers : int or None
        Dask workers that ran the step; None for a fit in this process.
    """

    restart: int
    step: int
    seconds: float
    inertia: float
    n_changed: int
    n_workers: int | None = None


def restart_seeds(seed: int, n_init: int) -> list[int]:
    """Independent, reproducible seeds for each restart."""
    return [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, size=n_init)]


def fit_restarts(X, *, k, n_init, seed, init, max_iter, tol, empty_clusters,
                 record_history=False, progress=None, scale=1.0, on_step=None):
    """Fit k-means ``n_init`` times from independent starts.

    Restarts are run here, not inside KMeans, so that every restart's statistics are
    kept (the sweep reports them) and the console can show progress across them.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or a chunked array of that shape
        What k-means is fitted on: the features (float32), or the features divided by
        ``scale`` (uint8 pixels), in memory or read chunk by chunk.
    init : str or ndarray of shape (k, n_features)
        A method name, or initial centroids in the features' units.
    progress : callable(record, model) or None
        Called after each restart with its record (as in ``records``) and its model.
    scale : float
        Features per unit of ``X``: 1/255 when ``X`` holds uint8 pixels whose features
        are ``X / 255``. The fit runs on ``X`` as it is; the models, their history and
        the records are returned in the features' units.
    on_step : callable(StepNote) or None
        Called after each step of each restart (step 0: the initial centroids).

    Returns
    -------
    best : KMeans
        The best restart by :func:`pixelmeans.cluster.estimator.is_better_restart`.
    records : list of dict
        One per restart: seed, inertia, first_inertia, n_iter, converged, fit_time.
    """
    from pixelmeans import KMeans
    from pixelmeans.cluster.distributed import is_dask_array, n_workers, on_cluster
    from pixelmeans.cluster.estimator import is_better_restart

    X = on_cluster(X)  # a Dask array under ``--scheduler``
    on_dask = is_dask_array(X)
    if not isinstance(init, str) and scale != 1.0:
        init = np.asarray(init, dtype=np.float64) / scale

    best, records = None, []
    for i, s in enumerate(restart_seeds(seed, n_init)):
        model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, tol=tol,
                       empty_clusters=empty_clusters, record_history=True,
                       random_state=s)
        start = time.perf_counter()
        if on_step is not None:
            model.set_params(callback=_step_callback(i, scale, on_step,
                                                     n_workers() if on_dask else None))
        model.fit(X)
        elapsed = time.perf_counter() - start
        model.set_params(callback=None)
        _to_feature_units(model, scale)
        steps = model.history_
        records.append({
            "restart": i,
            "seed": s,
            "inertia": float(model.inertia_),
            "first_inertia": float(steps[1].inertia) if len(steps) > 1 else float(model.inertia_),
            "n_iter": int(model.n_iter_),
            "converged": bool(model.converged_),
            "fit_time": elapsed,
            "n_clusters_out": int(model.cluster_centers_.shape[0]),
        })
        if not record_history:
            model.history_ = None
        if best is None or is_better_restart(model.inertia_, model.labels_, best.inertia_, best.labels_):
            best = model
        if progress is not None:
            progress(records[-1], model)
    return best, records


def _scaled_step(step, scale):
    from pixelmeans.cluster import KMeansStep

    return KMeansStep(step.step, step.centers.astype(np.float64) * scale, step.ids,
                      step.inertia * scale**2, step.n_changed, step.center_shift * scale**2)


def _to_feature_units(model, scale) -> None:
    """Put a model fitted on ``X`` into the units of the features ``X * scale``: its
    centroids, inertia and history; the labels stay as they are."""
    if scale == 1.0:
        return
    centers = model.cluster_centers_
    model.cluster_centers_ = (centers.astype(np.float64) * scale).astype(centers.dtype)
    model.inertia_ = float(model.inertia_) * scale**2
    model.history_ = [_scaled_step(step, scale) for step in model.history_]


def _step_callback(restart, scale, on_step, n_workers=None):
    """A ``KMeans(callback=...)`` that times each step and tells ``on_step``."""
    last = [time.perf_counter()]

    def callback(step):
        now = time.perf_counter()
        on_step(StepNote(restart, step.step, now - last[0], step.inertia * scale**2,
                         step.n_changed, n_workers))
        last[0] = now

    return callback


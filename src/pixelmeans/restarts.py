"""Restarts of k-means from independent seeds, each one's statistics kept.

The sweep reports every restart (inertia after the first step and at the end, steps,
time) and the console shows progress across them, so the restarts run here rather
than inside ``KMeans(n_init=...)``, with the same rule for the best one.
"""

from __future__ import annotations

import time

import numpy as np

def restart_seeds(seed: int, n_init: int) -> list[int]:
    """Independent, reproducible seeds for each restart."""
    return [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, size=n_init)]


def fit_restarts(X, *, k, n_init, seed, init, max_iter, tol, empty_clusters,
                 record_history=False, progress=None):
    """Fit k-means ``n_init`` times from independent starts.

    Restarts are run here, not inside KMeans, so that every restart's statistics are
    kept (the sweep reports them) and the console can show progress across them.

    Parameters
    ----------
    X : ndarray of float32, shape (n_samples, n_features)
    progress : callable(record, model) or None
        Called after each restart with its record (as in ``records``) and its model.

    Returns
    -------
    best : KMeans
        The best restart by :func:`pixelmeans.cluster.estimator.is_better_restart`.
    records : list of dict
        One per restart: seed, inertia, first_inertia, n_iter, converged, fit_time.
    """
    from pixelmeans import KMeans
    from pixelmeans.cluster.distributed import on_cluster
    from pixelmeans.cluster.estimator import is_better_restart

    X = on_cluster(X)  # a Dask array under ``--scheduler``

    best, records = None, []
    for i, s in enumerate(restart_seeds(seed, n_init)):
        model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, tol=tol,
                       empty_clusters=empty_clusters, record_history=True,
                       random_state=s)
        start = time.perf_counter()
        model.fit(X)
        elapsed = time.perf_counter() - start
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

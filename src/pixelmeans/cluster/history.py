"""The record of one k-means step, as kept in ``KMeans.history_`` and given to ``callback``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["KMeansStep"]


@dataclass(frozen=True, eq=False)
class KMeansStep:
    """The centroids after one step of k-means, and what that step did.

    A fit with ``record_history=True`` keeps one record per step in ``history_``:
    ``history_[0]`` holds the initial centroids, ``history_[t]`` the centroids after
    step ``t`` (an assignment of every point to its nearest centroid followed by the
    update of every centroid to the mean of its points). ``KMeans(callback=...)`` is
    given the same records, step 0 included, as they are made. The arrays are
    read-only.

    Attributes
    ----------
    step : int
        0 for the initial centroids, then 1, 2, ...
    centers : ndarray of shape (k_t, n_features), dtype float32
        The centroids after this step, in the coordinates of the data. ``k_t`` is
        the number of centroids still alive: it only shrinks, and only with
        ``empty_clusters="drop"``.
    ids : ndarray of shape (k_t,), dtype int64
        For each row of ``centers``, the index of the initial centroid it descends
        from, increasing. A dropped centroid's id disappears from later steps, so a
        centroid can be followed across steps by its id.
    inertia : float
        Inertia of this step's assignment: the (weighted) sum of squared distances
        of the points to the centroids of the previous step they were assigned to.
        NaN for step 0.
    n_changed : int
        Points whose cluster changed in this step's assignment; at step 1 every point
        counts as changed (it had no cluster before). 0 for step 0.
    center_shift : float
        Sum over the centroids of the squared distance each moved in this step (the
        quantity compared with the scaled ``tol``). NaN for step 0.
    """

    step: int
    centers: np.ndarray
    ids: np.ndarray
    inertia: float
    n_changed: int
    center_shift: float = math.nan

    def __post_init__(self):
        centers = np.array(self.centers, dtype=np.float32, order="C")
        ids = np.array(self.ids, dtype=np.int64)
        if centers.ndim != 2 or ids.shape != (centers.shape[0],):
            raise ValueError(
                f"KMeansStep: centers of shape {centers.shape} need ids of shape "
                f"({centers.shape[0] if centers.ndim == 2 else '?'},), got {ids.shape}"
            )
        centers.setflags(write=False)
        ids.setflags(write=False)
        object.__setattr__(self, "centers", centers)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "step", int(self.step))
        object.__setattr__(self, "inertia", float(self.inertia))
        object.__setattr__(self, "n_changed", int(self.n_changed))
        object.__setattr__(self, "center_shift", float(self.center_shift))

    def __repr__(self) -> str:
        inertia = "nan" if math.isnan(self.inertia) else f"{self.inertia:.6g}"
        return (f"KMeansStep(step={self.step}, k={self.centers.shape[0]}, "
                f"inertia={inertia}, n_changed={self.n_changed}, "
                f"center_shift={self.center_shift:.6g})")

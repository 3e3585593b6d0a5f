"""Inter-cluster distance map: the centroids laid out in 2-D, one circle per cluster.

The centroids live in many dimensions; the map places them in two so that their
distances are kept as well as two dimensions allow (metric MDS on the centroid
distances), or on their first two principal components. A circle's area is
proportional to its cluster's size, so big clusters and crowded regions show at a
glance. Only the centroids are placed: how far the members spread is not shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pixelmeans.errors import InputError
from pixelmeans.plots.embedding import cluster_colours

#: Marker area (points^2) of the largest cluster's circle, for up to 10 clusters.
LARGEST_AREA = 3200.0
#: Above this many clusters the captions are not written on the circles.
CAPTION_MAX = 64
METHODS = ("mds", "pca")
_KEY_FONT = 8


def centre_layout(centers, *, method: str = "mds", random_state=0) -> np.ndarray:
    """2-D positions of the centroids for the map.

    Parameters
    ----------
    centers : ndarray of float64, shape (k, d)
        Finite, validated by the caller.
    method : {"mds", "pca"}
        Metric MDS on the Euclidean centroid distances (keeps distances best), or
        the first two principal components (a linear projection).
    random_state : int
        Passed to MDS; its start is classical MDS, which draws nothing, so the
        layout does not depend on it in practice.

    Returns
    -------
    ndarray of float64, shape (k, 2)
    """
    k = centers.shape[0]
    xy = np.zeros((k, 2))
    if k == 1:
        return xy
    if method == "pca":
        from sklearn.decomposition import PCA

        m = min(2, k, centers.shape[1])
        xy[:, :m] = PCA(n_components=m, random_state=random_state).fit_transform(centers)
        return xy
    from sklearn.manifold import MDS
    from sklearn.metrics import euclidean_distances

    # Starting from classical MDS (the PCA layout) the stress can only go down, so the
    # map keeps the distances at least as well as PCA's, and it needs no random restarts.
    # The distances are given, not the centres: k centres of k features would look like
    # a distance matrix to MDS (and it would say so on every such run).
    mds = MDS(n_components=2, metric="precomputed", n_init=1, init="classical_mds",
              random_state=random_state)
    return mds.fit_transform(euclidean_distances(centers))


def _check(centers, sizes, captions, method):
    centers = np.asarray(centers, dtype=np.float64)
    sizes = np.asarray(sizes, dtype=np.float64)
    if centers.ndim != 2 or 0 in centers.shape or sizes.shape != (centers.shape[0],):
        raise InputError(f"intercluster_distance_figure: expected centers (k, d) and sizes (k,), "
                         f"k >= 1, got {centers.shape} and {sizes.shape}")
    if not np.isfinite(centers).all():
        raise InputError("intercluster_distance_figure: centers has NaN or infinite values")
    if not np.isfinite(sizes).all() or (sizes < 0).any():
        raise InputError("intercluster_distance_figure: sizes must be finite and non-negative")
    if method not in METHODS:
        raise InputError(f"intercluster_distance_figure: method must be 'mds' or 'pca', got {method!r}")
    k = centers.shape[0]
    names = [str(i) for i in range(k)] if captions is None else [str(c) for c in captions]
    if len(names) != k:
        raise InputError(f"intercluster_distance_figure: {k} clusters, got {len(names)} captions")
    return centers, sizes, names


def _size_key(ax, sizes, largest):
    """Legend of reference circles: the largest cluster and a quarter of it."""
    top = float(sizes.max())
    handles = []
    for share in (1.0, 0.25):
        n = top * share
        handles.append(Line2D([], [], ls="", marker="o", mfc="none", mec="#555555",
                              markersize=np.sqrt(largest * share),
                              label=f"a cluster of\n{n:,.0f} points" if n >= 10 else f"a cluster of\n{n:.3g} points"))
    # handle box sized to the largest circle (in font sizes), so the keys never overlap
    box = np.sqrt(largest) / _KEY_FONT + 0.4
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False,
              fontsize=_KEY_FONT, handleheight=box, handlelength=box, labelspacing=0.6)


def intercluster_distance_figure(centers, sizes, captions: Sequence | None = None,
                                 random_state=0, *, method: str = "mds",
                                 title: str | None = None) -> Figure:
    """The centroids in 2-D, each a circle with area proportional to its cluster's size.

    Parameters
    ----------
    centers : array_like of float, shape (k, d)
        Cluster centres (``KMeans.cluster_centers_``).
    sizes : array_like of int, shape (k,)
        Members of each cluster (e.g. ``np.bincount(labels, minlength=k)``); an empty
        cluster is drawn as a cross.
    captions : sequence of str, length k, optional
        Written at each centre (up to `CAPTION_MAX` clusters); default the cluster
        numbers.
    random_state : int
        Passed to `centre_layout`; the same centres always give the same map.
    method : {"mds", "pca"}
        How the centres are placed; see `centre_layout`.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    centers, sizes, names = _check(centers, sizes, captions, method)
    k = centers.shape[0]
    xy = centre_layout(centers, method=method, random_state=random_state)
    largest = LARGEST_AREA * min(1.0, 10.0 / k) ** 0.75
    area = largest * sizes / max(float(sizes.max()), 1e-300)
    colours = cluster_colours(k)
    fig = Figure(figsize=(8.2, 6.6), layout="constrained")
    ax = fig.add_subplot()
    order = np.argsort(-area, kind="stable")  # small circles on top of big ones
    full = order[sizes[order] > 0]
    ax.scatter(xy[full, 0], xy[full, 1], s=area[full], c=[colours[i] for i in full], alpha=0.45,
               edgecolors="#333333", linewidths=0.6, clip_on=False)
    empty = np.flatnonzero(sizes == 0)
    if empty.size:
        ax.scatter(xy[empty, 0], xy[empty, 1], marker="x", s=30, color="#333333", clip_on=False)
    if k <= CAPTION_MAX:
        size = 8 if k <= 20 else 6
        for i in range(k):
            ax.text(xy[i, 0], xy[i, 1], names[i], ha="center", va="center", fontsize=size,
                    color="#1a1a1a")
    if sizes.max() > 0:
        _size_key(ax, sizes, largest)
    ax.set_aspect("equal", adjustable="datalim")
    ax.margins(0.18)
    ax.set_xticks([])
    ax.set_yticks([])
    axis = "MDS" if method == "mds" else "PC"
    ax.set_xlabel(f"{axis} 1")
    ax.set_ylabel(f"{axis} 2")
    ax.set_title(title or f"Distances between the {k} centroids ({'MDS' if method == 'mds' else 'PCA'})")
    return fig

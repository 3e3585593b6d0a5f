"""A 2-D map of learned codes, coloured by cluster and, beside it, by true label."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from pixelmeans.errors import InputError

#: Points drawn at most; more only hide each other and slow the PNG down.
MAX_POINTS = 20000


def cluster_colours(n: int) -> list:
    """``n`` distinct RGBA colours, the same for cluster ``i`` in every figure of a run."""
    cmap = colormaps["tab10" if n <= 10 else "tab20" if n <= 20 else "turbo"]
    return [cmap(i / max(n - 1, 1)) if n > 20 else cmap(i) for i in range(n)]


def _panel(ax, xy, groups, names, title):
    n = int(groups.max()) + 1 if groups.size else 0
    colours = cluster_colours(n)
    for g in range(n):
        mask = groups == g
        if mask.any():
            ax.scatter(xy[mask, 0], xy[mask, 1], s=4 if xy.shape[0] <= 6000 else 1.5, color=colours[g], alpha=0.6,
                       linewidths=0, rasterized=True, label=names[g] if names else str(g))
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    if n <= 26:
        ax.legend(markerscale=6, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5),
                  frameon=False)


def embedding_figure(xy, clusters, labels=None, *, label_names: Sequence[str] | None = None,
                     cluster_names: Sequence[str] | None = None, random_state: int = 0,
                     title: str | None = None) -> Figure:
    """Scatter of 2-D coordinates coloured by cluster, and by true label when given.

    Parameters
    ----------
    xy : array_like of float, shape (n, 2)
    clusters : array_like of int, shape (n,)
    labels : array_like of int, shape (n,), optional
    label_names, cluster_names : sequence of str, optional
        Legend entries; default the numbers.
    random_state : int
        Which points are drawn when there are more than :data:`MAX_POINTS`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    xy = np.asarray(xy, dtype=np.float64)
    clusters = np.asarray(clusters, dtype=np.int64)
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] != clusters.shape[0]:
        raise InputError(f"embedding_figure: expected xy (n, 2) and clusters (n,), "
                         f"got {xy.shape} and {clusters.shape}")
    keep = np.arange(xy.shape[0])
    if keep.size > MAX_POINTS:
        keep = np.sort(np.random.default_rng(random_state).choice(keep, MAX_POINTS, replace=False))
    panels = 1 if labels is None else 2
    fig = Figure(figsize=(6.2 * panels, 5.2), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    _panel(axes[0], xy[keep], clusters[keep], cluster_names, "coloured by cluster")
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        _panel(axes[1], xy[keep], labels[keep], label_names, "coloured by true label")
    if title:
        fig.suptitle(title)
    return fig

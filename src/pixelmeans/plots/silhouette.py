"""Per-cluster silhouette plot: each cluster's silhouettes as one horizontal band.

A band is as tall as the cluster's share of the points and as wide as each of its
points' silhouette, largest at the top; a band reaching left of zero holds points
closer to another cluster than to their own. The dashed line is the mean over all
points. The values come from `pixelmeans.evaluate.sample_silhouettes`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from pixelmeans.errors import InputError
from pixelmeans.plots.embedding import cluster_colours

#: Above this many clusters only every n-th band is named on the axis.
NAMED_MAX = 40
_MEAN_COLOUR = "#d1495b"


def _check(values, labels, captions):
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels)
    if values.ndim != 1 or values.size == 0 or labels.shape != values.shape:
        raise InputError(f"silhouette_figure: expected values (n,) and labels (n,), n >= 1, "
                         f"got {values.shape} and {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise InputError("silhouette_figure: labels must be non-negative ints (cluster numbers)")
    # 1e-9: scikit-learn's values are ratios that can round just past +-1
    if not np.isfinite(values).all() or np.abs(values).max() > 1 + 1e-9:
        raise InputError("silhouette_figure: silhouette values must be finite and in [-1, 1]")
    k = int(labels.max()) + 1 if captions is None else len(captions)
    if labels.max() >= k:
        raise InputError(f"silhouette_figure: {k} captions, but a label of {int(labels.max())}")
    names = [str(i) for i in range(k)] if captions is None else [str(c) for c in captions]
    return values, labels.astype(np.int64), names


def silhouette_figure(silhouette_values, labels, captions: Sequence | None = None, *,
                      title: str | None = None) -> Figure:
    """Silhouettes of the points of each cluster as sorted horizontal bands.

    Parameters
    ----------
    silhouette_values : array_like of float in [-1, 1], shape (n,)
        One value per point, e.g. from `pixelmeans.evaluate.sample_silhouettes`.
    labels : array_like of int, shape (n,)
        Cluster of each point, in ``0 .. k-1``.
    captions : sequence of str, length k, optional
        Name of each cluster on the axis (e.g. majority label, purity, size); default
        the cluster numbers, ``k`` one more than the largest label. A cluster with no
        points gets a name and an empty band.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    values, labels, names = _check(silhouette_values, labels, captions)
    k, n = len(names), values.size
    gap = 0.1 * n / k  # a tenth of the mean band, so thin bands stay apart
    colours = cluster_colours(k)
    fig = Figure(figsize=(7.5, min(16.0, max(3.8, 0.32 * min(k, NAMED_MAX) + 1.6))),
                 layout="constrained")
    ax = fig.add_subplot()
    top, centres = gap, []
    for j in range(k):
        band = np.sort(values[labels == j])[::-1]
        y = top + np.arange(band.size)
        if band.size:
            ax.fill_betweenx(y, 0.0, band, color=colours[j], alpha=0.85, linewidth=0,
                             step="mid", rasterized=True)
        centres.append(top + band.size / 2)
        top += band.size + gap
    mean = float(values.mean())
    ax.axvline(mean, color=_MEAN_COLOUR, ls="--", lw=1.4)
    ax.annotate(f"mean {mean:.3f}", xy=(mean, 0.0), xycoords=("data", "axes fraction"),
                xytext=(4, 4), textcoords="offset points", ha="left", va="bottom",
                color=_MEAN_COLOUR, fontsize=8)
    ax.axvline(0.0, color="#555555", lw=0.8)
    step = max(1, int(np.ceil(k / NAMED_MAX)))
    ax.set_yticks(centres[::step], names[::step])
    ax.tick_params(axis="y", length=0, labelsize=8 if k <= 20 else 6)
    ax.set_ylim(top, 0.0)  # cluster 0 at the top
    ax.set_xlim(min(-0.1, np.floor(values.min() * 10) / 10), 1.0)
    ax.set_xlabel("silhouette coefficient")
    ax.set_ylabel("cluster")
    ax.grid(True, axis="x", color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or f"Silhouette of {n:,} points in {k} clusters")
    return fig

"""Clusters against true labels: counts written in the cells, colour by row share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from pixelmeans.errors import InputError

#: Above this many rows or columns the counts are not written in the cells.
ANNOTATE_MAX = 30


def confusion_figure(matrix, row_labels: Sequence | None = None,
                     col_labels: Sequence | None = None, *, normalise_rows: bool = True,
                     title: str | None = None, xlabel: str = "true label",
                     ylabel: str = "cluster (majority label)") -> Figure:
    """A confusion matrix of clusters (rows) against true labels (columns).

    The colour of a cell is its share of the row (what fraction of the cluster has
    that label) when ``normalise_rows``, else its count; the count itself is written
    in each cell while the matrix has at most `ANNOTATE_MAX` rows and columns.
    Rows are drawn in the order given: sort them (e.g. by majority label) beforehand.

    Parameters
    ----------
    matrix : array_like of int, shape (k, c)
        ``matrix[i, j]`` is the number of samples of cluster ``i`` with label ``j``.
    row_labels : sequence of str, length k, optional
        Default ``0 .. k-1``.
    col_labels : sequence of str, length c, optional
        Default ``0 .. c-1``.
    normalise_rows : bool
        Colour by row share (0..1) rather than raw counts. An empty row stays white.
    title, xlabel, ylabel : str
        Figure text.

    Returns
    -------
    matplotlib.figure.Figure
    """
    m = np.asarray(matrix)
    if m.ndim != 2 or 0 in m.shape:
        raise InputError(f"confusion matrix: expected shape (k, c), got {m.shape}")
    k, c = m.shape
    row_labels = [str(v) for v in (range(k) if row_labels is None else row_labels)]
    col_labels = [str(v) for v in (range(c) if col_labels is None else col_labels)]
    if len(row_labels) != k or len(col_labels) != c:
        raise InputError(f"confusion matrix {k}x{c}: got {len(row_labels)} row and {len(col_labels)} column labels")

    counts = m.astype(np.float64)
    if normalise_rows:
        sums = counts.sum(axis=1, keepdims=True)
        colour = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
        vmax, cbar_label = 1.0, "share of the cluster"
    else:
        colour = counts
        vmax, cbar_label = max(1.0, float(counts.max())), "count"

    annotate = k <= ANNOTATE_MAX and c <= ANNOTATE_MAX
    cell = 0.42 if annotate else max(0.06, min(0.3, 12.0 / max(k, c)))
    width = min(14.0, max(4.5, c * cell + 2.6))
    height = min(22.0, max(3.0, k * cell + 1.8 + (0.3 if title else 0.0)))
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(colour, cmap="Blues", vmin=0.0, vmax=vmax, aspect="auto",
                   interpolation="nearest")
    cb = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02, shrink=0.9)
    cb.set_label(cbar_label)

    step_r = max(1, int(np.ceil(k / 40)))
    step_c = max(1, int(np.ceil(c / 40)))
    ax.set_yticks(range(0, k, step_r), row_labels[::step_r])
    ax.set_xticks(range(0, c, step_c), col_labels[::step_c])
    ax.tick_params(length=0, labelsize=8 if annotate else 6)
    if c > 12 or max((len(s) for s in col_labels), default=0) > 3:
        ax.tick_params(axis="x", labelrotation=45)
        for t in ax.get_xticklabels():
            t.set_horizontalalignment("right")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    for s in ax.spines.values():
        s.set_visible(False)

    if annotate:
        size = 7.0 if max(k, c) <= 15 else 5.5
        for i in range(k):
            for j in range(c):
                n = int(m[i, j])
                if n == 0:
                    continue
                dark = colour[i, j] / vmax > 0.55
                ax.text(j, i, f"{n}", ha="center", va="center", fontsize=size,
                        color="white" if dark else "#1a1a1a")
    return fig

"""What each centroid stands for and what it got wrong: its nearest images and farthest members."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from pixelmeans.errors import InputError
from pixelmeans.plots.grid import as_image_stack
from pixelmeans.plots.layout import BLANK, GUTTER
from pixelmeans.plots.scale import to_uint8, unit_range


def _rows_of_images(value, k: int, h: int, w: int, name: str) -> list[np.ndarray]:
    """Accept (k, m, h, w) or k arrays of (m_i, h, w); return k float32 arrays."""
    if isinstance(value, np.ndarray) and value.ndim == 4:
        value = list(value)
    if len(value) != k:
        raise InputError(f"{name}: expected one row of images per centroid ({k}), got {len(value)}")
    rows = []
    for i, v in enumerate(value):
        r = np.asarray(v, dtype=np.float32)
        if r.size == 0:
            r = np.zeros((0, h, w), np.float32)
        elif r.ndim == 2 and r.shape[1] == h * w:  # flattened images
            r = r.reshape(-1, h, w)
        if r.ndim != 3 or r.shape[1:] != (h, w):
            raise InputError(f"{name}[{i}]: expected images of shape (m, {h}, {w}), got {r.shape}")
        rows.append(r)
    return rows


def members_figure(centroids, nearest, farthest, captions: Sequence[str] | None = None, *,
                   per_row: int = 8, max_rows: int | None = 64, title: str | None = None,
                   vmin: float | None = None, vmax: float | None = None) -> Figure:
    """One row per centroid: the centroid, its nearest real images, its farthest members.

    Parameters
    ----------
    centroids : array_like of float, shape (k, h, w)
        The centroid images.
    nearest : array_like of float, shape (k, m, h, w), or a sequence of k arrays (m_i, h, w) or (m_i, h * w)
        The real images closest to each centroid, closest first. Rows with fewer
        than ``per_row`` images (a small cluster), and images that are all NaN,
        are padded with blank tiles.
    farthest : same form as ``nearest``
        The members farthest from their centroid, farthest first.
    captions : sequence of str, length k, optional
        Written left of each row, e.g. ``"cluster 3 · label 7"``.
    per_row : int
        Images shown in each of the two groups (default 8); extra ones are cut.
    max_rows : int or None
        Show at most this many centroids (the first ones, in the order given) and say
        under the figure how many were left out; ``None`` shows all. The default (64)
        keeps k = 256 to a readable figure that renders in about two seconds: order
        the centroids (e.g. by size or purity) to choose which are shown.
    title : str, optional
    vmin, vmax : float, optional
        Values shown as black and white; default min and max over every image shown.

    Returns
    -------
    matplotlib.figure.Figure
        About 9 to 11 inches wide and 0.55 inch per centroid shown.
    """
    cents = as_image_stack(centroids, "centroids")
    k, h, w = cents.shape
    near = _rows_of_images(nearest, k, h, w, "nearest")
    far = _rows_of_images(farthest, k, h, w, "farthest")
    if captions is not None:
        captions = [str(c) for c in captions]
        if len(captions) != k:
            raise InputError(f"captions: expected {k} (one per centroid), got {len(captions)}")
    left_out = 0
    if max_rows is not None and k > int(max_rows):
        if int(max_rows) < 1:
            raise InputError(f"members_figure: max_rows must be at least 1, got {max_rows}")
        left_out, k = k - int(max_rows), int(max_rows)
        cents, near, far = cents[:k], near[:k], far[:k]
        captions = captions[:k] if captions is not None else None

    n = int(per_row)
    # tiles per row: centroid, n nearest, n farthest; NaN = blank
    tiles = np.full((k, 1 + 2 * n, h, w), np.nan, dtype=np.float32)
    tiles[:, 0] = cents
    for i in range(k):
        a, b = near[i][:n], far[i][:n]
        tiles[i, 1:1 + len(a)] = a
        tiles[i, 1 + n:1 + n + len(b)] = b
    grey = to_uint8(unit_range(tiles, vmin, vmax), blank=BLANK)

    gap = max(1, h // 14)
    group_gap = 4 * gap + h // 3
    row_h = h + gap
    col_x = []  # left pixel of each tile
    x = gap
    for j in range(1 + 2 * n):
        if j in (1, 1 + n):
            x += group_gap
        col_x.append(x)
        x += w + gap
    width_px = x
    header_px = round(h * 0.55)
    height_px = header_px + k * row_h + gap
    mosaic = np.full((height_px, width_px), GUTTER, dtype=np.uint8)
    for i in range(k):
        top = header_px + i * row_h
        for j, left in enumerate(col_x):
            mosaic[top:top + h, left:left + w] = grey[i, j]

    tile_in = 0.5
    px_in = tile_in / w
    label_in = 0.0
    if captions:
        longest = max(len(c) for c in captions)
        label_in = min(2.4, 0.2 + longest * 0.085)
    title_in = 0.35 if title else 0.0
    foot_in = 0.3 if left_out else 0.0
    img_w, img_h = width_px * px_in, height_px * px_in
    fig_w, fig_h = img_w + label_in, img_h + title_in + foot_in
    fig = Figure(figsize=(fig_w, fig_h))
    ax = fig.add_axes((label_in / fig_w, foot_in / fig_h, img_w / fig_w, img_h / fig_h))
    ax.imshow(mosaic, cmap="gray", vmin=0, vmax=255, interpolation="nearest", aspect="auto")
    ax.set_axis_off()

    head = dict(ha="center", va="center", fontsize=9, color="#333333")
    ax.text(col_x[0] + w / 2, header_px / 2, "centroid", **head)
    ax.text((col_x[1] + col_x[n] + w) / 2, header_px / 2, f"{n} nearest images", **head)
    ax.text((col_x[1 + n] + col_x[2 * n] + w) / 2, header_px / 2, f"{n} farthest members", **head)
    if captions:
        for i, text in enumerate(captions):
            y_fig = 1.0 - (title_in + (header_px + i * row_h + h / 2) * px_in) / fig_h
            fig.text(label_in / fig_w - 0.06 / fig_w, y_fig, text, ha="right", va="center",
                     fontsize=8.5, color="#222222")
    if title:
        fig.text(0.5, 1.0 - 0.06 / fig_h, title, ha="center", va="top", fontsize=10)
    if left_out:
        fig.text(0.5, 0.12 / fig_h, f"… and {left_out} more centroid{'s' if left_out > 1 else ''}, "
                 f"not shown (the first {k} of {k + left_out} are)", ha="center", va="center",
                 fontsize=9, color="#555555")
    return fig

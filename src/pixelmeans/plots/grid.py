"""Centroids as pictures: the captioned grid (``centroids.png``) and one-centroid PNGs.

MNIST-family images are light strokes on a black ground, so tiles keep that look
(``gray`` colour map, 0 = black) on a white page; a blank tile (NaN, e.g. a dropped
centroid) is a flat light grey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from pixelmeans.errors import InputError
from pixelmeans.plots.layout import BLANK, Grid
from pixelmeans.plots.output import pil_png_bytes
from pixelmeans.plots.scale import to_uint8, unit_range

#: Width of the whole grid figure in inches when tiles are at their smallest.
_MAX_WIDTH_IN = 11.0


def as_image_stack(images, name: str = "images") -> np.ndarray:
    """Check and return an image stack as float32 (k, h, w).

    Parameters
    ----------
    images : array_like, shape (k, h, w) or (h, w)
        A single image is taken as a stack of one.
    name : str
        Used in the error message.

    Returns
    -------
    ndarray of float32, shape (k, h, w)
    """
    a = np.asarray(images, dtype=np.float32)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or 0 in a.shape:
        raise InputError(f"{name}: expected an array of shape (k, h, w), got shape {np.shape(images)}")
    return a


def _wrap_caption(text: str, width_chars: int) -> str:
    """Break a caption at its ' · ' separators (then spaces) so each line fits ``width_chars``."""
    out: list[str] = []
    for line in str(text).split("\n"):
        if len(line) <= width_chars:
            out.append(line)
            continue
        sep = " · " if " · " in line else " "
        cur = ""
        for part in line.split(sep):
            trial = part if not cur else cur + sep + part
            if cur and len(trial) > width_chars:
                out.append(cur)
                cur = part
            else:
                cur = trial
        out.append(cur)
    return "\n".join(out)


def centroid_grid(images, captions: Sequence[str] | None = None, *, ncols: int | None = None,
                  title: str | None = None, vmin: float | None = None,
                  vmax: float | None = None) -> Figure:
    """All centroids as one captioned grid of grey images.

    Parameters
    ----------
    images : array_like of float, shape (k, h, w)
        One image per centroid, any value range; 1 <= k (256 and more work). A tile
        that is all NaN is drawn blank (e.g. a dropped centroid).
    captions : sequence of str, length k, optional
        Text under each tile, e.g. ``"7 · 0.83 · n=6123"``. Long captions wrap at
        their ``" · "`` separators; explicit newlines are kept.
    ncols : int, optional
        Columns; default `pixelmeans.plots.layout.grid_columns` (10 → 5, 256 → 16).
    title : str, optional
        A line above the grid.
    vmin, vmax : float, optional
        Values shown as black and white; default the min and max over all tiles,
        so every tile is on the same grey scale.

    Returns
    -------
    matplotlib.figure.Figure
        About 5 to 11 inches wide; save with `pixelmeans.plots.save_figure`.
    """
    stack = as_image_stack(images)
    k, h, w = stack.shape
    if captions is not None:
        captions = [str(c) for c in captions]
        if len(captions) != k:
            raise InputError(f"captions: expected {k} (one per image), got {len(captions)}")

    probe = Grid.for_tiles(k, h, w, ncols=ncols)
    tile_in = min(1.0, max(0.45, _MAX_WIDTH_IN / probe.ncols))  # inches per tile
    px_in = tile_in / w                                            # inches per mosaic pixel
    fontsize = float(np.clip(7.0 * tile_in, 4.0, 7.0))
    band = 0
    if captions is not None:
        width_chars = max(4, math.floor(tile_in * 72 * 1.08 / (0.56 * fontsize)))
        captions = [_wrap_caption(c, width_chars) for c in captions]
        lines = max(c.count("\n") + 1 for c in captions) if any(captions) else 0
        band = math.ceil((lines * fontsize * 1.25 + 3) / 72 / px_in) if lines else 0
    gap = max(1, round(0.06 / px_in))
    grid = Grid.for_tiles(k, h, w, ncols=probe.ncols, gap=gap, band=band)

    mosaic = grid.paint(to_uint8(unit_range(stack, vmin, vmax), blank=BLANK))
    title_in = (fontsize * 1.6 + 10) / 72 if title else 0.0
    fig_w, img_h = grid.width * px_in, grid.height * px_in
    fig = Figure(figsize=(fig_w, img_h + title_in))
    ax = fig.add_axes((0.0, 0.0, 1.0, img_h / (img_h + title_in)))
    ax.imshow(mosaic, cmap="gray", vmin=0, vmax=255, interpolation="nearest", aspect="auto")
    ax.set_axis_off()
    if captions is not None:
        for i, text in enumerate(captions):
            r, c = grid.origin(i)
            ax.text(c + w / 2 - 0.5, r + h + 0.5 * gap, text, ha="center", va="top",
                    fontsize=fontsize, linespacing=1.1, color="#222222")
    if title:
        fig.text(0.5, 1.0 - 4 / 72 / (img_h + title_in), title, ha="center", va="top",
                 fontsize=max(8.0, fontsize * 1.5), color="#111111")
    return fig


def image_png(image, scale: int = 4, *, vmin: float | None = None,
              vmax: float | None = None) -> bytes:
    """One image as a small 8-bit grey PNG, enlarged by repeating pixels.

    Parameters
    ----------
    image : array_like of float, shape (h, w)
        Any value range; NaN is drawn black.
    scale : int
        Each pixel becomes a ``scale x scale`` block (28 x 28 at 4 → 112 x 112).
    vmin, vmax : float, optional
        Values shown as black and white; default the image's own min and max.
        Pass ``0, 1`` to compare images (e.g. ``init/`` against ``final/``) on one scale.

    Returns
    -------
    bytes
        A PNG file, mode ``L``, size ``(w * scale, h * scale)``.
    """
    a = np.asarray(image, dtype=np.float32)
    if a.ndim != 2 or 0 in a.shape:
        raise InputError(f"image: expected an array of shape (h, w), got shape {a.shape}")
    scale = int(scale)
    if scale < 1:
        raise InputError(f"image_png: scale must be at least 1, got {scale}")
    grey = to_uint8(unit_range(a, vmin, vmax), blank=0)
    if scale > 1:
        grey = np.repeat(np.repeat(grey, scale, axis=0), scale, axis=1)
    return pil_png_bytes(Image.fromarray(grey))

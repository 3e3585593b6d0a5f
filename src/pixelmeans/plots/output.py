"""Figures and images to PNG bytes, and to files through `pixelmeans.fileio`.

Figures are built as `matplotlib.figure.Figure` objects directly (no pyplot, no
global state) and rendered with the Agg canvas. PNGs carry no software/version
metadata, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from pixelmeans import fileio

#: Resolution of saved figures: a 10-inch-wide figure is 1200 pixels.
DEFAULT_DPI = 120


def figure_png_bytes(fig: Figure, dpi: float | None = None) -> bytes:
    """Render a figure to PNG bytes with the Agg canvas.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : float, optional
        Pixels per inch; default `DEFAULT_DPI`.

    Returns
    -------
    bytes
        A PNG file.
    """
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    # Captions carry the user's class names and file names; a "$" in one must print as
    # a dollar sign, not start matplotlib's math mode (where "$^$" is an error).
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or DEFAULT_DPI, metadata={"Software": None},
                facecolor="white")
    return buf.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike, dpi: float | None = None) -> bytes:
    """Write a figure as a PNG file, atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path-like
        Destination; its folder must exist.
    dpi : float, optional
        Pixels per inch; default `DEFAULT_DPI`.

    Returns
    -------
    bytes
        The PNG written, for embedding in the report without reading it back.
    """
    data = figure_png_bytes(fig, dpi=dpi)
    fileio.write_bytes(path, data)
    return data


def pil_png_bytes(image: Image.Image) -> bytes:
    """Encode a PIL image as PNG bytes (no metadata).

    Parameters
    ----------
    image : PIL.Image.Image

    Returns
    -------
    bytes
    """
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def save_png(image: Image.Image | np.ndarray, path: str | os.PathLike) -> bytes:
    """Write a PIL image, or a uint8 array (h, w) / (h, w, 3), as a PNG file, atomically.

    Returns
    -------
    bytes
        The PNG written.
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    data = pil_png_bytes(image)
    fileio.write_bytes(Path(path), data)
    return data

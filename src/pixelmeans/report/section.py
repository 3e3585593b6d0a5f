"""What a report is made of: sections of text, figures and tables."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

#: A figure's image: PNG/GIF/JPEG/SVG bytes, a path to such a file, or a
#: `matplotlib.figure.Figure` (rendered to PNG when the report is written).
FigureSource = Union[bytes, bytearray, memoryview, str, os.PathLike, Any]

#: ``(caption, image)`` or ``(caption, image, display width in CSS pixels)``.
FigureItem = Union[tuple[str, FigureSource], tuple[str, FigureSource, Union[int, None]]]

#: ``(caption, header, rows)``: header is a list of column names; rows a list of
#: rows, each a sequence of cells (str, int, float, bool or None).
TableItem = tuple[str, Sequence[str], Sequence[Sequence[Any]]]


@dataclass
class Section:
    """One part of the report: a heading, a short explanation, figures and tables.

    Parameters
    ----------
    heading : str
        Shown as the section's title and in the contents list.
    text : str
        A short plain-text explanation of what the figures show. Blank lines separate
        paragraphs. Escaped: no HTML is interpreted.
    figures : list of (str, image) or (str, image, int)
        Caption and image; the image is PNG/GIF/JPEG/SVG bytes, a path to such a
        file, or a matplotlib Figure. Embedded in the page as a data URI. Figures
        are shown at their pixel size (never wider than the page); grey PNGs and GIFs
        (centroid tiles, animation frames) are enlarged with sharp pixels. An optional
        third item fixes the display width in CSS pixels.
    tables : list of (str, list of str, list of rows)
        Caption, column names, rows. Numbers are formatted and right-aligned; long
        tables fold into a "show" toggle (no script needed).
    note : str, optional
        A highlighted remark, e.g. why something is left out
        ("labels were not available, so label figures are left out").
    """

    heading: str
    text: str = ""
    figures: list[FigureItem] = field(default_factory=list)
    tables: list[TableItem] = field(default_factory=list)
    note: str | None = None

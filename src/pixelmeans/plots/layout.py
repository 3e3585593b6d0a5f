"""Grid geometry shared by every tiled figure, and the mosaic that fills it.

All tiled figures (centroid grid, evolution frames, members) paint their images
into one 8-bit grey mosaic and show it at once: one ``imshow`` for 256 centroids
is fast, 256 axes are not. The same ``grid_columns`` rule is used everywhere, so
a centroid sits at the same place in ``centroids.png`` and in every animation frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Grey of the space between tiles (the page colour).
GUTTER = 255
#: Grey of a blank tile: a dropped centroid, a missing member.
BLANK = 222


def grid_columns(n: int) -> int:
    """The number of columns for ``n`` tiles: wide rather than tall, few empty slots.

    Up to 6 tiles make one row. Beyond, looks at widths from ``ceil(sqrt(n))`` to
    ``ceil(sqrt(3 n))`` and takes the one that leaves the fewest empty slots in the
    last row, the widest on ties (10 → 5 x 2, 12 → 6 x 2, 30 → 10 x 3, 256 → 16 x 16).

    Parameters
    ----------
    n : int
        Number of tiles, at least 1.

    Returns
    -------
    int
    """
    if n < 1:
        raise ValueError(f"grid_columns: need at least one tile, got {n}")
    if n <= 6:
        return n
    lo = math.ceil(math.sqrt(n))
    hi = max(lo, math.ceil(math.sqrt(3 * n)))
    return min(range(lo, hi + 1), key=lambda c: ((-n) % c, -c))


@dataclass(frozen=True)
class Grid:
    """Pixel geometry of a grid of equal tiles, each with a caption band below.

    Attributes
    ----------
    n, nrows, ncols : int
        Tiles, rows and columns.
    tile_h, tile_w : int
        Tile size in mosaic pixels.
    gap : int
        Pixels between tiles and around the border.
    band : int
        Pixels under each tile kept free for its caption (0 for none).
    top : int
        Extra pixels above the first row (a header).
    """

    n: int
    nrows: int
    ncols: int
    tile_h: int
    tile_w: int
    gap: int = 2
    band: int = 0
    top: int = 0

    @classmethod
    def for_tiles(cls, n: int, tile_h: int, tile_w: int, *, ncols: int | None = None,
                  gap: int = 2, band: int = 0, top: int = 0) -> "Grid":
        """Lay out ``n`` tiles of ``tile_h x tile_w`` pixels, ``ncols`` wide (default: `grid_columns`)."""
        ncols = grid_columns(n) if ncols is None else int(ncols)
        if ncols < 1:
            raise ValueError(f"ncols must be at least 1, got {ncols}")
        ncols = min(ncols, n)
        return cls(n, math.ceil(n / ncols), ncols, tile_h, tile_w, gap, band, top)

    @property
    def height(self) -> int:
        """Mosaic height in pixels."""
        return self.top + self.gap + self.nrows * (self.tile_h + self.band + self.gap)

    @property
    def width(self) -> int:
        """Mosaic width in pixels."""
        return self.gap + self.ncols * (self.tile_w + self.gap)

    def origin(self, i: int) -> tuple[int, int]:
        """(row, column) pixel of the top-left corner of tile ``i``."""
        r, c = divmod(i, self.ncols)
        return (self.top + self.gap + r * (self.tile_h + self.band + self.gap),
                self.gap + c * (self.tile_w + self.gap))

    def paint(self, tiles: np.ndarray, *, upscale: int = 1) -> np.ndarray:
        """Paint 8-bit tiles into a new mosaic.

        Parameters
        ----------
        tiles : ndarray of uint8, shape (m, h, w), m <= n
            Tiles in grid order; ``h * upscale == tile_h`` and ``w * upscale == tile_w``.
            Slots after ``m`` stay gutter-coloured.
        upscale : int
            Nearest-neighbour enlargement of each tile.

        Returns
        -------
        ndarray of uint8, shape (height, width)
        """
        canvas = np.full((self.height, self.width), GUTTER, dtype=np.uint8)
        for i, tile in enumerate(tiles):
            if upscale > 1:
                tile = np.repeat(np.repeat(tile, upscale, axis=0), upscale, axis=1)
            r, c = self.origin(i)
            canvas[r:r + self.tile_h, c:c + self.tile_w] = tile
        return canvas

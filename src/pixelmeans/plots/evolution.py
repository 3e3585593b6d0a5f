"""How the centroids moved: one grid image per step, an animated GIF, PNG frames.

Frames are drawn with Pillow, not matplotlib: a run of 100 steps gives 100 frames
in well under a second. The grid has the same columns as `centroid_grid`
(`pixelmeans.plots.layout.grid_columns`), so a centroid keeps its place from the
grid to the animation. All frames share one grey scale (min-max over every step),
so brightening or fading is real change, not rescaling.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pixelmeans import fileio
from pixelmeans.errors import InputError
from pixelmeans.plots.layout import BLANK, GUTTER, Grid
from pixelmeans.plots.output import pil_png_bytes
from pixelmeans.plots.scale import to_uint8, unit_range


def frame_indices(n_steps: int, max_frames: int = 60) -> list[int]:
    """Which of ``n_steps`` recorded steps to draw, at most ``max_frames``, first and last kept.

    Early steps move the centroids most, so the chosen steps are spaced evenly on a
    square-root scale: dense at the start, sparse near convergence.

    Parameters
    ----------
    n_steps : int
        Number of recorded steps (frames available), at least 1.
    max_frames : int
        Upper bound on the result's length, at least 2.

    Returns
    -------
    list of int
        Increasing step indices in ``[0, n_steps)``, starting at 0 and ending at ``n_steps - 1``.
    """
    if n_steps < 1:
        raise InputError(f"frame_indices: need at least one step, got {n_steps}")
    if max_frames < 2:
        raise InputError(f"frame_indices: max_frames must be at least 2, got {max_frames}")
    if n_steps <= max_frames:
        return list(range(n_steps))
    picks = np.rint(np.linspace(0.0, 1.0, max_frames) ** 2 * (n_steps - 1)).astype(int)
    return sorted(set(picks.tolist()))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def evolution_frames(frames: Sequence, ids: Sequence | None = None, *, shape: tuple[int, int],
                     steps: Sequence[int] | None = None, scale: int = 3,
                     ncols: int | None = None, vmin: float | None = None,
                     vmax: float | None = None) -> list[Image.Image]:
    """Draw each step's centroids as a grid image with "step N" written above it.

    Parameters
    ----------
    frames : sequence of array_like of float, each shape (k_t, d)
        The centroids at each recorded step, ``d = h * w``. ``k_t`` may shrink
        when empty clusters are dropped.
    ids : sequence of array_like of int, each shape (k_t,), optional
        For each frame, which original centroid (tile) each row is. A tile whose
        centroid is absent from a frame is drawn blank with a cross. Default: row
        ``i`` is tile ``i`` in every frame.
    shape : (int, int)
        Image height and width, ``h * w == d``.
    steps : sequence of int, optional
        The step number written on each frame; default 0, 1, 2, ... (0 is the
        initial centroids). Pass the indices used when frames were subsampled
        (see `frame_indices`).
    scale : int
        Each pixel becomes a ``scale x scale`` block.
    ncols : int, optional
        Grid columns; default as in `centroid_grid`.
    vmin, vmax : float, optional
        Values shown as black and white; default min and max over all frames.

    Returns
    -------
    list of PIL.Image.Image
        One 8-bit grey (mode ``L``) image per frame, all of the same size: the grid
        of tiles under a header line, widened if needed so that the label fits.
    """
    if len(frames) == 0:
        raise InputError("evolution_frames: no frames given")
    h, w = (int(v) for v in shape)
    d = h * w
    mats = [np.asarray(f, dtype=np.float32) for f in frames]
    for t, m in enumerate(mats):
        if m.ndim != 2 or m.shape[1] != d:
            raise InputError(f"evolution_frames: frame {t} has shape {m.shape}, expected (k, {d}) for images of {h}x{w}")
    if ids is None:
        idx = [np.arange(m.shape[0]) for m in mats]
    else:
        if len(ids) != len(mats):
            raise InputError(f"evolution_frames: {len(ids)} id arrays for {len(mats)} frames")
        idx = [np.asarray(i, dtype=np.intp).reshape(-1) for i in ids]
        for t, (m, i) in enumerate(zip(mats, idx)):
            if len(i) != m.shape[0]:
                raise InputError(f"evolution_frames: frame {t} has {m.shape[0]} centroids but {len(i)} ids")
            if len(i) and i.min() < 0:
                raise InputError(f"evolution_frames: frame {t} has a negative id")
    if steps is None:
        steps = range(len(mats))
    elif len(steps) != len(mats):
        raise InputError(f"evolution_frames: {len(steps)} step numbers for {len(mats)} frames")
    n_tiles = max(max((int(i.max()) + 1 for i in idx if len(i)), default=1),
                  max(m.shape[0] for m in mats))

    # one grey scale for the whole animation
    everything = np.concatenate([m.reshape(-1) for m in mats]) if any(m.size for m in mats) else np.zeros(1)
    finite = everything[np.isfinite(everything)]
    lo = float(finite.min()) if vmin is None and finite.size else (0.0 if vmin is None else vmin)
    hi = float(finite.max()) if vmax is None and finite.size else (1.0 if vmax is None else vmax)

    font_px = max(11, min(18, 5 * scale + 4))
    font = _font(font_px)
    grid = Grid.for_tiles(n_tiles, h * scale, w * scale, ncols=ncols, gap=max(2, scale),
                          top=font_px + 8)
    steps = [int(s) for s in steps]
    widest = max((f"step {s}" for s in steps), key=lambda t: font.getlength(t))
    width = max(grid.width, grid.gap + 2 + int(np.ceil(font.getlength(widest))) + 4)
    out = []
    for m, i, step in zip(mats, idx, steps):
        tiles = np.full((n_tiles, h, w), np.nan, dtype=np.float32)
        tiles[i] = m.reshape(-1, h, w)
        present = np.zeros(n_tiles, dtype=bool)
        present[i] = True
        grey = to_uint8(unit_range(tiles, lo, hi), blank=BLANK)
        canvas = grid.paint(grey, upscale=scale)
        if width > grid.width:  # tiny images: widen so the step label fits
            canvas = np.pad(canvas, ((0, 0), (0, width - grid.width)), constant_values=GUTTER)
        img = Image.fromarray(canvas)
        draw = ImageDraw.Draw(img)
        draw.text((grid.gap + 2, 4), f"step {step}", fill=0, font=font)
        for t in np.flatnonzero(~present):  # a dropped centroid: a cross on a blank tile
            r, c = grid.origin(int(t))
            draw.line((c, r, c + grid.tile_w - 1, r + grid.tile_h - 1), fill=150, width=1)
            draw.line((c, r + grid.tile_h - 1, c + grid.tile_w - 1, r), fill=150, width=1)
        out.append(img)
    return out


def gif_bytes(frames: Sequence[Image.Image], duration_ms: int | Sequence[int] = 200, *,
              last_ms: int | None = 1500, loop: int = 0) -> bytes:
    """Encode frames as an animated GIF.

    Parameters
    ----------
    frames : sequence of PIL.Image.Image
        At least one, all the same size; mode ``L`` images keep an exact grey palette.
    duration_ms : int or sequence of int
        Display time of each frame (or of every frame) in milliseconds.
    last_ms : int, optional
        Display time of the last frame, so the result stays up a moment before the
        loop restarts; ``None`` keeps ``duration_ms``.
    loop : int
        0 loops forever.

    Returns
    -------
    bytes
        A GIF file with ``len(frames)`` frames (Pillow merges only identical
        neighbours, which frames numbered by step never are).
    """
    frames = list(frames)
    if not frames:
        raise InputError("gif: no frames given")
    if isinstance(duration_ms, (int, np.integer)):
        durations = [int(duration_ms)] * len(frames)
    else:
        durations = [int(v) for v in duration_ms]
        if len(durations) != len(frames):
            raise InputError(f"gif: {len(durations)} durations for {len(frames)} frames")
    if last_ms is not None:
        durations[-1] = int(last_ms)
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations if len(frames) > 1 else durations[0], loop=loop,
                   optimize=False, disposal=1)
    return buf.getvalue()


def write_gif(path: str | os.PathLike, frames: Sequence[Image.Image],
              duration_ms: int | Sequence[int] = 200, *, last_ms: int | None = 1500,
              loop: int = 0) -> bytes:
    """Write frames as an animated GIF file, atomically (see `gif_bytes`).

    Returns
    -------
    bytes
        The GIF written, for embedding in the report.
    """
    data = gif_bytes(frames, duration_ms, last_ms=last_ms, loop=loop)
    fileio.write_bytes(path, data)
    return data


def frame_png_bytes(frame: Image.Image) -> bytes:
    """One frame as PNG bytes."""
    return pil_png_bytes(frame)


def save_frames(folder: str | os.PathLike, frames: Sequence[Image.Image], *,
                steps: Sequence[int] | None = None, stem: str = "step") -> list[Path]:
    """Write each frame as ``<stem>_<step>.png`` in ``folder`` (which must exist).

    Parameters
    ----------
    folder : path-like
    frames : sequence of PIL.Image.Image
    steps : sequence of int, optional
        Number in each file name; default 0, 1, 2, ... Zero-padded to a common width
        so that the files sort in step order.
    stem : str

    Returns
    -------
    list of pathlib.Path
        The files written, in frame order.
    """
    steps = list(range(len(frames))) if steps is None else [int(s) for s in steps]
    if len(steps) != len(frames):
        raise InputError(f"save_frames: {len(steps)} step numbers for {len(frames)} frames")
    width = max(3, len(str(max(steps, default=0))))
    paths = []
    for frame, step in zip(frames, steps):
        p = Path(folder) / f"{stem}_{step:0{width}d}.png"
        fileio.write_bytes(p, pil_png_bytes(frame))
        paths.append(p)
    return paths

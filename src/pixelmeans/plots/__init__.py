"""Figures of a clustering: pure functions, arrays in, figure / PNG / GIF out.

Nothing here knows about k-means: callers pass images, matrices and numbers.
Figures are `matplotlib.figure.Figure` objects built without pyplot (no global
state); `save_figure` and the ``write_*`` / ``save_*`` helpers write through
`pixelmeans.fileio`, atomically.

Modules: `grid` (centroid grid, one-image PNG), `evolution` (step frames, GIF),
`confusion`, `members`, `curves` (elbow, accuracy, generic lines), `knee`
(knee point), `embedding` (2-D map by cluster and label), `silhouette` (per-cluster
silhouette bands), `intercluster` (centroid distance map), `output` (PNG bytes and files), `layout` and `scale` (shared tiling
and grey scale).
"""

from pixelmeans.plots.confusion import confusion_figure
from pixelmeans.plots.embedding import cluster_colours, embedding_figure
from pixelmeans.plots.curves import accuracy_vs_k_figure, elbow_figure, line_figure
from pixelmeans.plots.evolution import (
    evolution_frames,
    frame_indices,
    frame_png_bytes,
    gif_bytes,
    save_frames,
    write_gif,
)
from pixelmeans.plots.grid import centroid_grid, image_png
from pixelmeans.plots.intercluster import intercluster_distance_figure
from pixelmeans.plots.knee import knee_point
from pixelmeans.plots.layout import grid_columns
from pixelmeans.plots.members import members_figure
from pixelmeans.plots.output import DEFAULT_DPI, figure_png_bytes, pil_png_bytes, save_figure, save_png
from pixelmeans.plots.silhouette import silhouette_figure

__all__ = [
    "DEFAULT_DPI",
    "accuracy_vs_k_figure",
    "centroid_grid",
    "cluster_colours",
    "confusion_figure",
    "elbow_figure",
    "embedding_figure",
    "evolution_frames",
    "figure_png_bytes",
    "frame_indices",
    "frame_png_bytes",
    "gif_bytes",
    "grid_columns",
    "image_png",
    "intercluster_distance_figure",
    "knee_point",
    "line_figure",
    "members_figure",
    "pil_png_bytes",
    "save_figure",
    "save_frames",
    "save_png",
    "silhouette_figure",
    "write_gif",
]

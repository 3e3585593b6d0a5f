"""The features of a run's training images, as k-means is fitted on them and as the
evaluation and the figures read them.

Pixel features are the images / 255, so k-means is fitted on the uint8 images
themselves: a view of them in memory, or the chunked array of a store on disk, which
the fit reads chunk by chunk. No float copy of the training set is made; the model is
then put in the features' units (:func:`pixelmeans.restarts.fit_restarts`' ``scale``).
Other features are computed once, in memory.

Whatever reads the features afterwards (members, silhouettes, maps) asks for a range
or a sample of rows, which :class:`TrainFeatures` gives as float32 features, so that
nothing of size n x d is held beyond what the features themselves are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Features of a PixelFeatures are its uint8 pixels times this.
PIXEL_SCALE = 1.0 / 255.0


@dataclass(frozen=True)
class TrainFeatures:
    """The training features, held or read by blocks.

    Attributes
    ----------
    data : ndarray of shape (n, d), or a chunked array of shape (n, d)
        What k-means is fitted on: uint8 pixels (``pixels`` True; in memory or
        :class:`pixelmeans.data.store.FlatRows` of a store), or float32 features.
    pixels : bool
        Whether ``data`` are uint8 pixels whose features are ``data / 255``.

    Indexing (``features[lo:hi]``, ``features[indices]``) gives float32 features of
    those rows; ``shape`` is ``(n, d)``.
    """

    data: object
    pixels: bool

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.data.shape[0]), int(self.data.shape[1]))

    @property
    def scale(self) -> float:
        """Features per unit of ``data`` (``1/255`` for pixels, else 1)."""
        return PIXEL_SCALE if self.pixels else 1.0

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        """float32 features of ``rows`` (a slice, or an array of row indices)."""
        from pixelmeans.features._base import to_unit_float32

        block = self.data[rows]
        return to_unit_float32(block) if self.pixels else block


def train_features(transformer, images) -> TrainFeatures:
    """Fit ``transformer`` to the training images; return their features.

    Parameters
    ----------
    transformer : feature transformer (unfitted)
    images : ndarray of uint8, shape (n, h, w), or a chunked array of that shape

    Returns
    -------
    TrainFeatures
        For a :class:`~pixelmeans.features.PixelFeatures`, the images as rows, unread
        and uncopied; for any other transformer, its features of the images (which
        must then be in memory).
    """
    from pixelmeans.data.store import FlatRows
    from pixelmeans.features.pixels import PixelFeatures

    n = int(images.shape[0])
    rows = images.reshape(n, -1) if isinstance(images, np.ndarray) else FlatRows(images)
    if isinstance(transformer, PixelFeatures):
        transformer.fit(rows[:1])  # it learns the number of pixels, nothing else
        return TrainFeatures(rows, pixels=True)
    return TrainFeatures(transformer.fit_transform(rows), pixels=False)

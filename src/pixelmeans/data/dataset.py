"""The `Dataset` record every loader returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pixelmeans.errors import InputError

SPLITS = ("train", "test", "all")
#: Integer labels up to this value are their own class index (everything a uint8
#: label file can hold); a source with a larger label has its distinct values numbered.
MAX_VALUE_AS_INDEX = 255


@dataclass(frozen=True, repr=False, eq=False)
class Dataset:
    """Images and (optional) labels of one split of one data set.

    The arrays are read-only: the data stays uint8 and shared, and anything that
    needs floats makes its own copy (the data is never copied to float as a whole).

    Attributes
    ----------
    images : ndarray of uint8, shape (n_samples, height, width), or a chunked array
        Grey pixels, 0 = background for the MNIST family, upright orientation. A data
        set kept on disk (an InfiMNIST store loaded with ``in_memory=False``) holds a
        chunked array (zarr) of the same dtype and shape instead, read only when
        sliced (:meth:`is_chunked`).
    labels : ndarray of int64, shape (n_samples,), or None
        Index into `class_names` of each image; None when the source has no labels.
    class_names : tuple of str
        Name of each class, ``class_names[labels[i]]`` is image i's class; empty
        when there are no labels.
    name : str
        Catalog name (``"mnist"``) or the file/folder name the data came from.
    split : {"train", "test", "all"}
        Which part of the source this is; a source without splits is ``"all"``.
    """

    images: np.ndarray
    labels: np.ndarray | None
    class_names: tuple[str, ...]
    name: str
    split: str

    def __post_init__(self) -> None:
        images = check_image_stack(self.images, self.name, chunked=True)
        labels = self.labels
        if labels is not None:
            labels = np.asarray(labels)
            if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
                raise InputError(f"{self.name}: labels must be integers of shape (n,), "
                                 f"got {labels.dtype} of shape {labels.shape}")
            if labels.shape[0] != images.shape[0]:
                raise InputError(f"{self.name}: {images.shape[0]} images but "
                                 f"{labels.shape[0]} labels")
            labels = labels.astype(np.int64, copy=False)
            if labels.size and (labels.min() < 0 or labels.max() >= len(self.class_names)):
                raise InputError(
                    f"{self.name}: labels must lie in 0..{len(self.class_names) - 1} "
                    f"(one per class name), got {labels.min()}..{labels.max()}")
        if self.split not in SPLITS:
            raise InputError(f"split {self.split!r}: expected one of {', '.join(SPLITS)}")
        if isinstance(images, np.ndarray):
            # Read-only views: a caller that scales or shuffles must copy first, so the
            # loaded data (possibly shared between callers) never changes under anyone.
            images = images.view()
            images.flags.writeable = False
        object.__setattr__(self, "images", images)
        if labels is not None:
            labels = labels.view()
            labels.flags.writeable = False
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def is_chunked(self) -> bool:
        """Whether the images stay on disk, read chunk by chunk (not a NumPy array)."""
        return not isinstance(self.images, np.ndarray)

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(height, width)`` of every image."""
        return (int(self.images.shape[1]), int(self.images.shape[2]))

    @property
    def n_classes(self) -> int:
        """Number of classes (0 when unlabelled)."""
        return len(self.class_names) if self.labels is not None else 0

    def label_counts(self) -> np.ndarray:
        """Images per class.

        Returns
        -------
        ndarray of int64, shape (n_classes,)
            Empty when the data has no labels.
        """
        if self.labels is None:
            return np.zeros(0, dtype=np.int64)
        return np.bincount(self.labels, minlength=len(self.class_names)).astype(np.int64)

    def __repr__(self) -> str:
        h, w = self.image_shape
        lab = f"{len(self.class_names)} classes" if self.labels is not None else "no labels"
        return f"Dataset(name={self.name!r}, split={self.split!r}, n={len(self)}, {h}x{w}, {lab})"


def check_image_stack(images, where: str, *, chunked: bool = False):
    """``images`` as an array, if it is uint8 of shape (n, height, width); else a
    one-line InputError that starts with ``where``. With ``chunked``, an array read
    chunk by chunk (zarr) is also taken: checked by its ``dtype`` and ``shape`` and
    returned as it is, unread."""
    if not isinstance(images, np.ndarray):
        from pixelmeans.cluster._rows import is_chunked

        if not (chunked and is_chunked(images)):
            images = np.asarray(images)
    shape = tuple(images.shape)
    if np.dtype(images.dtype) != np.uint8 or len(shape) != 3:
        raise InputError(f"{where}: images must be uint8 of shape (n, height, width), "
                         f"got {images.dtype} of shape {shape}")
    return images


def check_split(split: str) -> str:
    """Return ``split`` if it is one of train, test, all; raise InputError otherwise."""
    if split not in SPLITS:
        raise InputError(f"split {split!r}: expected one of {', '.join(SPLITS)}")
    return split


def encode_labels(labels: np.ndarray, values: np.ndarray | None = None
                  ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class indices and class names for non-negative integer labels.

    Labels 0..`MAX_VALUE_AS_INDEX` are their own class index, with class names
    "0".."max" (classes between that are absent stay, empty). When a larger value is
    present, the distinct values are numbered in increasing order and named by their
    value: the number of classes is never taken from the size of a label.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        Non-negative.
    values : ndarray of int, optional
        The labels of every split of the source, so that train and test number their
        classes alike; default ``labels``.

    Returns
    -------
    codes : ndarray of int64, shape (n,)
        Index into ``class_names`` of each label.
    class_names : tuple of str
    """
    labels = np.asarray(labels)
    distinct = np.unique(labels if values is None else np.concatenate([values, labels]))
    if not distinct.size:
        return labels.astype(np.int64), ()
    if distinct[-1] <= MAX_VALUE_AS_INDEX:
        return labels.astype(np.int64), tuple(str(i) for i in range(int(distinct[-1]) + 1))
    codes = np.searchsorted(distinct, labels).astype(np.int64)
    return codes, tuple(str(v) for v in distinct.tolist())


def concat(parts: list[Dataset], name: str, split: str) -> Dataset:
    """Join datasets with the same image shape and class names, in order."""
    if len(parts) == 1:
        p = parts[0]
        return Dataset(p.images, p.labels, p.class_names, name, split)
    labels = None
    class_names: tuple[str, ...] = ()
    if all(p.labels is not None for p in parts):
        labels = np.concatenate([p.labels for p in parts])
        # The loaders give every part of a source the same names (`encode_labels`
        # with the values of all parts); the longest is kept for parts named apart.
        class_names = max((p.class_names for p in parts), key=len)
    return Dataset(np.concatenate([p.images for p in parts]), labels, class_names, name, split)

"""The height and width of flattened images, and images of a pixel array (a leaf: the
image operations and the transformers both need it)."""

from __future__ import annotations

import math

import numpy as np

from pixelmeans.errors import InputError


def image_shape_of(n_pixels: int, image_shape=None, input_shape=None, *, who: str) -> tuple[int, int]:
    """``(h, w)`` of images with ``n_pixels`` pixels: ``image_shape`` if given (one side
    may be -1: inferred from ``n_pixels``), else the ``input_shape`` of a 3-D input, else
    square. ``who`` starts the error messages."""
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        if len(shape) == 2 and shape.count(-1) == 1:
            known = shape[1] if shape[0] == -1 else shape[0]
            if known < 1 or n_pixels % known:
                raise InputError(f"{who}: image_shape {shape} does not fit images of {n_pixels} pixels")
            shape = tuple(n_pixels // known if s == -1 else s for s in shape)
    elif input_shape is not None:
        shape = tuple(int(s) for s in input_shape)
    else:
        side = math.isqrt(int(n_pixels))
        if side * side != n_pixels:
            raise InputError(f"{who}: {n_pixels} pixels is not a square image; pass image_shape=(h, w)")
        shape = (side, side)
    if len(shape) != 2 or shape[0] * shape[1] != n_pixels:
        raise InputError(f"{who}: image_shape {shape} does not fit images of {n_pixels} pixels")
    return shape


def saved_image_shape(state: dict, image_shape, *, who: str) -> tuple[tuple[int, int], int]:
    """``((h, w), n_pixels)`` of a saved image stage: its ``image_shape_`` and
    ``n_features_in_``, checked against each other and against the ``image_shape``
    parameter when that is set."""
    shape = tuple(int(v) for v in state["image_shape_"].ravel())
    d = int(state["n_features_in_"])
    if image_shape is not None and image_shape_of(d, image_shape, who=who) != shape:
        raise InputError(f"{who}: image_shape {tuple(image_shape)} does not fit the saved {shape}")
    return image_shape_of(d, shape, who=who), d


def images_of(X, image_shape=None, *, who: str):
    """``(X, images)``: ``X`` as an array, and its images as a C-contiguous ``(n, h, w)``
    array of the same dtype (a view when possible), for the image operations.

    ``X``: ``(n, h, w)`` or ``(n, h*w)``, uint8 or float; ``image_shape`` as in
    :func:`image_shape_of`. InputError for other shapes and dtypes.
    """
    X = np.asarray(X)
    if X.ndim not in (2, 3):
        raise InputError(f"{who}: expected images of shape (n, h, w) or (n, d), got shape {X.shape}")
    if not (X.dtype == np.uint8 or np.issubdtype(X.dtype, np.floating)):
        raise InputError(f"{who}: expected uint8 or float pixels, got dtype {X.dtype}")
    h, w = image_shape_of(int(np.prod(X.shape[1:])), image_shape, X.shape[1:] if X.ndim == 3 else None, who=who)
    return X, np.ascontiguousarray(X.reshape(X.shape[0], h, w))

"""Shared input handling for the feature transformers.

Every transformer takes pixels as ``(n, d)`` (flattened) or ``(n, h, w)`` arrays,
``uint8`` (0..255) or floating point (already scaled, normally to [0, 1]), and returns
``float32`` features of shape ``(n, D)``.
"""

from __future__ import annotations

import numpy as np

from pixelmeans.errors import InputError


def as_pixel_matrix(X, *, name: str = "X") -> np.ndarray:
    """Return ``X`` as a 2-D array ``(n, d)`` without copying or converting its dtype.

    Accepts ``(n, d)`` or ``(n, h, w)`` (flattened to ``(n, h*w)``, a view when
    possible). uint8 and floating dtypes are allowed; anything else raises InputError.
    """
    X = np.asarray(X)
    if X.ndim == 3:
        X = X.reshape(X.shape[0], -1)
    if X.ndim != 2:
        raise InputError(f"{name}: expected pixels of shape (n, d) or (n, h, w), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise InputError(f"{name}: empty array of shape {X.shape}")
    if not (X.dtype == np.uint8 or np.issubdtype(X.dtype, np.floating)):
        raise InputError(f"{name}: expected uint8 or float pixels, got dtype {X.dtype}")
    return X


def to_unit_float32(X) -> np.ndarray:
    """Pixels as float32 ``(n, d)``: uint8 is divided by 255; floats are taken as given.

    Only one float32 copy is made (none when ``X`` is already a C-contiguous float32
    matrix); never a float64 copy.
    """
    X = as_pixel_matrix(X)
    if X.dtype == np.uint8:
        out = X.astype(np.float32)
        out *= np.float32(1.0 / 255.0)
        return out
    return np.ascontiguousarray(X, dtype=np.float32)


def check_features(X, *, name: str = "X") -> np.ndarray:
    """A 2-D float32 feature matrix (for stages fed by another embedding, e.g. codes)."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise InputError(f"{name}: expected a 2-D array (n, d), got shape {X.shape}")
    return np.ascontiguousarray(X, dtype=np.float32)


def check_n_features(estimator, X: np.ndarray) -> None:
    """Raise InputError when ``X`` has not the width ``estimator`` was fitted on."""
    expected = getattr(estimator, "n_features_in_", None)
    if expected is not None and X.shape[1] != expected:
        raise InputError(
            f"X has {X.shape[1]} features per sample, but {type(estimator).__name__} "
            f"was fitted with {expected}"
        )

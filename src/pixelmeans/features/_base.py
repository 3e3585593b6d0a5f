"""Shared input handling for the feature transformers.

Every transformer takes pixels as ``(n, d)`` (flattened) or ``(n, h, w)`` arrays (or a
DataFrame of ``d`` columns): integers are intensities out of 255 (uint8 as MNIST
stores them), floats are taken as given (normally [0, 1]); it returns ``float32``
features of shape ``(n, D)``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from pixelmeans.errors import InputError
from pixelmeans.features._shape import image_shape_of, saved_image_shape


def as_pixel_matrix(X, *, name: str = "X") -> np.ndarray:
    """Return ``X`` as a 2-D array ``(n, d)`` without copying or converting its dtype.

    Accepts ``(n, d)`` or ``(n, h, w)`` (flattened to ``(n, h*w)``, a view when
    possible). Integer and floating dtypes are allowed; anything else raises InputError.
    For the pixels a transformer is fitted on or transforms, use :func:`validate_pixels`.
    """
    X = np.asarray(X)
    if X.ndim == 3:
        X = X.reshape(X.shape[0], -1)
    if X.ndim != 2:
        raise InputError(f"{name}: expected pixels of shape (n, d) or (n, h, w), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise InputError(f"{name}: empty array of shape {X.shape}")
    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise InputError(f"{name}: expected integer or float pixels, got dtype {X.dtype}")
    return X


def validate_pixels(estimator, X, *, reset: bool):
    """Check the pixels given to ``estimator``'s ``fit`` (``reset=True``) or ``transform``.

    The scikit-learn checks, on ``X`` flattened to ``(n, d)``: numeric (an object array
    of numbers is converted to float64), finite, dense, not empty; on ``fit`` it records
    ``n_features_in_`` (and a DataFrame's ``feature_names_in_``), on ``transform`` it
    checks the estimator is fitted and ``X`` has that width. Numeric arrays are not
    copied. A failed check raises InputError (a ValueError) naming the estimator, or
    NotFittedError / TypeError as scikit-learn does.

    Returns
    -------
    X : ndarray of shape (n, d), the dtype it came with (object → float64)
    input_shape : (h, w) of a 3-D ``X``, else None
    """
    if not reset:
        check_is_fitted(estimator)
    input_shape = None
    if not hasattr(X, "columns") and not scipy.sparse.issparse(X):
        X = np.asarray(X)
        if X.ndim == 3:
            input_shape = X.shape[1:]
            X = X.reshape(X.shape[0], -1)
        elif X.ndim < 2:
            raise InputError(f"{type(estimator).__name__}: expected pixels of shape (n, d) or (n, h, w), got "
                             f"shape {X.shape}. Reshape your data: X.reshape(1, -1) if it is one image")
    try:
        X = validate_data(estimator, X, reset=reset, dtype="numeric")
    except ValueError as err:  # one line, as every InputError (the rest is a hint for sklearn users)
        raise InputError(f"{type(estimator).__name__}: {str(err).splitlines()[0]}") from None
    return X, input_shape


def to_unit_float32(X) -> np.ndarray:
    """Pixels as float32 ``(n, d)``: integers are divided by 255; floats are taken as given.

    Only one float32 copy is made (none when ``X`` is already a C-contiguous float32
    matrix); never a float64 copy.
    """
    X = as_pixel_matrix(X)
    if np.issubdtype(X.dtype, np.integer):
        out = X.astype(np.float32)
        out *= np.float32(1.0 / 255.0)
        return out
    return np.ascontiguousarray(X, dtype=np.float32)


def as_image_dtype(X: np.ndarray) -> np.ndarray:
    """``X`` as the image operations take it: uint8 and floats as they are, other integers
    as float32 out of 255 (so that the next stage reads the same intensities)."""
    if X.dtype == np.uint8 or np.issubdtype(X.dtype, np.floating):
        return X
    return to_unit_float32(X)


def check_features(X, *, name: str = "X") -> np.ndarray:
    """A 2-D float32 feature matrix (for stages fed by another embedding, e.g. codes)."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise InputError(f"{name}: expected a 2-D array (n, d), got shape {X.shape}")
    return np.ascontiguousarray(X, dtype=np.float32)


class FeaturesTransformer(TransformerMixin, BaseEstimator):
    """What every feature transformer declares to scikit-learn: its output is float32
    whatever the input (so float32 is the one dtype it preserves)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class Embedding(ClassNamePrefixFeaturesOutMixin, FeaturesTransformer):
    """A transformer to ``n_components`` dimensions, named ``<class name>0``, ... by
    ``get_feature_names_out`` (``pcafeatures0``, ``umapfeatures0``, ...)."""

    @property
    def _n_features_out(self) -> int:
        check_is_fitted(self)
        return int(self.n_components)


class ImageStage(FeaturesTransformer):
    """A stage that works on each image alone (Deskew, HOG): fitting learns nothing
    from the images but their size.

    Subclasses set ``_who`` (the name in messages) and define ``_apply(X, shape)``:
    images ``(n, h*w)`` (uint8 or float) → their output; ``_check_shape(shape)`` may
    reject sizes the stage cannot work on. Fitted attributes: ``n_features_in_`` (d)
    and ``image_shape_`` (h, w); ``image_shape`` (a parameter) is needed for flattened
    images that are not square, and one of its two sides may be -1 (inferred from d).
    """

    _who = "image stage"

    def _check_shape(self, shape) -> None:
        """Raise InputError when the stage cannot work on images of ``shape``."""

    def fit(self, X, y=None):
        """Check the images' size and record it; ``y`` is ignored. Returns self."""
        X, input_shape = validate_pixels(self, X, reset=True)
        shape = image_shape_of(X.shape[1], self.image_shape, input_shape, who=self._who)
        self._check_shape(shape)
        self.image_shape_ = shape
        return self

    def transform(self, X) -> np.ndarray:
        """The stage's output ``(n, D)`` for the images ``X``, ``(n, d)`` or ``(n, h, w)``:
        2-D, as every scikit-learn transformer's (a DataFrame output needs it)."""
        return self._apply(as_image_dtype(validate_pixels(self, X, reset=False)[0]), self.image_shape_)

    def _get_state(self) -> dict:
        return {"n_features_in_": np.asarray(self.n_features_in_),
                "image_shape_": np.asarray(self.image_shape_, dtype=np.int64)}

    def _set_state(self, state: dict) -> None:
        shape, d = saved_image_shape(state, self.image_shape, who=f"saved {self._who}")
        self._check_shape(shape)
        self.image_shape_, self.n_features_in_ = shape, d

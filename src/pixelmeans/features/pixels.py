"""Raw pixels as features: scaled to [0, 1] float32."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pixelmeans.features._base import check_n_features, pixel_matrix, to_unit_float32


class PixelFeatures(TransformerMixin, BaseEstimator):
    """Identity features: pixels as float32 scaled to [0, 1].

    ``transform(X)`` takes ``(n, d)`` or ``(n, h, w)`` uint8 (divided by 255) or float
    (kept as given) and returns float32 ``(n, d)``. Fitting only records ``d``.

    Parameters
    ----------
    deskew : bool, default False
        Deskew and centre every image first (:mod:`pixelmeans.features.deskew`), in
        ``fit`` and ``transform`` alike.
    hog : bool, default False
        Replace every (deskewed) image by its histograms of oriented gradients
        (:mod:`pixelmeans.features.hog`), in ``fit`` and ``transform`` alike.

    With ``hog`` the output is the descriptors, float32 ``(n, D)`` in [0, 1].
    """

    def __init__(self, deskew: bool = False, hog: bool = False):
        self.deskew = deskew
        self.hog = hog

    def fit(self, X, y=None):
        """Record the number of features per image; ``y`` is ignored."""
        # the width after preparation; one image tells it
        X = pixel_matrix(np.asarray(X)[:1], deskew=self.deskew, hog=self.hog)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """Pixels ``(n, d)`` → float32 ``(n, d)`` in [0, 1]."""
        X = pixel_matrix(X, deskew=self.deskew, hog=self.hog)
        check_n_features(self, X)
        return to_unit_float32(X)

    def _get_state(self) -> dict:
        return {"n_features_in_": np.asarray(self.n_features_in_)}

    def _set_state(self, state: dict) -> None:
        self.n_features_in_ = int(state["n_features_in_"])

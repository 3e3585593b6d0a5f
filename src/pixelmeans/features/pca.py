"""PCA of the pixels (scikit-learn's PCA, float32 throughout)."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

from pixelmeans.errors import InputError
from pixelmeans.features._base import Embedding, to_unit_float32, validate_pixels


class PCAFeatures(Embedding):
    """Project pixels (scaled to [0, 1]) onto their first ``n_components`` principal axes.

    Parameters
    ----------
    n_components : int, default 50
        Output dimension D.
    whiten : bool, default False
        Scale each component to unit variance.
    random_state : int or None, default 0
        Seed of the randomized SVD solver.

    ``transform(X)``: ``(n, d)``/``(n, h, w)`` integers (divided by 255) or floats →
    float32 ``(n, D)``, named ``pcafeatures0`` ... by ``get_feature_names_out``.
    Fitted attributes: ``components_`` (D, d) float32, ``mean_`` (d,) float32,
    ``explained_variance_ratio_`` (D,).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).integers(0, 256, (30, 64), dtype=np.uint8)
    >>> pca = PCAFeatures(n_components=5).fit(X)
    >>> pca.transform(X).shape, pca.components_.dtype
    ((30, 5), dtype('float32'))
    """

    def __init__(self, n_components: int = 50, whiten: bool = False, random_state=0):
        self.n_components = n_components
        self.whiten = whiten
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit the principal axes on ``X``; ``y`` is ignored."""
        self._fit(X)
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Fit, then return the float32 ``(n, D)`` projection of ``X``."""
        Xf = self._fit(X)
        return self._project(Xf)

    def _fit(self, X) -> np.ndarray:
        X = validate_pixels(self, X, reset=True)[0]
        D = int(self.n_components)
        if not 1 <= D <= min(X.shape):
            raise InputError(f"pca: n_components must be between 1 and min(n_samples={X.shape[0]}, "
                             f"n_features={X.shape[1]}), got {D}")
        Xf = to_unit_float32(X)
        pca = PCA(n_components=D, whiten=self.whiten, svd_solver="auto", random_state=self.random_state)
        pca.fit(Xf)
        self.components_ = pca.components_.astype(np.float32)
        self.mean_ = pca.mean_.astype(np.float32)
        self.explained_variance_ = pca.explained_variance_.astype(np.float32)
        self.explained_variance_ratio_ = pca.explained_variance_ratio_.astype(np.float32)
        return Xf

    def _project(self, Xf: np.ndarray) -> np.ndarray:
        Z = (Xf - self.mean_) @ self.components_.T
        if self.whiten:
            Z /= np.sqrt(self.explained_variance_)
        return Z.astype(np.float32, copy=False)

    def transform(self, X) -> np.ndarray:
        """Pixels ``(n, d)`` → float32 ``(n, D)``."""
        return self._project(to_unit_float32(validate_pixels(self, X, reset=False)[0]))

    def inverse_transform(self, Z) -> np.ndarray:
        """Features ``(n, D)`` → float32 pixels ``(n, d)`` (the PCA reconstruction)."""
        check_is_fitted(self, "components_")
        Z = np.asarray(Z, dtype=np.float32)
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return (Z @ self.components_ + self.mean_).astype(np.float32, copy=False)

    def _get_state(self) -> dict:
        return {
            "components_": self.components_,
            "mean_": self.mean_,
            "explained_variance_": self.explained_variance_,
            "explained_variance_ratio_": self.explained_variance_ratio_,
            "n_features_in_": np.asarray(self.n_features_in_),
        }

    def _set_state(self, state: dict) -> None:
        d, k = int(state["n_features_in_"]), int(self.n_components)
        shapes = {"components_": (k, d), "mean_": (d,), "explained_variance_": (k,), "explained_variance_ratio_": (k,)}
        for key, shape in shapes.items():
            value = np.asarray(state[key], dtype=np.float32)
            if value.shape != shape:
                raise InputError(f"saved pca: {key} has shape {value.shape}, expected {shape}")
            setattr(self, key, value)
        self.n_features_in_ = d

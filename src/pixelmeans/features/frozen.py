"""A fitted transformer that a Pipeline will not refit."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class FrozenFeatures(TransformerMixin, BaseEstimator):
    """A fitted transformer that a Pipeline will not refit: ``fit`` does nothing.

    ``transform`` (and ``fit_transform``) call the wrapped transformer's ``transform``;
    other attributes (``decode``, ``codes``, ``autoencoder_`` ...) are passed through.
    ``clone`` returns the same object, so grid searches keep the fitted state.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelmeans.features import PCAFeatures
    >>> X = np.random.default_rng(0).integers(0, 256, (30, 64), dtype=np.uint8)
    >>> pca = PCAFeatures(n_components=2).fit(X)
    >>> frozen = FrozenFeatures(pca)
    >>> bool((frozen.fit_transform(X[:5]) == pca.transform(X[:5])).all())  # not refitted
    True
    """

    def __init__(self, features):
        self.features = features

    def __sklearn_clone__(self):
        return self

    def __getattr__(self, name):
        if name.startswith("__") or name == "features":
            raise AttributeError(name)
        return getattr(self.features, name)

    def fit(self, X=None, y=None):
        """No-op: the wrapped transformer is already fitted. Returns self."""
        return self

    def transform(self, X) -> np.ndarray:
        """``features.transform(X)``: float32 ``(n, D)``."""
        return self.features.transform(X)

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Same as ``transform``: nothing is refitted."""
        return self.features.transform(X)

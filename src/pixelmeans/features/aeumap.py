"""AE + UMAP: an encoder's codes, then UMAP on the codes (N2D-style); the encoder is an
autoencoder (``ae+umap``) or a contrastive one (``clr+umap``)."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from pixelmeans.errors import InputError
from pixelmeans.features._base import Embedding, validate_pixels
from pixelmeans.features.autoencoder import AutoencoderFeatures
from pixelmeans.features.contrastive import ContrastiveFeatures
from pixelmeans.features.umap import UMAPFeatures


class AEUMAP(Embedding):
    """Train an encoder, then embed its codes with UMAP; the UMAP output is the feature.

    Parameters
    ----------
    autoencoder : AutoencoderFeatures, ContrastiveFeatures or None
        The (unfitted) encoder to train: an autoencoder, or for ``clr+umap`` a
        contrastive encoder (which has no decoder); None uses ``AutoencoderFeatures()``.
    umap : UMAPFeatures or None
        The (unfitted) UMAP stage; None uses ``UMAPFeatures()``.

    Input: pixels ``(n, d)``/``(n, h, w)``, uint8 or float. Output: float32 ``(n, D)``
    with D = ``umap.n_components``. Fitted attributes: ``autoencoder_``, ``umap_``
    (fitted clones of the two stages). ``codes(X)`` gives the autoencoder codes
    ``(n, D_ae)``, e.g. to decode a cluster's mean code into an image.
    """

    def __init__(self, autoencoder=None, umap=None):
        self.autoencoder = autoencoder
        self.umap = umap

    def fit(self, X, y=None):
        """Fit both stages on ``X``; ``y`` is ignored. Returns self."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Fit both stages and return the training embedding, float32 ``(n, D)``."""
        X = validate_pixels(self, X, reset=True)[0]
        ae = clone(self.autoencoder) if self.autoencoder is not None else AutoencoderFeatures()
        um = clone(self.umap) if self.umap is not None else UMAPFeatures()
        codes = ae.fit_transform(X)
        Z = um.fit_transform(codes)
        self.autoencoder_, self.umap_ = ae, um
        return Z

    def codes(self, X) -> np.ndarray:
        """The autoencoder codes of ``X``: float32 ``(n, D_ae)``."""
        check_is_fitted(self, "autoencoder_")
        return self.autoencoder_.transform(X)

    def transform(self, X) -> np.ndarray:
        """Place new samples into the fitted embedding: float32 ``(n, D)``."""
        X = validate_pixels(self, X, reset=False)[0]
        return self.umap_.transform(self.autoencoder_.transform(X))

    @property
    def _n_features_out(self) -> int:
        """D of the UMAP stage (read by ``get_feature_names_out``)."""
        check_is_fitted(self, "umap_")
        return int(self.umap_.n_components)

    def _get_state(self) -> dict:
        check_is_fitted(self, "umap_")
        return {"autoencoder_": self.autoencoder_, "umap_": self.umap_,
                "n_features_in_": np.asarray(self.n_features_in_)}

    def _set_state(self, state: dict) -> None:
        encoder, umap = state["autoencoder_"], state["umap_"]
        if not (isinstance(encoder, (AutoencoderFeatures, ContrastiveFeatures)) and isinstance(umap, UMAPFeatures)):
            raise InputError("saved ae+umap: its stages must be a fitted encoder and a fitted UMAPFeatures")
        if umap.n_features_in_ != int(encoder.n_components):
            raise InputError("saved ae+umap: the stages' widths do not fit together")
        self.autoencoder_, self.umap_ = encoder, umap
        self.n_features_in_ = int(state["n_features_in_"])

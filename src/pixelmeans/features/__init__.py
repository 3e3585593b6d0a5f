"""Feature transformers for pixelmeans: pixels, PCA, autoencoder, contrastive encoder, UMAP
and AE + UMAP.

All are scikit-learn transformers (fit / transform / fit_transform, get_params,
get_feature_names_out; they pass scikit-learn's estimator checks) that take pixels
``(n, d)`` or ``(n, h, w)``, integers (uint8 as stored, divided by 255) or floats (taken
as given), and return float32 ``(n, D)``; they go in a ``sklearn.pipeline.Pipeline`` in
front of KMeans, whose ``set_output(transform="pandas")`` gives DataFrames.
The autoencoder and UMAP need the ``[deep]`` extra (``pip install 'pixelmeans[deep]'``);
without it, ``pixels`` and ``pca`` work and the others raise MissingDependencyError.

- ``make_features(spec, **kw)``: ``[deskew+][hog+](pixels | pca[:D] | autoencoder[:D] |
  umap[:D] | ae+umap[:D] | clr[:D] | clr+umap[:D]) | path/to/saved`` → a transformer (the
  CLI's ``--features``); the prefixes put ``Deskew`` and ``HOG`` stages in front of it,
  in a ``sklearn.pipeline.Pipeline``.
- ``save_features(transformer, path)`` / ``load_features(path)``.
- ``reconstructions``, ``decoded_centroids``, ``embedding_2d``: arrays for the plots.
"""

from pixelmeans.features.aeumap import AEUMAP
from pixelmeans.features.arrays import decoded_centroids, embedding_2d, reconstructions
from pixelmeans.features.autoencoder import AutoencoderFeatures
from pixelmeans.features.contrastive import ContrastiveFeatures
from pixelmeans.features.deskew import Deskew
from pixelmeans.features.hog import HOG
from pixelmeans.features.io import load_features, save_features
from pixelmeans.features.pca import PCAFeatures
from pixelmeans.features.pixels import PixelFeatures
from pixelmeans.features.frozen import FrozenFeatures
from pixelmeans.features.spec import SPEC_HELP, make_features
from pixelmeans.features.umap import UMAPFeatures

__all__ = [
    "AEUMAP",
    "AutoencoderFeatures",
    "ContrastiveFeatures",
    "Deskew",
    "FrozenFeatures",
    "HOG",
    "PCAFeatures",
    "PixelFeatures",
    "SPEC_HELP",
    "UMAPFeatures",
    "decoded_centroids",
    "embedding_2d",
    "load_features",
    "make_features",
    "reconstructions",
    "save_features",
]

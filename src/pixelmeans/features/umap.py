"""UMAP features (umap-learn), imported only when used."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from pixelmeans.errors import InputError
from pixelmeans.features._base import check_n_features, pixel_matrix, to_unit_float32
from pixelmeans.features._deps import require_umap


class UMAPFeatures(TransformerMixin, BaseEstimator):
    """Embed the samples with UMAP into ``n_components`` dimensions.

    Parameters
    ----------
    n_components : int, default 10
        Output dimension D.
    n_neighbors : int, default 20
        Size of the local neighbourhood UMAP preserves.
    min_dist : float, default 0.0
        0 packs similar samples tightly: what a clusterer wants (not a pretty picture).
    metric : str, default "euclidean"
    n_epochs : int or None
        Optimisation epochs; None lets umap-learn choose (200 for large data sets).
    random_state : int or None, default 0
        A fixed seed makes the embedding reproducible (umap-learn then runs on one thread).
    knn : {"auto", "exact", "nndescent"}, default "auto"
        How the nearest neighbours are found. "exact": scikit-learn's exact search
        (euclidean only); fast for low-dimensional input such as autoencoder codes and
        for small data, and it skips pynndescent's just-in-time compilation (about a
        minute of CPU on every new process). "nndescent": umap-learn's own approximate
        search. "auto": exact when the metric is euclidean and the input has at most 64
        columns or fewer than 4096 rows, else nndescent.
    deskew : bool, default False
        Deskew and centre every image (pixels only) first (:mod:`pixelmeans.features.deskew`), in
        ``fit`` and ``transform`` alike.
    hog : bool, default False
        Replace every (deskewed) image by its histograms of oriented gradients
        (:mod:`pixelmeans.features.hog`; pixels only), in ``fit`` and ``transform`` alike.

    Input: pixels ``(n, d)``/``(n, h, w)`` uint8 (divided by 255) or float, or any float
    feature matrix (e.g. autoencoder codes). Output: float32 ``(n, D)``.
    ``fit_transform`` returns the training embedding itself; ``transform`` places new
    samples into it (slower, approximate). Fitted attribute: ``umap_`` (umap.UMAP).
    """

    def __init__(self, n_components: int = 10, n_neighbors: int = 20, min_dist: float = 0.0,
                 metric: str = "euclidean", n_epochs=None, random_state=0, knn: str = "auto",
                 deskew: bool = False, hog: bool = False):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.n_epochs = n_epochs
        self.random_state = random_state
        self.knn = knn
        self.deskew = deskew
        self.hog = hog

    def _use_exact(self, X) -> bool:
        if self.knn not in ("auto", "exact", "nndescent"):
            raise InputError(f"umap: knn must be 'auto', 'exact' or 'nndescent', got {self.knn!r}")
        if self.knn == "exact" and self.metric != "euclidean":
            raise InputError("umap: knn='exact' supports only metric='euclidean'")
        if self.knn == "auto":
            return self.metric == "euclidean" and (X.shape[1] <= 64 or X.shape[0] < 4096)
        return self.knn == "exact"

    def _make(self, precomputed_knn=(None, None, None)):
        umap = require_umap("umap features")
        if int(self.n_components) < 1:
            raise InputError(f"umap: n_components must be ≥ 1, got {self.n_components}")
        return umap.UMAP(
            n_components=int(self.n_components), n_neighbors=int(self.n_neighbors),
            min_dist=float(self.min_dist), metric=self.metric, n_epochs=self.n_epochs,
            random_state=self.random_state, transform_seed=42 if self.random_state is None else self.random_state,
            precomputed_knn=precomputed_knn,
        )

    def fit(self, X, y=None):
        """Fit the embedding on ``X``; ``y`` is ignored. Returns self."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Fit on ``X`` (n, d) and return its float32 embedding (n, D)."""
        require_umap("umap features")
        X = pixel_matrix(X, deskew=self.deskew, hog=self.hog)
        if X.shape[0] <= int(self.n_neighbors):
            raise InputError(f"umap: needs more than n_neighbors={self.n_neighbors} samples, got {X.shape[0]}")
        Xf = to_unit_float32(X)
        knn = (None, None, None)
        if self._use_exact(Xf):
            index = ExactKNNIndex(Xf)
            knn = (*index.query(Xf, int(self.n_neighbors)), index)
        model = self._make(knn)
        with warnings.catch_warnings():
            # our exact index is not pynndescent's NNDescent, and a seed means one thread:
            # both are intended, so umap-learn's warnings about them are noise here.
            warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
            warnings.filterwarnings("ignore", message="n_jobs value")
            Z = model.fit_transform(Xf)
        self.umap_ = model
        self.n_features_in_ = X.shape[1]
        return np.asarray(Z, dtype=np.float32)

    def transform(self, X) -> np.ndarray:
        """Place new samples ``(n, d)`` into the fitted embedding → float32 ``(n, D)``."""
        check_is_fitted(self, "umap_")
        X = pixel_matrix(X, deskew=self.deskew, hog=self.hog)
        check_n_features(self, X)
        return np.asarray(self.umap_.transform(to_unit_float32(X)), dtype=np.float32)

    def _get_state(self) -> dict:
        check_is_fitted(self, "umap_")
        # umap-learn models (with their nearest-neighbour index) only exist as pickles.
        return {"umap_": _pickle_umap(self.umap_), "n_features_in_": np.asarray(self.n_features_in_)}

    def _set_state(self, state: dict) -> None:
        require_umap("umap features")
        self.umap_ = _unpickle_umap(state["umap_"])
        self.n_features_in_ = int(state["n_features_in_"])

    @property
    def embedding_(self) -> np.ndarray:
        """The training samples' embedding, float32 ``(n_train, D)``."""
        check_is_fitted(self, "umap_")
        return np.asarray(self.umap_.embedding_, dtype=np.float32)


class ExactKNNIndex:
    """Exact euclidean nearest neighbours (scikit-learn), with the ``query`` that umap-learn
    calls on its search index when transforming new samples.

    ``data``: float32 ``(n, d)`` training samples. ``query(X, k)`` → ``(indices int32
    (m, k), distances float32 (m, k))``, nearest first; a training sample's own row is
    its first neighbour.
    """

    _angular_trees = False  # read by umap-learn's transform

    def __init__(self, data: np.ndarray):
        self._raw_data = np.ascontiguousarray(data, dtype=np.float32)

    def query(self, X, k: int, epsilon: float | None = None):
        from sklearn.neighbors import NearestNeighbors

        nn = NearestNeighbors(n_neighbors=int(k), algorithm="kd_tree" if self._raw_data.shape[1] <= 16 else "brute")
        dist, ind = nn.fit(self._raw_data).kneighbors(np.asarray(X, dtype=np.float32))
        return ind.astype(np.int32), dist.astype(np.float32)

    def __getstate__(self):
        return {"_raw_data": self._raw_data}

    def __setstate__(self, state):
        self._raw_data = np.asarray(state["_raw_data"], dtype=np.float32)


# Globals a pickled umap.UMAP may name; anything else in the pickle is refused. numba's
# rebuild functions recreate compiled functions from the file, so a saved UMAP is only
# as trustworthy as the file: load embeddings you made yourself (as with any pickle).
_ALLOWED_PREFIXES = ("numpy", "scipy.sparse.", "umap.", "pynndescent.", "numba.core.serialize")
_ALLOWED_GLOBALS = {(__name__, "ExactKNNIndex")}


def _pickle_umap(model) -> bytes:
    import pickle

    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickle_umap(blob: bytes):
    import io
    import pickle

    class _Restricted(pickle.Unpickler):
        def find_class(self, module, name):
            if module == "numpy" or module.startswith(_ALLOWED_PREFIXES) or (module, name) in _ALLOWED_GLOBALS:
                return super().find_class(module, name)
            raise InputError(f"saved umap model refers to {module}.{name}, which is not allowed")

    return _Restricted(io.BytesIO(blob)).load()

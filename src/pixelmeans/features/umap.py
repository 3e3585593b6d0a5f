"""UMAP features (umap-learn), imported only when used."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from pixelmeans.errors import InputError
from pixelmeans.features._base import Embedding, to_unit_float32, validate_pixels
from pixelmeans.features._deps import require_umap


class UMAPFeatures(Embedding):
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

    Input: pixels ``(n, d)``/``(n, h, w)`` uint8 (divided by 255) or float, or any float
    feature matrix (e.g. autoencoder codes). Output: float32 ``(n, D)``.
    ``fit_transform`` returns the training embedding itself; ``transform`` places new
    samples into it (slower, approximate). Fitted attribute: ``umap_`` (umap.UMAP).

    Saved (:func:`~pixelmeans.features.save_features`), a fitted UMAP is plain arrays:
    the training data, its embedding, the fuzzy graph (CSR) and the curve's a, b; the
    parameters rebuild the rest. A model whose neighbours came from the exact search (or
    from all pairwise distances, below 4096 samples) transforms identically after
    reloading. One fitted with nndescent on 4096 or more samples reloads with an exact
    search index instead of pynndescent's approximate one: the training embedding is
    unchanged, new samples may be placed slightly differently (their neighbours are now
    the exact ones).
    """

    def __init__(self, n_components: int = 10, n_neighbors: int = 20, min_dist: float = 0.0,
                 metric: str = "euclidean", n_epochs=None, random_state=0, knn: str = "auto"):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.n_epochs = n_epochs
        self.random_state = random_state
        self.knn = knn

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
        X = validate_pixels(self, X, reset=True)[0]
        if X.shape[0] <= int(self.n_neighbors):
            raise InputError(f"umap: needs more than n_neighbors={self.n_neighbors} samples, "
                             f"got n_samples={X.shape[0]}")
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
        return np.asarray(Z, dtype=np.float32)

    def transform(self, X) -> np.ndarray:
        """Place new samples ``(n, d)`` into the fitted embedding → float32 ``(n, D)``."""
        X = validate_pixels(self, X, reset=False)[0]
        return np.asarray(self.umap_.transform(to_unit_float32(X)), dtype=np.float32)

    def _get_state(self) -> dict:
        check_is_fitted(self, "umap_")
        m = self.umap_
        if not isinstance(m._raw_data, np.ndarray):
            raise InputError("cannot save a umap fitted on sparse input")
        graph = m.graph_.tocsr()
        # Plain arrays only: what umap-learn's ``transform`` reads, never its objects
        # (its nearest-neighbour index is rebuilt exactly from the training data).
        return {
            "raw_data_": np.ascontiguousarray(m._raw_data, dtype=np.float32),
            "embedding_": np.ascontiguousarray(m.embedding_, dtype=np.float32),
            "graph_data_": graph.data.astype(np.float32),
            "graph_indices_": graph.indices.astype(np.int64),
            "graph_indptr_": graph.indptr.astype(np.int64),
            "ab_": np.asarray([m._a, m._b], dtype=np.float64),
            "small_data_": np.asarray(bool(m._small_data)),
            "n_features_in_": np.asarray(self.n_features_in_),
        }

    def _set_state(self, state: dict) -> None:
        require_umap("umap features")
        self.umap_ = self._rebuild(**_checked_state(state, int(self.n_neighbors), int(self.n_components)))
        self.n_features_in_ = int(state["n_features_in_"])

    def _rebuild(self, raw, embedding, graph, ab, small_data):
        """A fitted umap.UMAP from saved arrays; ``transform`` gives what the original gave
        (exact neighbours; see the module notes for models fitted with nndescent)."""
        import joblib

        model = self._make()
        model._raw_data = raw
        model._initial_alpha = model.learning_rate
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="n_jobs value")
            model._validate_parameters()  # the metric functions and defaults, from the parameters
        model.embedding_ = embedding
        model.graph_ = graph
        model._a, model._b = float(ab[0]), float(ab[1])
        model._n_neighbors = int(self.n_neighbors)
        model._small_data = small_data
        if not small_data:  # below 4096 samples umap-learn computes all distances, with no index
            model._knn_search_index = ExactKNNIndex(raw, self.metric)
        model._input_hash = joblib.hash(raw)  # transform(training data) returns embedding_
        model._n_features_out = embedding.shape[1]
        return model

    @property
    def embedding_(self) -> np.ndarray:
        """The training samples' embedding, float32 ``(n_train, D)``."""
        check_is_fitted(self, "umap_")
        return np.asarray(self.umap_.embedding_, dtype=np.float32)


class ExactKNNIndex:
    """Exact nearest neighbours (scikit-learn), with the ``query`` that umap-learn calls on
    its search index when transforming new samples.

    ``data``: float32 ``(n, d)`` training samples; ``metric``: a scikit-learn metric name.
    ``query(X, k)`` → ``(indices int32 (m, k), distances float32 (m, k))``, nearest first;
    a training sample's own row is its first neighbour.
    """

    _angular_trees = False  # read by umap-learn's transform

    def __init__(self, data: np.ndarray, metric: str = "euclidean"):
        self._raw_data = np.ascontiguousarray(data, dtype=np.float32)
        self.metric = metric

    def query(self, X, k: int, epsilon: float | None = None):
        from sklearn.neighbors import NearestNeighbors

        small = self.metric == "euclidean" and self._raw_data.shape[1] <= 16
        nn = NearestNeighbors(n_neighbors=int(k), metric=self.metric, algorithm="kd_tree" if small else "brute")
        dist, ind = nn.fit(self._raw_data).kneighbors(np.asarray(X, dtype=np.float32))
        return ind.astype(np.int32), dist.astype(np.float32)


def _checked_state(state: dict, n_neighbors: int, n_components: int) -> dict:
    """The saved arrays as ``_rebuild``'s arguments; InputError when they do not fit together."""
    import scipy.sparse

    raw, emb = state["raw_data_"], state["embedding_"]
    n_in = int(state["n_features_in_"])
    if raw.dtype != np.float32 or raw.ndim != 2 or raw.shape[1] != n_in or raw.shape[0] <= n_neighbors:
        raise InputError(f"saved umap: training data of shape {raw.shape} ({raw.dtype}) does not fit "
                         f"{n_in} features and n_neighbors={n_neighbors}")
    n = raw.shape[0]
    if emb.dtype != np.float32 or emb.shape != (n, n_components):
        raise InputError(f"saved umap: embedding of shape {emb.shape} ({emb.dtype}), expected ({n}, {n_components})")
    ab = np.asarray(state["ab_"])
    if ab.shape != (2,) or ab.dtype != np.float64:
        raise InputError(f"saved umap: a, b of shape {ab.shape} ({ab.dtype}), expected 2 float64")
    indptr, indices = state["graph_indptr_"], state["graph_indices_"]
    data = state["graph_data_"]
    ok = (indptr.dtype == indices.dtype == np.int64 and data.dtype == np.float32
          and indptr.shape == (n + 1,) and indices.ndim == data.ndim == 1 and indices.shape == data.shape
          and indptr[0] == 0 and indptr[-1] == len(indices) and np.all(np.diff(indptr) >= 0)
          and (len(indices) == 0 or (indices.min() >= 0 and indices.max() < n)))
    if not ok:
        raise InputError(f"saved umap: the fuzzy graph is not a valid {n} x {n} sparse matrix")
    graph = scipy.sparse.csr_matrix((data, indices, indptr), shape=(n, n))
    small = np.asarray(state["small_data_"])
    if small.shape != () or small.dtype != np.bool_:
        raise InputError("saved umap: small_data_ must be one boolean")
    return {"raw": raw, "embedding": emb, "graph": graph, "ab": ab, "small_data": bool(small)}

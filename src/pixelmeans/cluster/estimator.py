"""``KMeans``: scikit-learn's estimator API over the pure single-run functions.

Validation happens here and only here; everything below (:mod:`.init`, :mod:`.lloyd`,
:mod:`.kernels`, :mod:`.update`) takes prepared arrays.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from pixelmeans.cluster import distributed as _dask
from pixelmeans.cluster._threads import limit_threads
from pixelmeans.cluster._validation import (
    DATA_DTYPES,
    FINITE_KEYWORD,
    check_centers,
    check_chunked_data,
    check_int,
    check_n_clusters_vs_samples,
    check_real,
    check_sample_weight,
    dense_row_blocks,
    densify,
)
from pixelmeans.cluster._rows import is_chunked
from pixelmeans.cluster.init import (
    INIT_METHODS,
    _kmeans_parallel,
    _kmeans_plusplus_start,
    _random_points,
    _random_uniform,
)
from pixelmeans.cluster.io import read_centroids
from pixelmeans.cluster.kernels import (
    compute_dtype,
    data_shift,
    labels_inertia,
    squared_distances,
)
from pixelmeans.cluster.lloyd import KERNELS, choose_kernel, kmeans_single
from pixelmeans.cluster.update import EMPTY_POLICIES
from pixelmeans.errors import InputError

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _validate_data(estimator, X, **kwargs):
        return estimator._validate_data(X, **kwargs)

__all__ = ["KMeans", "MiniBatchKMeans", "k_means"]

def _is_same_clustering(labels1, labels2, n_clusters=None) -> bool:
    """True if ``labels1`` determines ``labels2`` (scikit-learn's test between restarts).

    ``n_clusters`` is accepted for scikit-learn's signature; the labels suffice.
    """
    k2 = int(labels2.max()) + 2
    pairs = np.unique(labels1.astype(np.int64) * k2 + (labels2.astype(np.int64) + 1))
    return np.unique(pairs // k2).size == pairs.size


def is_better_restart(inertia, labels, best_inertia, best_labels) -> bool:
    """The one rule for "best restart", in KMeans and in the run and sweep commands.

    As scikit-learn: a later restart wins only with a lower inertia *and* a different
    clustering, so rounding on the same partition never swaps the winner.

    Parameters
    ----------
    inertia : float
    labels : ndarray of int, shape (n_samples,)
        The later restart's.
    best_inertia : float or None
        The best so far (None: there is none yet, and the later one wins).
    best_labels : ndarray of int, shape (n_samples,) or None
    """
    if best_inertia is None:
        return True
    return inertia < best_inertia and not _is_same_clustering(labels, best_labels)


def _warn_if_init_far_from_data(init, lo, hi, stacklevel=3):
    """Warn when given centroids lie far outside the data's range (other units?).

    ``lo`` and ``hi`` are the per-feature minimum and maximum of the data; "far" is
    beyond the overall range by more than its width, e.g. 0..255 centroids for data
    in [0, 1]: every sample is then nearest to the same few centroids.
    """
    if init.size == 0 or lo.size == 0:
        return
    low, high = float(np.min(lo)), float(np.max(hi))
    width = high - low
    top, bottom = float(np.max(init)), float(np.min(init))
    if top > high + width or bottom < low - width:
        warnings.warn(
            f"init: the initial centroids range over [{bottom:.4g}, {top:.4g}], far outside "
            f"the data's [{low:.4g}, {high:.4g}]; are they in other units than X (e.g. pixels "
            "0..255 for data scaled to [0, 1])? Most of them will lose all their samples.",
            UserWarning, stacklevel=stacklevel)


#: Squared distances below this fraction of ``||x||^2 + ||c||^2`` may be mostly
#: rounding error of the product expansion (float32's epsilon with a wide margin).
_CANCELLATION = 1e-4


def _exact_small_distances(X, centers):
    """``squared_distances`` with the small entries summed again term by term.

    The product expansion loses small distances to cancellation (a sample equal to
    a centroid comes out at ~1e-7 instead of 0); the few entries that small are
    recomputed as ``sum((x - c)^2)`` in float64.
    """
    d2 = squared_distances(X, centers)
    c64 = centers.astype(np.float64)
    x_sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    c_sq = np.einsum("ij,ij->i", c64, c64)
    rows, cols = np.nonzero(d2 <= _CANCELLATION * (x_sq[:, None] + c_sq[None, :]))
    if rows.size:
        diff = X[rows].astype(np.float64) - c64[cols]
        d2[rows, cols] = np.einsum("ij,ij->i", diff, diff)
    return d2


def _read_init(init_kind, init, n_clusters, n_features, dtype):
    """Initial centres given as a CSV path or an array, checked as
    ``(n_clusters, n_features)`` in ``dtype``; a method name or callable is returned as is."""
    if init_kind == "file":
        return check_centers(read_centroids(init), n_clusters, n_features, dtype,
                             source=os.fspath(init))
    if init_kind == "array":
        return check_centers(init, n_clusters, n_features, dtype)
    return init


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-means clustering that behaves as scikit-learn's and can remember its steps.

    Lloyd's algorithm, exact: every step assigns each sample to its nearest centroid
    and moves each centroid to the (weighted) mean of its samples. From the same
    initial centroids it gives scikit-learn's ``KMeans(algorithm="lloyd")`` result
    (same labels, inertia and ``n_iter_`` up to floating-point rounding). Beyond
    scikit-learn: a history of the centroids at every step, a choice of what happens
    to a centroid that loses all its samples, and initial centroids from a CSV file.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (and initial centroids).
    init : {"k-means++", "k-means||", "random", "random-points"}, path, array-like or \
callable, default="k-means++"
        How to choose the initial centroids:

        - ``"k-means++"``: greedy k-means++ (``2 + int(log k)`` trials per centroid),
          using ``sample_weight``; as scikit-learn.
        - ``"k-means||"``: scalable k-means++ (Bahmani et al.), for large data: five
          passes over the data whatever ``k``, then k-means++ on the weighted
          candidates (see :mod:`pixelmeans.cluster.init`).
        - ``"random"``: each coordinate uniform between the smallest and largest value
          of that feature in the data (random pixels in the data's range).
        - ``"random-points"``: ``n_clusters`` distinct samples drawn at random with
          probability proportional to their weight (scikit-learn's ``"random"``).
        - a str or path-like naming a CSV or ``.npy`` file of centroids, one per line
          (see :func:`pixelmeans.read_centroids`).
        - an array of shape (n_clusters, n_features).

        A file or array is in the units of ``X``, whatever its dtype, and is used as
        it is: for uint8 images (pixels 0..255) centroids in 0..255, for images
        scaled to [0, 1] centroids in [0, 1]. KMeans knows nothing of pixels, so it
        never guesses a scale; it warns (``UserWarning``) when the given centroids
        lie beyond the data's range by more than that range's width (0..255
        centroids for data in [0, 1]), because from there all but a few of them
        lose every sample. ``pixelmeans run`` and ``pixelmeans evaluate``, which know
        their features are pixels / 255, read a file in either unit (see
        :mod:`pixelmeans.centroids`).
        - a callable ``init(X, n_clusters, random_state=...)`` returning such an array.
    n_init : "auto" or int, default="auto"
        Number of runs from different initial centroids; the result with the lowest
        inertia is kept. ``"auto"``: 1 for ``"k-means++"``, an array or a file; 10 for
        ``"random"``, ``"random-points"`` and a callable (as scikit-learn).
    max_iter : int, default=300
        Maximum number of steps of a run.
    tol : float, default=1e-4
        Convergence tolerance, relative to the mean per-feature variance of the data:
        a run stops when the sum over centroids of their squared moves in one step is
        at most ``tol * mean(var(X, axis=0))``, or as soon as no label changes.
    empty_clusters : {"relocate", "drop", "keep"}, default="relocate"
        What happens to a centroid whose cluster is empty after an assignment:

        - ``"relocate"``: it moves to the sample farthest from its centroid (as
          scikit-learn).
        - ``"drop"``: it is removed; ``cluster_centers_`` then has fewer rows than
          ``n_clusters``, and labels index the remaining rows, which keep their
          relative order (``history_[t].ids`` tells which initial centroid each row
          comes from).
        - ``"keep"``: it stays where it was.
    record_history : bool, default=False
        Keep the centroids after every step in ``history_``.
    random_state : int, RandomState instance or None, default=None
        Determines the random initialisation. An int makes the result reproducible.
    verbose : int, default=0
        1 or more: scikit-learn's lines (``Initialization complete``, ``Iteration t,
        inertia ...`` with the points changed and the centre shift, ``Converged at
        iteration t: strict convergence.`` or ``...: center shift ... within
        tolerance ...``), steps numbered from 1 like ``n_iter_``, then ``K-means
        converged after N steps.`` (or that it stopped at ``max_iter`` or by the
        callback).
    algorithm : {"auto", "lloyd", "hamerly", "yinyang", "elkan"}, default="auto"
        Step kernel. All kernels give the same labels at every step (Lloyd's); they
        differ in speed and memory. "auto" chooses by the shape of the problem: Lloyd
        for tiny problems, Elkan while its ``n x k`` float32 bounds fit in 1 GiB,
        Yinyang beyond (see :func:`pixelmeans.cluster.lloyd.choose_kernel`).
    copy_x : bool, default=True
        Accepted for compatibility with scikit-learn. pixelmeans never modifies nor
        copies dense ``X`` (the data is centred chunk by chunk inside the kernels),
        so it has no effect.
    n_threads : int or None, default=None
        Threads of the compiled kernels. None: as many as numba's pool, or fewer
        when threadpoolctl limits the process's thread pools (``with
        threadpool_limits(1): km.fit(X)`` runs on one core, as scikit-learn's
        KMeans). The result does not depend on it.
    callback : callable or None, default=None
        ``callback(step)`` is called with a :class:`~pixelmeans.cluster.KMeansStep`
        (centroids, inertia, points changed, centre shift) for the initial centroids
        and after every step of every run. When it returns True the fit stops there:
        that run ends with ``converged_`` False and ``n_iter_`` the steps it ran, and
        no further restart is made (the best run so far is kept).
        ``record_history`` keeps the same records.
    spherical : bool, default=False
        Spherical k-means (faiss' ``spherical=True``): the centroids are scaled to
        unit length after the initialisation and after every update. Samples are
        still assigned to the nearest centroid in Euclidean distance, so for
        unit-length rows of ``X`` this maximises the cosine similarity; normalise
        ``X`` first for cosine k-means (``X`` itself is never changed). ``inertia_``
        is the usual one, to the unit-length centroids.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (k_final, n_features)
        Centroids. float32 when fitted on float32 or uint8 data, float64 otherwise.
        ``k_final == n_clusters`` unless ``empty_clusters="drop"`` dropped some.
    labels_ : ndarray of shape (n_samples,), dtype int32
        Index of the nearest centroid (row of ``cluster_centers_``) of each sample.
        It is the last thing computed, so it equals ``predict(X)``.
    inertia_ : float
        Sum of squared distances of the samples to their nearest centroid (weighted
        by ``sample_weight``), consistent with ``labels_`` and ``cluster_centers_``.
    n_iter_ : int
        Number of steps run.
    converged_ : bool
        False if the run stopped at ``max_iter``.
    history_ : list of KMeansStep
        Only with ``record_history=True`` (of the best run when ``n_init > 1``):
        ``history_[0]`` holds the initial centroids, ``history_[t]`` the centroids
        after step t, so ``len(history_) == n_iter_ + 1``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` has string column names.

    Notes
    -----
    Data may be uint8 (e.g. pixels 0..255, used as the numbers they are), float32 or
    float64; it is never copied to another dtype (other numbers are converted to
    float64, as scikit-learn does). A scipy.sparse CSR or CSC matrix is accepted
    everywhere and gives the result of its dense equal: ``fit`` makes one dense
    copy (``n_samples x n_features`` numbers of its dtype, the memory of a dense
    input), while ``predict``, ``transform`` and ``score`` densify about 64 MB of
    rows at a time. Distances are computed in chunks with
    float32 arithmetic for uint8/float32 data and float64 for float64 data; sums and
    the inertia accumulate in float64. With duplicate samples there may be fewer
    distinct clusters than ``n_clusters``; a ``ConvergenceWarning`` says so.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelmeans import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> km.predict([[0, 0], [12, 3]]).tolist() == [km.labels_[0], km.labels_[3]]
    True
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300,
                 tol=1e-4, empty_clusters="relocate", record_history=False,
                 random_state=None, verbose=0, algorithm="auto", copy_x=True,
                 n_threads=None, callback=None, spherical=False):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.empty_clusters = empty_clusters
        self.record_history = record_history
        self.random_state = random_state
        self.verbose = verbose
        self.algorithm = algorithm
        self.copy_x = copy_x
        self.n_threads = n_threads
        self.callback = callback
        self.spherical = spherical

    # ------------------------------------------------------------------ checks

    def _check_params(self):
        """Validate the parameters by themselves; return (init kind, init value)."""
        check_int(self.n_clusters, "n_clusters", 1)
        check_int(self.max_iter, "max_iter", 1)
        check_real(self.tol, "tol", 0.0)
        if not (isinstance(self.n_init, str) and self.n_init == "auto"):
            check_int(self.n_init, "n_init", 1)
        if self.empty_clusters not in EMPTY_POLICIES:
            raise InputError(f"empty_clusters must be one of {', '.join(EMPTY_POLICIES)}; "
                             f"got {self.empty_clusters!r}")
        algorithms = ("auto", *KERNELS)
        if self.algorithm not in algorithms:
            raise InputError(f"algorithm must be one of {', '.join(algorithms)}; "
                             f"got {self.algorithm!r}")
        if not isinstance(self.record_history, (bool, np.bool_)):
            raise InputError(f"record_history must be True or False, got {self.record_history!r}")
        if not isinstance(self.copy_x, (bool, np.bool_)):
            raise InputError(f"copy_x must be True or False, got {self.copy_x!r}")
        if not isinstance(self.verbose, (bool, np.bool_)):
            check_int(self.verbose, "verbose", 0)
        if self.n_threads is not None:
            check_int(self.n_threads, "n_threads", 1)
        if self.callback is not None and not callable(self.callback):
            raise InputError(f"callback must be a callable or None, got {self.callback!r}")
        if not isinstance(self.spherical, (bool, np.bool_)):
            raise InputError(f"spherical must be True or False, got {self.spherical!r}")
        return self._init_kind()

    def _init_kind(self):
        """Validate ``init`` by itself; return (init kind, init value)."""
        init = self.init
        if isinstance(init, str) and init in INIT_METHODS:
            return "method", init
        if isinstance(init, (str, os.PathLike)):
            if not os.path.isfile(init):
                raise InputError(
                    f"init={os.fspath(init)!r} is neither one of {', '.join(INIT_METHODS)} "
                    "nor an existing file of centroids")
            return "file", init
        if callable(init):
            return "callable", init
        if hasattr(init, "__array__") or isinstance(init, (list, tuple)):
            return "array", init
        raise InputError(f"init must be one of {', '.join(INIT_METHODS)}, a file path, an "
                         f"array or a callable; got {type(init).__name__}")

    def _resolve_n_init(self, init_kind, init):
        """Runs to make, also kept as ``_n_init`` (the attribute scikit-learn's has)."""
        self._n_init = self._n_init_for(init_kind, init)
        return self._n_init

    def _n_init_for(self, init_kind, init):
        if isinstance(self.n_init, str):  # "auto"
            return 10 if init_kind == "callable" or init in ("random", "random-points") else 1
        if init_kind in ("array", "file") and self.n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{type(self).__name__} instead of n_init={self.n_init}.",
                RuntimeWarning, stacklevel=3)
            return 1
        return int(self.n_init)

    def _check_fit_data(self, X, sample_weight):
        """Validate what ``fit`` gets: the data, the weights and the initial centres.

        Returns ``(X, sample_weight, init_kind, init, n_init, dtype)`` with an init
        file or array already read and checked as ``(n_clusters, n_features)`` centres.
        """
        init_kind, init = self._check_params()
        if is_chunked(X):
            if isinstance(self, MiniBatchKMeans):  # its batches are random rows: read it into memory
                raise InputError("MiniBatchKMeans: data read chunk by chunk is not supported; "
                                 "use KMeans, or pass a NumPy array")
            X = check_chunked_data(X)
            self.n_features_in_ = X.shape[1]
        else:
            X = densify(_validate_data(self, X, reset=True, dtype=DATA_DTYPES, order="C",
                                       accept_sparse=["csr", "csc"]))
        n_samples, n_features = X.shape
        n_clusters = int(self.n_clusters)
        check_n_clusters_vs_samples(n_clusters, n_samples)
        sample_weight = check_sample_weight(sample_weight, n_samples)
        n_init = self._resolve_n_init(init_kind, init if init_kind == "method" else None)
        dtype = compute_dtype(X.dtype)
        init = _read_init(init_kind, init, n_clusters, n_features, dtype)
        return X, sample_weight, init_kind, init, n_init, dtype

    def _check_test_data(self, X, *, check_finite=True):
        """Checked ``X``: an array as ``fit`` takes it, or a CSR/CSC matrix left sparse
        (see :func:`~pixelmeans.cluster._validation.dense_row_blocks`)."""
        if is_chunked(X):
            return check_chunked_data(X, self.n_features_in_)
        return _validate_data(self, X, reset=False, dtype=DATA_DTYPES, order="C",
                              accept_sparse=["csr", "csc"], **{FINITE_KEYWORD: check_finite})

    def _threads(self):
        return limit_threads(getattr(self, "n_threads", None))

    # --------------------------------------------------------------------- fit

    def _initial_centers(self, X, sample_weight, init_kind, init, random_state, dtype, shift,
                         lo, hi):
        """One restart's initial centres, by the method or from the array, file or
        callable ``init`` (shared by KMeans and MiniBatchKMeans)."""
        n_clusters = int(self.n_clusters)
        if init_kind in ("array", "file"):
            return init
        if init_kind == "callable":
            return check_centers(init(X, n_clusters, random_state=random_state),
                                 n_clusters, X.shape[1], dtype)
        if init == "k-means++":
            return _kmeans_plusplus_start(X, n_clusters, sample_weight, random_state, shift)
        if init == "k-means||":
            return _kmeans_parallel(X, n_clusters, sample_weight, random_state, shift)
        if init == "random":
            return _random_uniform(lo, hi, n_clusters, random_state, dtype)
        return _random_points(X, n_clusters, sample_weight, random_state, dtype)

    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples. uint8, float32 and float64 are used without a copy
            (once C-contiguous); other numbers are converted to float64. Images must
            be flattened by the caller (``X.reshape(len(X), -1)``).
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples (default: all 1). Used by k-means++,
            random-points, the means and the inertia.

        Returns
        -------
        self : KMeans
            Fitted estimator.
        """
        if _dask.is_dask_array(X):
            return _dask.fit(self, X, sample_weight, is_better=is_better_restart)
        X, sample_weight, init_kind, init, n_init, dtype = self._check_fit_data(X, sample_weight)
        with self._threads():
            return self._fit(X, sample_weight, init_kind, init, n_init, dtype)

    def _fit(self, X, sample_weight, init_kind, init, n_init, dtype):
        n_samples, n_features = X.shape
        n_clusters = int(self.n_clusters)
        if self.algorithm == "elkan" and n_clusters == 1:
            warnings.warn("algorithm='elkan' doesn't make sense for a single cluster. "
                          "Using 'lloyd' instead.", RuntimeWarning, stacklevel=3)

        shift, var, lo, hi = data_shift(X, dtype)
        if not np.all(np.isfinite(var)):  # a chunked source is checked by this first pass
            raise InputError("X contains NaN or infinity")
        if init_kind in ("array", "file"):
            _warn_if_init_far_from_data(init, lo, hi, stacklevel=4)
        tol = float(np.mean(var) * self.tol) if self.tol else 0.0
        random_state = check_random_state(self.random_state)
        algorithm = "lloyd" if self.algorithm == "elkan" and n_clusters == 1 else self.algorithm
        kernel = choose_kernel(algorithm, n_clusters, n_features, n_samples)

        best = None
        for run in range(n_init):
            centers = self._initial_centers(X, sample_weight, init_kind, init, random_state,
                                            dtype, shift, lo, hi)
            if self.verbose:
                print("Initialization complete" + (f" (run {run + 1} of {n_init})" if n_init > 1 else ""))
            result = kmeans_single(
                X, sample_weight, centers - shift, shift=shift, max_iter=int(self.max_iter),
                tol=tol, empty_clusters=self.empty_clusters,
                record_history=bool(self.record_history), verbose=int(self.verbose),
                kernel_factory=kernel, callback=self.callback, spherical=bool(self.spherical))
            if best is None or is_better_restart(result.inertia, result.labels, best.inertia, best.labels):
                best = result
            if result.stopped:
                break  # the callback stops the whole fit, not only this run

        n_centers = best.centers.shape[0]
        expected = n_centers if self.empty_clusters == "drop" else n_clusters
        distinct = np.unique(best.labels).size
        if distinct < expected:
            why = ("Empty clusters were kept (empty_clusters='keep')."
                   if self.empty_clusters == "keep" else "Possibly due to duplicate points in X.")
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({expected}). {why}", ConvergenceWarning, stacklevel=3)

        self.cluster_centers_ = best.centers
        self._n_features_out = n_centers
        self.labels_ = best.labels
        self.inertia_ = float(best.inertia)
        self.n_iter_ = int(best.n_iter)
        self.converged_ = bool(best.converged)
        if self.record_history:
            self.history_ = best.history
        elif "history_" in self.__dict__:
            del self.history_  # left over from an earlier fit with record_history=True
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return ``labels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int32
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then return the distances of ``X`` to the centroids (see ``transform``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        X_new : ndarray of shape (n_samples, k_final)
        """
        self.fit(X, sample_weight=sample_weight)
        return self._transform(self._check_test_data(X))

    # ---------------------------------------------------------------- predict

    def predict(self, X):
        """Index of the nearest centroid of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            uint8, float32 or float64 (others converted to float64).

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int32
            Rows of ``cluster_centers_``; the first one on exact ties.
        """
        check_is_fitted(self)
        if _dask.is_dask_array(X):
            return _dask.predict(self, X)
        # The kernel reads every value anyway and marks rows with NaN or infinity
        # (label -1): one pass over X instead of a finiteness check and then the work.
        X = self._check_test_data(X, check_finite=False)
        with self._threads():
            labels = np.concatenate(
                [labels_inertia(B, self.cluster_centers_, return_inertia=False)
                 for B in dense_row_blocks(X)])
        if labels.size and labels.min() < 0:
            if is_chunked(X):
                raise InputError("X contains NaN or infinity")
            self._check_test_data(X)  # raises scikit-learn's error naming NaN or infinity
            raise InputError("X: values too large, their squared norms overflow float64")
        return labels

    def transform(self, X):
        """Euclidean distances of every sample to every centroid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, k_final)
            float32 when both ``X`` (float32 or uint8) and the centroids are float32,
            float64 otherwise.
        """
        check_is_fitted(self)
        if _dask.is_dask_array(X):
            return _dask.transform(self, X)
        return self._transform(self._check_test_data(X))

    def _transform(self, X):
        with self._threads():
            return np.concatenate([np.sqrt(_exact_small_distances(B, self.cluster_centers_))
                                   for B in dense_row_blocks(X)])

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the inertia of ``X`` on the fitted centroids.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            ``-sum(w * ||x - nearest centroid||^2)``.
        """
        check_is_fitted(self)
        if _dask.is_dask_array(X):
            return _dask.score(self, X, sample_weight)
        X = self._check_test_data(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        inertia, start = 0.0, 0
        with self._threads():
            for B in dense_row_blocks(X):
                stop = start + B.shape[0]
                inertia += labels_inertia(B, self.cluster_centers_,
                                          sample_weight[start:stop])[1]
                start = stop
        return -inertia

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"preserves_dtype": [np.float64, np.float32]}


def k_means(X, n_clusters, *, sample_weight=None, init="k-means++", n_init="auto",
            max_iter=300, verbose=False, tol=1e-4, random_state=None, copy_x=True,
            algorithm="auto", return_n_iter=False):
    """K-means as a function: :class:`KMeans` fitted, its results returned.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
    n_clusters : int
    sample_weight : array-like of shape (n_samples,), default=None
    init, n_init, max_iter, verbose, tol, random_state, copy_x, algorithm
        As :class:`KMeans`.
    return_n_iter : bool, default=False
        Also return the number of steps run.

    Returns
    -------
    centroid : ndarray of shape (n_clusters, n_features)
    label : ndarray of shape (n_samples,), dtype int32
    inertia : float
    best_n_iter : int
        Only with ``return_n_iter=True``.
    """
    est = KMeans(n_clusters=n_clusters, init=init, n_init=n_init, max_iter=max_iter,
                 verbose=verbose, tol=tol, random_state=random_state, copy_x=copy_x,
                 algorithm=algorithm).fit(X, sample_weight=sample_weight)
    result = (est.cluster_centers_, est.labels_, est.inertia_)
    return (*result, est.n_iter_) if return_n_iter else result


class MiniBatchKMeans(KMeans):
    """Mini-batch k-means: scikit-learn's ``MiniBatchKMeans`` on pixelmeans' kernels.

    Much cheaper than :class:`KMeans` on large data (each step reads ``batch_size``
    rows), at the price of a somewhat higher inertia; not exact Lloyd. The
    algorithm, parameters and stopping rules are scikit-learn's (see
    :mod:`pixelmeans.cluster.minibatch`); the final ``labels_`` and ``inertia_`` are
    computed exactly on all the data.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "k-means||", "random", "random-points"}, path, array-like or \
callable, default="k-means++"
        As :class:`KMeans`; computed on ``init_size`` random rows.
    max_iter : int, default=100
        Passes over the data (in steps of ``batch_size`` rows).
    batch_size : int, default=1024
    verbose : int, default=0
    compute_labels : bool, default=True
        Compute ``labels_`` and ``inertia_`` on all the data at the end of ``fit``.
    random_state : int, RandomState instance or None, default=None
    tol : float, default=0.0
        Stop when the squared centre moves of a step sum to at most ``tol`` times the
        mean variance of the features (0: never).
    max_no_improvement : int or None, default=10
        Stop after this many steps without improvement of the smoothed batch inertia.
    init_size : int or None, default=None
        Random rows each initialisation is computed on, as scikit-learn:
        ``3 * batch_size`` by default (``3 * n_clusters`` if that is fewer than
        ``n_clusters``); a given value below ``n_clusters`` becomes ``3 *
        n_clusters``, with a ``RuntimeWarning``; never more than ``n_samples``.
        The best of ``n_init`` initialisations is chosen by its inertia on
        ``batch_size`` other random rows.
    n_init : "auto" or int, default="auto"
        "auto": 1 for "k-means++" and "k-means||", 3 otherwise (as scikit-learn).
    reassignment_ratio : float, default=0.01
    n_threads : int or None, default=None
        As :class:`KMeans`.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        float32 for float32 or uint8 data, float64 otherwise.
    labels_ : ndarray of shape (n_samples,), dtype int32
        Only with ``compute_labels=True``.
    inertia_ : float
        Only with ``compute_labels=True``.
    n_iter_ : int
        Passes over the data done (``ceil(n_steps_ * batch_size / n_samples)``).
    n_steps_ : int
        Mini-batch steps done.
    n_features_in_ : int
    """

    def __init__(self, n_clusters=8, *, init="k-means++", max_iter=100, batch_size=1024,
                 verbose=0, compute_labels=True, random_state=None, tol=0.0,
                 max_no_improvement=10, init_size=None, n_init="auto",
                 reassignment_ratio=0.01, n_threads=None):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.n_threads = n_threads

    def _check_params(self):
        check_int(self.batch_size, "batch_size", 1)
        check_real(self.reassignment_ratio, "reassignment_ratio", 0.0)
        if self.max_no_improvement is not None:
            check_int(self.max_no_improvement, "max_no_improvement", 0)
        if self.init_size is not None:
            check_int(self.init_size, "init_size", 1)
        if not isinstance(self.compute_labels, (bool, np.bool_)):
            raise InputError(f"compute_labels must be True or False, got {self.compute_labels!r}")
        check_int(self.n_clusters, "n_clusters", 1)
        check_int(self.max_iter, "max_iter", 1)
        check_real(self.tol, "tol", 0.0)
        if not (isinstance(self.n_init, str) and self.n_init == "auto"):
            check_int(self.n_init, "n_init", 1)
        if not isinstance(self.verbose, (bool, np.bool_)):
            check_int(self.verbose, "verbose", 0)
        if self.n_threads is not None:
            check_int(self.n_threads, "n_threads", 1)
        return self._init_kind()

    def _n_init_for(self, init_kind, init):
        if isinstance(self.n_init, str):  # "auto"
            return 3 if init_kind == "callable" or init in ("random", "random-points") else 1
        return super()._n_init_for(init_kind, init)

    def _resolve_init_size(self, n_samples):
        """scikit-learn's rule for the rows of an initialisation, kept as ``_init_size``."""
        n_clusters = int(self.n_clusters)
        init_size = self.init_size
        if init_size is None:
            init_size = 3 * min(int(self.batch_size), n_samples)
            if init_size < n_clusters:
                init_size = 3 * n_clusters
        elif init_size < n_clusters:
            warnings.warn(
                f"init_size={init_size} should be larger than n_clusters={n_clusters}. "
                "Setting it to min(3*n_clusters, n_samples)", RuntimeWarning, stacklevel=4)
            init_size = 3 * n_clusters
        self._init_size = min(int(init_size), n_samples)
        return self._init_size

    def _init_on_rows(self, X, sample_weight, init_kind, init, random_state, dtype, shift,
                      lo, hi):
        """Initial centres computed on ``_init_size`` random rows of ``X``."""
        rows = random_state.randint(0, X.shape[0], self._init_size)
        return self._initial_centers(np.ascontiguousarray(X[rows]), sample_weight[rows],
                                     init_kind, init, random_state, dtype, shift, lo, hi)

    def fit(self, X, y=None, sample_weight=None):
        """Compute the centroids with mini-batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            uint8, float32 and float64 are used without a copy.
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MiniBatchKMeans
        """
        X, sample_weight, init_kind, init, n_init, dtype = self._check_fit_data(X, sample_weight)
        with self._threads():
            return self._fit(X, sample_weight, init_kind, init, n_init, dtype)

    def _fit(self, X, sample_weight, init_kind, init, n_init, dtype):
        from pixelmeans.cluster.minibatch import MiniBatchState, converged, minibatch_step

        n_samples, n_features = X.shape
        n_clusters = int(self.n_clusters)
        random_state = check_random_state(self.random_state)
        batch_size = min(int(self.batch_size), n_samples)
        shift, var, lo, hi = data_shift(X, dtype)
        if not np.all(np.isfinite(var)):  # a chunked source is checked by this first pass
            raise InputError("X contains NaN or infinity")
        if init_kind in ("array", "file"):
            _warn_if_init_far_from_data(init, lo, hi, stacklevel=4)
        tol = float(np.mean(var) * self.tol) if self.tol else 0.0
        self._resolve_init_size(n_samples)

        # As scikit-learn: each initialisation on its own random rows, the best one
        # chosen on a common validation batch.
        valid = random_state.randint(0, n_samples, batch_size)
        X_valid, w_valid = np.ascontiguousarray(X[valid]), sample_weight[valid]
        best, best_inertia = None, np.inf
        for run in range(n_init):
            centers = self._init_on_rows(X, sample_weight, init_kind, init, random_state,
                                         dtype, shift, lo, hi)
            inertia = labels_inertia(X_valid, centers, w_valid)[1]
            if self.verbose:
                print(f"Inertia for init {run + 1}/{n_init}: {inertia:.6g}")
            if inertia < best_inertia:
                best, best_inertia = centers, inertia

        state = MiniBatchState(np.array(best, dtype=np.float64), np.zeros(n_clusters))
        n_steps = (int(self.max_iter) * n_samples) // batch_size
        for _ in range(n_steps):
            idx = random_state.randint(0, n_samples, batch_size)
            batch_inertia, moved = minibatch_step(
                X[idx], sample_weight[idx], state, random_state,
                reassignment_ratio=float(self.reassignment_ratio), dtype=dtype)
            if converged(state, batch_inertia, moved, batch_size=batch_size,
                         n_samples=n_samples, tol=tol,
                         max_no_improvement=self.max_no_improvement, verbose=self.verbose):
                break

        self.cluster_centers_ = state.centers.astype(dtype)
        self._n_features_out = n_clusters
        # partial_fit after fit goes on from here, as in scikit-learn
        self._state, self._random_state = state, random_state
        self.n_steps_ = int(state.n_steps)
        self.n_iter_ = int(np.ceil(state.n_steps * batch_size / n_samples))
        if self.compute_labels:
            self.labels_, self.inertia_ = labels_inertia(X, self.cluster_centers_, sample_weight)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """One mini-batch step on ``X`` (the first call also initialises).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MiniBatchKMeans
        """
        from pixelmeans.cluster.minibatch import MiniBatchState, minibatch_step

        first = not hasattr(self, "cluster_centers_")
        if first:
            # As scikit-learn: one initialisation (n_init is for fit), on _init_size
            # random rows of this first batch.
            X, sample_weight, init_kind, init, _, dtype = self._check_fit_data(X, sample_weight)
        else:
            self._check_params()
            X = densify(self._check_test_data(X))
            sample_weight = check_sample_weight(sample_weight, X.shape[0])
            dtype = compute_dtype(X.dtype)
        with self._threads():
            if first:
                self._random_state = check_random_state(self.random_state)
                self._resolve_init_size(X.shape[0])
                shift, _, lo, hi = data_shift(X, dtype)
                centers = self._init_on_rows(X, sample_weight, init_kind, init,
                                             self._random_state, dtype, shift, lo, hi)
                self._state = MiniBatchState(np.array(centers, dtype=np.float64),
                                             np.zeros(int(self.n_clusters)))
                self.n_steps_ = 0
            minibatch_step(X, sample_weight, self._state, self._random_state,
                           reassignment_ratio=float(self.reassignment_ratio), dtype=dtype)
            self.cluster_centers_ = self._state.centers.astype(dtype)
            self._n_features_out = self.cluster_centers_.shape[0]
            self.n_steps_ += 1
            if self.compute_labels:
                self.labels_, self.inertia_ = labels_inertia(X, self.cluster_centers_,
                                                             sample_weight)
        return self

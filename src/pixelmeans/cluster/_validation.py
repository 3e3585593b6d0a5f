"""Input checks of the public edge (estimator and public functions); kernels check nothing."""

from __future__ import annotations

import inspect
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array

from pixelmeans.errors import InputError

#: dtypes data keeps as they are; anything else becomes float64 (as scikit-learn).
DATA_DTYPES = [np.float64, np.float32, np.uint8]

# scikit-learn 1.6 renamed force_all_finite to ensure_all_finite.
FINITE_KEYWORD = ("ensure_all_finite" if "ensure_all_finite" in inspect.signature(check_array).parameters
           else "force_all_finite")


#: Bytes of dense rows made at a time from a sparse matrix outside ``fit``.
DENSE_BLOCK_BYTES = 64 * 2**20


def check_data(X, *, name: str = "X") -> np.ndarray:
    """2-D, finite, C-contiguous data of dtype uint8, float32 or float64.

    uint8, float32 and float64 are kept without a copy (when C-contiguous); other
    numbers are converted to float64. A scipy.sparse matrix becomes its dense equal
    (see :func:`densify`).
    """
    return densify(check_array(X, dtype=DATA_DTYPES, order="C",
                               accept_sparse=["csr", "csc"], input_name=name,
                               **{FINITE_KEYWORD: True}))


def densify(X):
    """A checked sparse matrix as a C-contiguous array of its dtype; arrays as they are.

    The kernels read dense rows; a fit reads every row many times, so one dense
    copy (the memory of a dense input) costs less than densifying at every step.
    """
    return X.toarray(order="C") if sp.issparse(X) else X


def dense_row_blocks(X):
    """Yield ``X`` itself, or for a sparse matrix or rows read from disk its rows as
    dense blocks in order.

    A block holds about :data:`DENSE_BLOCK_BYTES` (at least one row), so predicting
    on sparse data needs bounded memory besides the result.
    """
    from pixelmeans.cluster._rows import RowSource

    if isinstance(X, RowSource) and not X.in_memory:  # read from disk a block at a time
        n, d = X.shape
        rows = max(1, DENSE_BLOCK_BYTES // max(1, d * X.dtype.itemsize))
        if rows >= X.read_rows:  # whole chunks of the source per read
            rows -= rows % X.read_rows
        for start in range(0, n, rows):
            yield X.read(start, min(n, start + rows))
        return
    if not sp.issparse(X):
        yield X
        return
    X = X.tocsr()
    n, d = X.shape
    rows = max(1, DENSE_BLOCK_BYTES // max(1, d * X.dtype.itemsize))
    for start in range(0, max(n, 1), rows):
        yield X[start:start + rows].toarray(order="C")


def check_int(value, name: str, low: int, high: int | None = None) -> int:
    """An integer (not bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InputError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        upper = f" and <= {high}" if high is not None else ""
        raise InputError(f"{name} must be >= {low}{upper}, got {value}")
    return int(value)


def check_real(value, name: str, low: float) -> float:
    """A finite real number ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    if value < low:
        raise InputError(f"{name} must be >= {low}, got {value}")
    return float(value)


def check_n_clusters_vs_samples(n_clusters: int, n_samples: int) -> None:
    """scikit-learn's check and message: ``n_samples=5 should be >= n_clusters=8.``"""
    if n_samples < n_clusters:
        raise InputError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Weights as a new float64 array of shape (n_samples,): finite, >= 0, positive sum.

    ``None`` means all ones; a scalar is broadcast.
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise InputError(f"sample_weight must be numbers, got dtype {w.dtype}")
    w = np.array(w, dtype=np.float64, order="C")  # a copy: the caller's array is never touched
    if w.ndim == 0:
        w = np.full(n_samples, float(w), dtype=np.float64)
    if w.ndim != 1:
        raise InputError(f"sample_weight must be 1-D, got an array of shape {w.shape}")
    if w.shape[0] != n_samples:
        raise InputError(f"sample_weight.shape == {w.shape}, expected ({n_samples},)!")
    if not np.all(np.isfinite(w)):
        raise InputError("sample_weight contains NaN or infinity")
    if np.any(w < 0):
        raise InputError("sample_weight must be >= 0")
    if n_samples and not w.sum() > 0:
        raise InputError("sample_weight is all zero: at least one weight must be positive")
    return w


def check_centers(centers, n_clusters: int, n_features: int, dtype, *, source: str = "init"):
    """Initial centres as a new C-contiguous array of shape (n_clusters, n_features), ``dtype``.

    Messages follow scikit-learn's ("The shape of the initial centers (3, 5) does not
    match the number of clusters 4."), prefixed by ``source`` when that is a file.
    """
    prefix = "" if source == "init" else f"{source}: "
    try:
        arr = check_array(centers, dtype=dtype, order="C", copy=True, ensure_min_samples=0,
                          ensure_min_features=0, input_name="init", **{FINITE_KEYWORD: True})
    except ValueError as exc:
        raise InputError(f"{prefix}{exc}") from exc
    if arr.shape[0] != n_clusters:
        raise InputError(f"{prefix}The shape of the initial centers {arr.shape} does not "
                         f"match the number of clusters {n_clusters}.")
    if arr.shape[1] != n_features:
        raise InputError(f"{prefix}The shape of the initial centers {arr.shape} does not "
                         f"match the number of features of the data {n_features}.")
    return arr


def check_chunked_data(X, n_features: int | None = None, *, name: str = "X"):
    """An array-like read chunk by chunk (zarr, HDF5, an image store) as a RowSource.

    Its dtype must be uint8, float32 or float64 (converting would mean a copy of the
    whole data set); trailing axes are flattened, so an image stack ``(n, h, w)`` is
    ``n`` rows of ``h * w`` features. Finiteness is checked by the first pass over
    the data, not here: this reads nothing.
    """
    from pixelmeans.cluster._rows import as_rows

    shape = tuple(getattr(X, "shape", ()))
    if len(shape) < 2:
        raise InputError(f"{name}: expected a 2-D array (or a stack of images), got shape {shape}")
    if np.dtype(X.dtype) not in [np.dtype(t) for t in DATA_DTYPES]:
        raise InputError(f"{name}: data read chunk by chunk must be uint8, float32 or float64, "
                         f"got {np.dtype(X.dtype)} (convert it when writing it)")
    rows = as_rows(X)
    if rows.shape[0] < 1 or rows.shape[1] < 1:
        raise InputError(f"{name}: expected at least 1 sample and 1 feature, got shape {shape}")
    if n_features is not None and rows.shape[1] != n_features:
        raise InputError(f"{name} has {rows.shape[1]} features, but the estimator was fitted "
                         f"with {n_features} features")
    return rows

"""Primitives shared by the compiled k-means kernels: the leaf they all import.

The Lloyd kernel (:mod:`pixelmeans.cluster.kernels`), the bound-based kernels
(:mod:`pixelmeans.cluster.bounds`) and greedy k-means++ (:mod:`pixelmeans.cluster.plusplus`)
import what they share from here and nothing from each other; this module imports
nothing from :mod:`pixelmeans.cluster` but the row access of :mod:`._rows` (another
leaf). Everything here takes plain arrays that the public edge has already
validated; nothing checks its input.

Numerics, shared by every step kernel:

* The data ``X`` is read in chunks of rows (:func:`chunk_rows`) and each chunk is
  converted to the *compute dtype* and shifted (``x - shift``, :func:`shift_row`) into
  a small per-thread buffer. ``X`` itself is never copied: uint8 pixels stay uint8,
  float32 stays float32.
* Squared distances use ``||x||^2 - 2 x.c + ||c||^2`` with the product done by BLAS
  (``gemm``) in the compute dtype on the shifted chunk. Shifting by (about) the data
  mean is what scikit-learn does too; it keeps the cancellation in that formula
  small. Such a distance carries a rigorous error bar (:func:`dot_error_coef`, plus
  :data:`REL_SLACK`), and whenever two bars overlap the label is decided by the
  canonical distance :func:`exact_sqdist`: every kernel returns the same labels.
* The distance of a point to the centre it was assigned (``sqdist``; inertia,
  relocation of empty clusters) is recomputed with :func:`exact_sqdist` (float64
  accumulation), and the per-cluster sums of the M-step are float64.
* Work is split into a number of *blocks* (:func:`n_blocks`, :func:`block_bounds`)
  that depends only on the data shape, never on the number of threads, and partial
  results are reduced in block order: a result does not depend on how many threads
  ran it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from pixelmeans.cluster._rows import as_rows

__all__ = [
    "FASTMATH",
    "REL_SLACK",
    "StepSums",
    "block_bounds",
    "center_norms",
    "chunk_rows",
    "dot_error_coef",
    "exact_sqdist",
    "hold_data",
    "n_blocks",
    "parallel_worth_it",
    "prepare_centers",
    "shift_row",
    "shift_row_only",
]

#: Fast-math flags of the compiled kernels. Reassociation lets LLVM vectorise the
#: float reductions (dot products, sums of squares); no "nnan"/"ninf": comparisons
#: keep their IEEE meaning.
FASTMATH = {"reassoc", "contract", "nsz"}

#: Relative slack added to every error bound, far above the ~1e-16 rounding of the
#: canonical float64 distance, so that "outside the error bars" always means
#: "different canonical value".
REL_SLACK = 1e-12

# Partial sums per block cost n_blocks * k * d float64; keep them under this.
_BLOCK_SUMS_BYTES = 64 * 2**20
_MAX_BLOCKS = 16

# Below this many multiply-adds a call runs its blocks in one thread.
_PARALLEL_MIN_WORK = 2**22

# Target size of one chunk buffer (rows x features in the compute dtype): large
# enough for an efficient gemm (256 rows of MNIST float32, as scikit-learn's chunks),
# small enough to stay in cache.
_CHUNK_BYTES = 2**20


# ---------------------------------------------------------------------------
# chunks and blocks


def chunk_rows(n_features: int, itemsize: int) -> int:
    """Rows per chunk: about 1 MiB of buffer, between 16 and 256 rows.

    Parameters
    ----------
    n_features : int
    itemsize : int
        Bytes per number of the buffer (the compute dtype's).

    Returns
    -------
    int
    """
    return int(min(256, max(16, _CHUNK_BYTES // max(1, n_features * itemsize))))


def n_blocks(n_samples: int, n_clusters: int, n_features: int, chunk: int) -> int:
    """Number of work blocks: a function of the shapes only (never of the thread count).

    At most 16, at most one per chunk, and few enough that the per-block partial
    sums (``n_blocks x n_clusters x n_features`` float64) stay under 64 MiB.

    Parameters
    ----------
    n_samples, n_clusters, n_features : int
    chunk : int
        Rows per chunk (:func:`chunk_rows`).

    Returns
    -------
    int
    """
    n_chunks = -(-n_samples // chunk)
    by_memory = max(1, _BLOCK_SUMS_BYTES // max(1, n_clusters * n_features * 8))
    return int(max(1, min(n_chunks, _MAX_BLOCKS, by_memory)))


def block_bounds(n_samples: int, nb: int, chunk: int) -> np.ndarray:
    """Row boundaries of ``nb`` blocks made of whole chunks.

    Parameters
    ----------
    n_samples : int
    nb : int
        Number of blocks (:func:`n_blocks`).
    chunk : int
        Rows per chunk.

    Returns
    -------
    ndarray of shape (nb + 1,), dtype int64
        Block ``b`` is rows ``bounds[b]:bounds[b + 1]`` (possibly empty at the end).
    """
    n_chunks = -(-n_samples // chunk)
    per_block = -(-n_chunks // nb) if nb else 0
    edges = np.minimum(np.arange(nb + 1, dtype=np.int64) * per_block * chunk, n_samples)
    return edges


def parallel_worth_it(n_samples: int, n_features: int, n_clusters: int, nb: int) -> bool:
    """Whether to run the blocks in parallel: only when there are several blocks and
    enough multiply-adds to pay the launch of the threads.

    Both paths run the same blocks and reduce them in the same order, so this
    decides speed only, never a result.
    """
    return nb > 1 and n_samples * n_features * (n_clusters + 2) >= _PARALLEL_MIN_WORK


# ---------------------------------------------------------------------------
# compiled row primitives


@njit(cache=True, fastmath=FASTMATH)
def shift_row(x, shift, out):  # pragma: no cover
    """Shift one row into a buffer and return its squared norm.

    Parameters
    ----------
    x : ndarray of shape (n_features,), dtype uint8, float32 or float64
        A row of the data.
    shift : ndarray of shape (n_features,), compute dtype
    out : ndarray of shape (n_features,), compute dtype
        Receives ``x - shift``, rounded to its dtype.

    Returns
    -------
    float
        ``||out||^2`` (of the rounded values) accumulated in float64.
    """
    acc = 0.0
    for j in range(x.shape[0]):
        v = x[j] - shift[j]
        out[j] = v
        acc += np.float64(out[j]) * out[j]
    return acc


@njit(cache=True, fastmath=FASTMATH)
def shift_row_only(x, shift, out):  # pragma: no cover
    """Shift one row into a buffer: ``out = x - shift``, rounded to ``out``'s dtype.

    As :func:`shift_row`, without the norm.
    """
    for j in range(x.shape[0]):
        out[j] = x[j] - shift[j]


@njit(cache=True)
def exact_sqdist(a, b):  # pragma: no cover
    """The *canonical* squared distance ``||a - b||^2`` that decides every label.

    float64 differences and sums in one fixed order (four interleaved partial sums,
    no fast-math: no reassociation, no contraction), so the same two rows give the
    same bits wherever it is called from. Every kernel breaks near-ties with it,
    which is why they all return the same labels.
    """
    n = a.shape[0]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    j = 0
    while j + 4 <= n:
        t0 = np.float64(a[j]) - np.float64(b[j])
        t1 = np.float64(a[j + 1]) - np.float64(b[j + 1])
        t2 = np.float64(a[j + 2]) - np.float64(b[j + 2])
        t3 = np.float64(a[j + 3]) - np.float64(b[j + 3])
        s0 += t0 * t0
        s1 += t1 * t1
        s2 += t2 * t2
        s3 += t3 * t3
        j += 4
    while j < n:
        t0 = np.float64(a[j]) - np.float64(b[j])
        s0 += t0 * t0
        j += 1
    return (s0 + s1) + (s2 + s3)


# ---------------------------------------------------------------------------
# error bars and centres


def dot_error_coef(n_features: int, dtype) -> float:
    """``c`` such that ``|fl(x.y) - x.y| <= c * ||x|| * ||y||`` for any summation order.

    The classical bound ``gamma_d = d u / (1 - d u)`` (``u``: unit roundoff of the
    compute dtype), with two extra terms of slack for the final rounding.
    """
    u = float(np.finfo(dtype).eps) / 2
    du = (n_features + 2) * u
    return du / (1.0 - du)


def prepare_centers(shifted: np.ndarray, dtype: np.dtype):
    """The centres as the compiled kernels read them.

    Parameters
    ----------
    shifted : ndarray of shape (k, n_features)
        Centres in shifted coordinates.
    dtype : {float32, float64}
        Compute dtype.

    Returns
    -------
    shifted : ndarray of shape (k, n_features), dtype ``dtype``, C-contiguous
    shifted_t : ndarray of shape (n_features, k), dtype ``dtype``, C-contiguous
        The transpose (right operand of the gemm).
    sqnorm : ndarray of shape (k,), dtype ``dtype``
        Squared norms, summed in float64.
    """
    shifted = np.ascontiguousarray(shifted, dtype=dtype)
    shifted_t = np.ascontiguousarray(shifted.T)
    sqnorm = np.einsum("ij,ij->i", shifted, shifted, dtype=np.float64).astype(dtype)
    return shifted, shifted_t, sqnorm


def center_norms(shifted: np.ndarray):
    """Squared norms and norms of the centres, in float64 (as accurate as float64 allows).

    Parameters
    ----------
    shifted : ndarray of shape (k, n_features)

    Returns
    -------
    csq, cnorm : ndarray of shape (k,), dtype float64
    """
    c64 = shifted.astype(np.float64)
    csq = np.einsum("ij,ij->i", c64, c64)
    return csq, np.sqrt(csq)


# ---------------------------------------------------------------------------
# what every step kernel holds and returns


class StepSums:
    """What one E-step hands to the M-step.

    Attributes
    ----------
    n_changed : int
        Points whose label changed in this E-step (labels that were -1 count).
    inertia : float
        ``sum(w * sqdist)``: the inertia of this assignment (NaN if not computed).
    sqdist : ndarray of shape (n_samples,), dtype float64
        Squared distance of each point to the centre it was assigned (a buffer the
        kernel reuses: copy it to keep it).
    sums : ndarray of shape (n_clusters, n_features), dtype float64
        Weighted sums of the shifted points of each cluster.
    weight_sums : ndarray of shape (n_clusters,), dtype float64
        Total weight of each cluster.
    """

    __slots__ = ("n_changed", "inertia", "sqdist", "sums", "weight_sums")

    def __init__(self, n_changed, inertia, sqdist, sums, weight_sums):
        self.n_changed = n_changed
        self.inertia = inertia
        self.sqdist = sqdist
        self.sums = sums
        self.weight_sums = weight_sums


def hold_data(kernel, X, sample_weight, shift, dtype) -> None:
    """Set what every step kernel holds: the data (never copied; a
    :class:`~pixelmeans.cluster._rows.RowSource`), the weights, the
    shift, the chunking, the dot-product error bar and the per-point squared
    distances. Shared by :class:`~pixelmeans.cluster.kernels.LloydKernel` and
    :class:`~pixelmeans.cluster.bounds.BoundedKernel`; the arguments are theirs."""
    kernel.X = as_rows(X)
    kernel.sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
    kernel.dtype = np.dtype(dtype)
    kernel.shift = np.ascontiguousarray(shift, dtype=kernel.dtype)
    kernel.chunk = chunk_rows(X.shape[1], kernel.dtype.itemsize)
    kernel.err_coef = dot_error_coef(X.shape[1], kernel.dtype)
    kernel.sqdist = np.zeros(X.shape[0])

"""How the kernels reach the rows of the data: in memory or chunk by chunk from disk.

The step kernels split the rows into *blocks* that depend on the data's shape only
(:func:`pixelmeans.cluster._common.block_bounds`) and process each block in order,
256 rows at a time. They take the rows of a block from a :class:`RowSource`:

* :class:`ArrayRows`: a NumPy array (a ``numpy.memmap`` included). Every block is a
  view; nothing is read or copied.
* :class:`ChunkedRows`: any array-like with ``shape``, ``dtype`` and row slicing
  (a zarr array, an HDF5 dataset, pixelmeans' image stores). It is read in
  *rounds*: in each round every block gets its next *piece*, cut at the source's
  chunk boundaries, so one round holds at most one source chunk per block, the
  blocks still run in parallel, and the next round is read while this one is
  computed. The data is never held whole and never converted: uint8 stays uint8.

A block processed piece by piece does the same arithmetic in the same order as the
block processed whole (pieces start on the 256-row grid and the kernels carry their
partial sums across pieces), so a fit streamed from disk gives the same bits as the
same fit in memory.

This module imports nothing from :mod:`pixelmeans.cluster`: kernels, initialisation
and the estimator all import it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

__all__ = ["ArrayRows", "ChunkedRows", "Round", "RowSource", "as_rows", "for_each_round", "is_chunked"]

#: Rows read at a time from a chunked source without chunks of its own (an h5py
#: dataset stored contiguously, say): 32,768 MNIST images are 25 MB.
DEFAULT_READ_ROWS = 32_768


@dataclass
class Round:
    """The pieces of rows the kernels process together.

    Attributes
    ----------
    blocks : ndarray of shape (m,), dtype int64
        The block each piece belongs to (each block at most once).
    r0, r1 : ndarray of shape (m,), dtype int64
        Rows ``r0[p]:r1[p]`` of the data are in piece ``p``.
    pieces : list of ndarray of shape (r1 - r0, n_features)
        The rows themselves, C-contiguous, in the source's dtype: row ``i`` of the
        data is ``pieces[p][i - r0[p]]``.
    typed : numba.typed.List or None
        ``pieces`` as the compiled kernels take them (built on first use).
    """

    blocks: np.ndarray
    r0: np.ndarray
    r1: np.ndarray
    pieces: list
    typed: object = None

    def typed_pieces(self):
        """``pieces`` as a ``numba.typed.List`` (built once: it costs about 0.1 ms a piece)."""
        if self.typed is None:
            from numba.typed import List

            typed = List()
            for piece in self.pieces:
                typed.append(piece)
            self.typed = typed
        return self.typed


def _flat(block: np.ndarray, n_rows: int) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(block).reshape(n_rows, -1))


class RowSource:
    """Rows of a data set, however they are stored.

    Attributes
    ----------
    shape : (n_samples, n_features)
        Rows and features (trailing axes of the source flattened: an image stack
        ``(n, h, w)`` is ``n`` rows of ``h * w`` features).
    dtype : numpy.dtype
    in_memory : bool
        Whether the rows are a NumPy array (views cost nothing) or are read.
    """

    shape: tuple[int, int]
    dtype: np.dtype
    in_memory: bool

    def read(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` as a C-contiguous ``(hi - lo, n_features)`` array."""
        raise NotImplementedError

    def take(self, indices) -> np.ndarray:
        """Rows ``indices`` (any order, repeats allowed), ``(len(indices), n_features)``."""
        raise NotImplementedError

    def rounds(self, bounds: np.ndarray):
        """The rounds of pieces covering blocks ``bounds[b]:bounds[b + 1]``, in order."""
        raise NotImplementedError

    def sample(self, n_rows: int) -> np.ndarray:
        """About ``n_rows`` rows spread evenly over the data (a fixed choice)."""
        n = self.shape[0]
        if n == 0:
            return np.empty((0, self.shape[1]), dtype=self.dtype)
        return self.take(np.arange(0, n, max(1, n // max(1, n_rows)), dtype=np.int64))


class ArrayRows(RowSource):
    """A C-contiguous 2-D NumPy array: every piece is a view."""

    in_memory = True

    def __init__(self, X: np.ndarray):
        self.X = X
        self.shape = X.shape
        self.dtype = X.dtype
        self._round = None
        self._round_bounds = None

    def read(self, lo, hi):
        return self.X[lo:hi]

    def take(self, indices):
        return self.X[np.asarray(indices, dtype=np.int64)]

    def rounds(self, bounds):
        if self._round_bounds is None or not np.array_equal(bounds, self._round_bounds):
            nb = bounds.shape[0] - 1
            self._round = Round(np.arange(nb, dtype=np.int64), bounds[:-1].copy(),
                                bounds[1:].copy(),
                                [self.X[bounds[b]:bounds[b + 1]] for b in range(nb)])
            self._round_bounds = bounds.copy()
        return iter([self._round])


class ChunkedRows(RowSource):
    """An array-like read a chunk at a time (zarr, HDF5, image stores).

    Parameters
    ----------
    source : array-like
        ``shape`` (at least 2-D), ``dtype`` and ``source[lo:hi]`` giving rows.
    read_rows : int, optional
        Rows per read; default: the source's chunk length along the rows
        (``source.chunks[0]``) or :data:`DEFAULT_READ_ROWS`. Rounded up to a
        multiple of ``grid``.
    grid : int
        Pieces start on multiples of this many rows (the kernels' chunk of rows).
    prefetch : bool
        Read the next round in a background thread while this one is computed.
    """

    in_memory = False

    def __init__(self, source, read_rows: int | None = None, grid: int = 256, prefetch: bool = True):
        self.source = source
        shape = tuple(int(s) for s in source.shape)
        self.shape = (shape[0], int(np.prod(shape[1:], dtype=np.int64)))
        self.dtype = np.dtype(source.dtype)
        if read_rows is None:
            chunks = getattr(source, "chunks", None)
            read_rows = int(chunks[0]) if chunks else DEFAULT_READ_ROWS
        self.read_rows = max(grid, -(-int(read_rows) // grid) * grid)
        self.prefetch = prefetch

    def read(self, lo, hi):
        return _flat(self.source[lo:hi], hi - lo)

    def take(self, indices):
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        out = np.empty((idx.size, self.shape[1]), dtype=self.dtype)
        if idx.size == 0:
            return out
        # One read per source chunk that holds a wanted row, not one per row.
        order = np.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        chunk_of = sorted_idx // self.read_rows
        starts = np.flatnonzero(np.r_[True, chunk_of[1:] != chunk_of[:-1]])
        ends = np.r_[starts[1:], sorted_idx.size]
        for a, b in zip(starts, ends):
            lo, hi = int(sorted_idx[a]), int(sorted_idx[b - 1]) + 1
            rows = self.read(lo, hi)
            out[order[a:b]] = rows[sorted_idx[a:b] - lo]
        return out

    def _plan(self, bounds):
        """Per round: the (block, lo, hi) of each piece."""
        step = self.read_rows
        per_block = []
        for b in range(bounds.shape[0] - 1):
            lo, hi = int(bounds[b]), int(bounds[b + 1])
            cuts = []
            while lo < hi:
                end = min(hi, (lo // step + 1) * step)
                cuts.append((b, lo, end))
                lo = end
            per_block.append(cuts)
        n_rounds = max((len(c) for c in per_block), default=0)
        return [[c[j] for c in per_block if j < len(c)] for j in range(n_rounds)]

    def _read_round(self, plan):
        blocks = np.array([b for b, _, _ in plan], dtype=np.int64)
        r0 = np.array([lo for _, lo, _ in plan], dtype=np.int64)
        r1 = np.array([hi for _, _, hi in plan], dtype=np.int64)
        return Round(blocks, r0, r1, [self.read(lo, hi) for _, lo, hi in plan])

    def rounds(self, bounds):
        plans = self._plan(bounds)
        if not self.prefetch or len(plans) < 2:
            for plan in plans:
                yield self._read_round(plan)
            return
        # The compiled kernels release the GIL: reading round j + 1 overlaps computing j.
        result = {}

        def fetch(j):
            try:
                result[j] = self._read_round(plans[j])
            except BaseException as exc:  # re-raised in the caller's thread
                result[j] = exc

        thread = threading.Thread(target=fetch, args=(0,), daemon=True)
        thread.start()
        for j in range(len(plans)):
            thread.join()
            current = result.pop(j)
            if isinstance(current, BaseException):
                raise current
            if j + 1 < len(plans):
                thread = threading.Thread(target=fetch, args=(j + 1,), daemon=True)
                thread.start()
            yield current
            del current


def is_chunked(X) -> bool:
    """Whether ``X`` is an array-like read in chunks (not a NumPy array, list or sparse
    matrix): it has ``shape``, ``dtype``, row slicing and a ``chunks`` attribute, as
    zarr arrays, HDF5 datasets and pixelmeans' image stores do. Dask arrays are not:
    they have their own path."""
    if isinstance(X, (np.ndarray, RowSource)) or type(X).__module__.startswith(("dask", "scipy")):
        return isinstance(X, ChunkedRows)
    return all(hasattr(X, a) for a in ("shape", "dtype", "chunks", "__getitem__"))


def as_rows(X) -> RowSource:
    """``X`` as a :class:`RowSource` (a RowSource is returned as it is)."""
    if isinstance(X, RowSource):
        return X
    if isinstance(X, np.ndarray):
        return ArrayRows(X)
    return ChunkedRows(X)


def for_each_round(rows: RowSource, bounds: np.ndarray, parallel: bool, run_parallel, run_block):
    """Run a kernel over blocks ``bounds[b]:bounds[b + 1]`` of ``rows``, round by round.

    Parameters
    ----------
    rows : RowSource
    bounds : ndarray of shape (n_blocks + 1,), dtype int64
    parallel : bool
        Whether a round runs in one compiled parallel call or block by block here.
    run_parallel : callable(pieces: numba.typed.List, blocks, r0, r1)
    run_block : callable(piece: ndarray, block: int, r0: int, r1: int)
        Both must process a piece whole; pieces of one block come in row order.
    """
    for rnd in rows.rounds(bounds):
        if parallel:
            run_parallel(rnd.typed_pieces(), rnd.blocks, rnd.r0, rnd.r1)
        else:
            for p in range(rnd.blocks.shape[0]):
                run_block(rnd.pieces[p], int(rnd.blocks[p]), int(rnd.r0[p]), int(rnd.r1[p]))

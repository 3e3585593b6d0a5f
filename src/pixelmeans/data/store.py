"""Chunked on-disk stores of uint8 images (zarr), written once and verified by content.

A store is a zarr group folder with two arrays, ``images`` (uint8, n x h x w, chunked
along the images, uncompressed) and ``labels`` (uint8, n), and attributes saying how it
was made. It is built under a temporary name and renamed into place
(:func:`pixelmeans.fileio.atomic_directory`), so its ``manifest.json`` holds the SHA-256
of every chunk file: verifying a store is checking that manifest.

Chunks are stored uncompressed: MNIST digits compress about fourfold, but a fit reads
every chunk at every step, and decompressing 6 GB costs more per step than reading it
from the page cache.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path
from typing import Callable

import numpy as np

from pixelmeans.errors import InputError
from pixelmeans.fileio import atomic_directory, describe_entries, foreign_entries

#: Images per chunk: 65,536 MNIST images are 51 MB, a step's worth of work per read.
CHUNK = 65_536
STORE_FORMAT = "pixelmeans-image-store"


def _zarr():
    try:
        import zarr
    except ImportError as exc:  # pragma: no cover - zarr is a dependency
        from pixelmeans.errors import MissingDependencyError

        raise MissingDependencyError("image stores need zarr: pip install zarr") from exc
    return zarr


def write_store(path: str | os.PathLike, n: int, shape: tuple[int, int],
                make_chunk: Callable[[int, int], tuple[np.ndarray, np.ndarray]], *,
                attrs: dict, chunk: int = CHUNK, progress: Callable[[int], None] | None = None) -> Path:
    """Write a store of ``n`` images chunk by chunk, complete or not at all.

    Parameters
    ----------
    path : path-like
        The store's folder; must not exist.
    n : int
        Number of images.
    shape : (h, w)
    make_chunk : callable(start, stop) -> (images uint8 (stop-start, h, w), labels uint8 (stop-start,))
        Called once per chunk, in order.
    attrs : dict
        JSON-able description of the content (how it was made), kept in the store.
    chunk : int
        Images per chunk.
    progress : callable(images_done) or None

    Returns
    -------
    Path of the store.
    """
    zarr = _zarr()
    with atomic_directory(path) as tmp:
        group = zarr.open_group(str(tmp), mode="w", zarr_format=3)
        images = group.create_array("images", shape=(n, *shape), chunks=(chunk, *shape),
                                    dtype="uint8", compressors=None, fill_value=0)
        labels = group.create_array("labels", shape=(n,), chunks=(chunk,), dtype="uint8",
                                    compressors=None, fill_value=0)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            block, block_labels = make_chunk(start, stop)
            images[start:stop] = block
            labels[start:stop] = block_labels
            if progress is not None:
                progress(stop)
        group.attrs.update({"format": STORE_FORMAT, **attrs})
    return Path(path)


def verify_store(path: str | os.PathLike) -> None:
    """Check every file of a store against its manifest; InputError names what differs."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: no image store here")
    changed = foreign_entries(path)
    if changed:
        raise InputError(f"{path}: {describe_entries(changed)} differ from the store's manifest "
                         "(damaged or changed); delete the store and generate it again")


def open_store(path: str | os.PathLike):
    """Open a store for reading: ``(images, labels, attrs)``.

    ``images`` and ``labels`` are zarr arrays (read a slice to get NumPy uint8);
    nothing is loaded until sliced.
    """
    zarr = _zarr()
    path = Path(path)
    try:
        group = zarr.open_group(str(path), mode="r")
        attrs = dict(group.attrs)
        images, labels = group["images"], group["labels"]
    except Exception as exc:  # zarr raises many kinds for a damaged store
        raise InputError(f"{path}: not a pixelmeans image store ({type(exc).__name__})") from None
    if attrs.get("format") != STORE_FORMAT or images.dtype != np.uint8 or images.ndim != 3 \
            or labels.shape != images.shape[:1]:
        raise InputError(f"{path}: not a pixelmeans image store (format {attrs.get('format')!r})")
    return images, labels, attrs


class Head:
    """The first ``n`` rows of a store's array, read chunk by chunk (zarr arrays have no
    lazy views). Has what :class:`pixelmeans.KMeans` reads from such an array: ``shape``,
    ``dtype``, ``chunks`` and row slicing.

    Parameters
    ----------
    array : zarr array
        An array of a store written by :func:`write_store`.
    n : int
        Rows to show, at most ``array.shape[0]``.
    folder : path-like, optional
        The array's folder in the store. A slice of rows is then read straight from
        its chunk files (uncompressed, C order, one file per chunk of rows), about
        twice as cheap as through zarr, which matters when a fit reads 6 GB a step; a
        chunk file that is not there is read through zarr.
    mapped : bool, default=True
        With ``folder``: a slice within one chunk is the chunk file mapped into memory
        (a private mapping: writing to the array never reaches the file), not a copy
        of it. The pages come straight from the operating system's file cache, about
        seven times cheaper than copying them (``benchmarks/bench_store_read.py``);
        they are unmapped when the array goes. The store's files must not change
        meanwhile, which a written store never does.
    """

    def __init__(self, array, n: int, folder: str | os.PathLike | None = None,
                 mapped: bool = True):
        if not 0 <= n <= array.shape[0]:
            raise InputError(f"asked for the first {n} rows of an array of {array.shape[0]}")
        self.array = array
        self.shape = (int(n), *array.shape[1:])
        self.dtype = array.dtype
        self.chunks = array.chunks
        self.folder = None if folder is None else Path(folder)
        self.mapped = bool(mapped)
        self._row_bytes = int(np.prod(array.shape[1:], dtype=np.int64)) * np.dtype(array.dtype).itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        rows = key[0] if isinstance(key, tuple) else key
        if isinstance(rows, slice):
            rows = slice(*rows.indices(self.shape[0]))
            if self.folder is not None and rows.step == 1 and not isinstance(key, tuple):
                return self._read_files(rows.start, max(rows.start, rows.stop))
        else:
            rows = np.asarray(rows)
            if rows.size and (rows.min() < -self.shape[0] or rows.max() >= self.shape[0]):
                raise IndexError(f"row index out of range for {self.shape[0]} rows")
            rows = np.where(rows < 0, rows + self.shape[0], rows)
        return self.array[(rows, *key[1:]) if isinstance(key, tuple) else rows]

    def _chunk_file(self, c: int) -> Path:
        key_tail = ("0",) * (len(self.shape) - 1)  # zarr's key of a chunk along the rows only
        return self.folder.joinpath("c", str(c), *key_tail)

    def _map(self, lo: int, hi: int):
        """Rows ``lo:hi`` of one chunk as a private mapping of its file, or None (no
        file, or a short one: the caller reads through zarr)."""
        step = int(self.chunks[0])
        c = lo // step
        begin = (lo - c * step) * self._row_bytes
        end = (hi - c * step) * self._row_bytes
        base = begin - begin % mmap.ALLOCATIONGRANULARITY  # mappings start on pages
        try:
            with open(self._chunk_file(c), "rb") as f:
                if os.fstat(f.fileno()).st_size < end:
                    return None
                pages = mmap.mmap(f.fileno(), end - base, access=mmap.ACCESS_COPY, offset=base)
        except (FileNotFoundError, ValueError):
            return None
        rows = np.frombuffer(pages, dtype=self.dtype, count=(end - begin) // self.dtype.itemsize,
                             offset=begin - base)
        return rows.reshape(hi - lo, *self.shape[1:])

    def _read_files(self, lo: int, hi: int) -> np.ndarray:
        step = int(self.chunks[0])
        if self.mapped and lo < hi and lo // step == (hi - 1) // step:
            rows = self._map(lo, hi)
            if rows is not None:
                return rows
        out = np.empty((hi - lo, *self.shape[1:]), dtype=self.dtype)
        flat = out.reshape(-1).view(np.uint8)
        start = lo
        while start < hi:
            c = start // step
            stop = min(hi, (c + 1) * step)
            target = flat[(start - lo) * self._row_bytes:(stop - lo) * self._row_bytes]
            try:
                with open(self._chunk_file(c), "rb", buffering=0) as f:
                    f.seek((start - c * step) * self._row_bytes)
                    got = f.readinto(memoryview(target))
            except FileNotFoundError:
                got = -1
            if got != target.size:  # no file (a chunk of fill values) or a short one
                out[start - lo:stop - lo] = self.array[start:stop]
            start = stop
        return out


class FlatRows:
    """A chunked stack of images ``(n, h, w)`` seen as rows ``(n, h * w)``, still read
    chunk by chunk: what :class:`pixelmeans.KMeans` and ``dask.array.from_array`` take
    (``shape``, ``ndim``, ``dtype``, ``chunks`` and row slicing), and ``take`` for
    scattered rows. Nothing is read until sliced.

    Parameters
    ----------
    images : array-like of shape (n, h, w)
        A zarr array, a :class:`Head` of one, or anything sliced along its rows.
    """

    def __init__(self, images):
        self.images = images
        n, *rest = (int(s) for s in images.shape)
        self.shape = (n, int(np.prod(rest, dtype=np.int64)))
        self.ndim = 2
        self.dtype = np.dtype(images.dtype)
        self.chunks = (int(images.chunks[0]), self.shape[1])

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        rows, *cols = key if isinstance(key, tuple) else (key,)
        if isinstance(rows, slice) and rows.step in (None, 1):
            lo, hi, _ = rows.indices(self.shape[0])
            out = np.asarray(self.images[lo:hi]).reshape(-1, self.shape[1])
        else:
            out = self.take(np.arange(self.shape[0])[rows] if isinstance(rows, slice) else rows)
        return out[:, cols[0]] if cols else out

    def take(self, indices) -> np.ndarray:
        """Rows ``indices`` (any order, repeats allowed), ``(len(indices), h * w)``: one
        read per chunk that holds a wanted row."""
        from pixelmeans.cluster._rows import ChunkedRows

        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size and (indices.min() < -self.shape[0] or indices.max() >= self.shape[0]):
            raise IndexError(f"row index out of range for {self.shape[0]} rows")
        indices = np.where(indices < 0, indices + self.shape[0], indices)
        return ChunkedRows(self.images, prefetch=False).take(indices)

"""InfiMNIST: as many deformed MNIST training digits as asked for, each one computed alone.

Image ``i`` is copy ``c = i // 60000`` of training image ``s = i % 60000``. Copy 0 is
the original; every other copy is the original moved by a random affine map (a turn,
a stretch along each axis, a shear and a shift), bent by a smooth random displacement
field, and made thicker or thinner. In the manner of Loosli, Canu and Bottou's
InfiMNIST (the source of MNIST8M: 8.1 million images, 135 copies of each digit), but
generated here with pixelmeans' own deformations.

Every random number an image needs is a hash of ``(seed, source, copy, draw)``, so an
image is a pure function of those and nothing else: any slice of the data set can be
generated alone, in any order, on any machine or worker, and gives the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numba
import numpy as np

from pixelmeans.errors import InputError

#: Training images in MNIST; image ``i`` derives from training image ``i % N_SOURCE``.
N_SOURCE = 60_000
#: Images in MNIST8M, the data set of this kind used in the literature (135 copies).
MNIST8M_SIZE = 8_100_000
#: Low spatial frequencies (per axis) of the smooth displacement field.
_FIELD_FREQUENCIES = 3


@dataclass(frozen=True)
class Deformation:
    """How far a copy may move from its original (every draw is uniform in its range).

    Attributes
    ----------
    rotation : float
        Largest turn, degrees.
    scale : float
        Largest relative stretch along each axis (0.1: 0.9 to 1.1 times).
    shear : float
        Largest shear factor.
    shift : float
        Largest shift along each axis, pixels.
    elastic : float
        Amplitude of the smooth displacement field, pixels (its lowest frequency has
        this amplitude; higher ones less).
    thickness : float
        Largest change of stroke width, as the weight of a 3 x 3 grey dilation
        (positive) or erosion (negative) blended into the image.
    """

    # Version 2's ranges. Pixel-space k-means is sensitive to where the ink is: version
    # 1 (10 degrees, 0.1, 0.15, 1.5 px, 1.2 px, 0.6) moved the copies so far that a
    # k = 256 fit on the originals named them with 0.65 accuracy against 0.91 for the
    # originals; these keep them about as recognisable as MNIST's own test digits
    # (docs/benchmarks.md, InfiMNIST).
    rotation: float = 6.0
    scale: float = 0.06
    shear: float = 0.1
    shift: float = 0.3
    elastic: float = 0.4
    thickness: float = 0.2

    def as_array(self) -> np.ndarray:
        return np.array([self.rotation, self.scale, self.shear, self.shift, self.elastic,
                         self.thickness], dtype=np.float64)

    def as_dict(self) -> dict:
        return asdict(self)


def split_index(indices, n_source: int = N_SOURCE) -> tuple[np.ndarray, np.ndarray]:
    """``(source, copy)`` of each image index: ``(i % n_source, i // n_source)``, int64."""
    indices = np.asarray(indices, dtype=np.int64)
    return indices % n_source, indices // n_source


def infimnist_labels(indices, train_labels: np.ndarray) -> np.ndarray:
    """Labels of images ``indices``: those of their source images, uint8 ``(m,)``."""
    source, _ = split_index(indices, len(train_labels))
    return np.asarray(train_labels, dtype=np.uint8)[source]


def generate(indices, train_images: np.ndarray, *, seed: int = 0,
             deformation: Deformation = Deformation()) -> np.ndarray:
    """The InfiMNIST images with the given indices.

    Parameters
    ----------
    indices : array-like of int, shape (m,)
        Image indices, any order, repeats allowed, each at least 0.
    train_images : ndarray of uint8, shape (n_source, h, w)
        The images to deform: MNIST's 60,000 training images in their official order
        for InfiMNIST proper; image ``i`` derives from ``train_images[i % n_source]``.
    seed : int
        0 to 2**32 - 1; another seed gives another data set.
    deformation : Deformation

    Returns
    -------
    ndarray of uint8, shape (m, 28, 28)
        Image ``indices[j]`` in row ``j``; the same bytes whatever else is generated
        with it, and whatever the number of threads.
    """
    indices = np.ascontiguousarray(indices, dtype=np.int64).reshape(-1)
    if indices.size and indices.min() < 0:
        raise InputError("infimnist: image indices must be at least 0")
    if not 0 <= int(seed) < 2**32:
        raise InputError(f"infimnist: seed {seed}: expected 0 to {2**32 - 1}")
    if train_images.dtype != np.uint8 or train_images.ndim != 3 or train_images.shape[0] < 1:
        raise InputError(f"infimnist: expected source images as uint8 (n, h, w), "
                         f"got {train_images.dtype} {train_images.shape}")
    source, copy = split_index(indices, train_images.shape[0])
    out = np.empty((indices.size, *train_images.shape[1:]), dtype=np.uint8)
    _deform_all(np.ascontiguousarray(train_images), source, copy, np.uint64(seed),
                deformation.as_array(), out)
    return out


@numba.njit(cache=True, inline="always")
def _mix(x):
    # splitmix64's finaliser: a bijection of 64-bit words that scrambles every bit.
    x = (x ^ (x >> numba.uint64(30))) * numba.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> numba.uint64(27))) * numba.uint64(0x94D049BB133111EB)
    return x ^ (x >> numba.uint64(31))


@numba.njit(cache=True, inline="always")
def _uniform(key, draw):
    """A number in [-1, 1) from the image's key and the draw's number."""
    bits = _mix(key ^ _mix(numba.uint64(draw) + numba.uint64(0x9E3779B97F4A7C15)))
    return (bits >> numba.uint64(11)) * (2.0 / 9007199254740992.0) - 1.0


@numba.njit(cache=True)
def _image_key(seed, source, copy):
    return _mix(_mix(seed * numba.uint64(0x100000001B3) + numba.uint64(source))
                ^ (numba.uint64(copy) * numba.uint64(0xD6E8FEB86659FD93)))


@numba.njit(cache=True, parallel=True)
def _deform_all(images, source, copy, seed, params, out):
    h, w = images.shape[1:]
    cosy = _cosine_basis_jit(h)
    cosx = _cosine_basis_jit(w)
    for j in numba.prange(source.shape[0]):
        if copy[j] == 0:
            out[j] = images[source[j]]
        else:
            _deform_one(images[source[j]], _image_key(seed, source[j], copy[j]), params, cosy, cosx,
                        out[j])


@numba.njit(cache=True)
def _cosine_basis_jit(size):
    nf = _FIELD_FREQUENCIES
    basis = np.empty((nf, size))
    for u in range(nf):
        for x in range(size):
            basis[u, x] = np.cos(np.pi * u * (x + 0.5) / size)
    return basis


@numba.njit(cache=True)
def _deform_one(img, key, params, cosy, cosx, out):
    h, w = img.shape
    rotation, scale, shear, shift, elastic, thickness = params
    angle = np.pi / 180.0 * rotation * _uniform(key, 0)
    sx = 1.0 + scale * _uniform(key, 1)
    sy = 1.0 + scale * _uniform(key, 2)
    sh = shear * _uniform(key, 3)
    tx = shift * _uniform(key, 4)
    ty = shift * _uniform(key, 5)
    ca, sa = np.cos(angle), np.sin(angle)
    # Output pixel p maps to source point A^-1 (p - c - t) + c + field(p), where A =
    # rotation @ shear @ diag(sx, sy); A^-1 written out for the 2 x 2 case.
    a00, a01 = ca * sx, ca * sh * sy - sa * sy
    a10, a11 = sa * sx, sa * sh * sy + ca * sy
    det = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det
    nf = _FIELD_FREQUENCIES
    # field(y, x) = sum over u, v of c[u, v] cos_u(y) cos_v(x); the sum over v is done
    # once per column (rows[u, x]), leaving nf terms per pixel.
    rows_x = np.zeros((nf, w))
    rows_y = np.zeros((nf, w))
    for u in range(nf):
        for v in range(nf):
            damp = elastic / (1.0 + u + v)
            cx = damp * _uniform(key, 6 + 2 * (u * nf + v))
            cy = damp * _uniform(key, 7 + 2 * (u * nf + v))
            for x in range(w):
                rows_x[u, x] += cx * cosx[v, x]
                rows_y[u, x] += cy * cosx[v, x]
    moved = np.empty((h, w))
    my, mx = (h - 1) / 2.0, (w - 1) / 2.0
    for y in range(h):
        py = y - my - ty
        for x in range(w):
            dx, dy = 0.0, 0.0
            for u in range(nf):
                dx += cosy[u, y] * rows_x[u, x]
                dy += cosy[u, y] * rows_y[u, x]
            px = x - mx - tx
            moved[y, x] = _bilinear(img, i10 * px + i11 * py + my + dy, i00 * px + i01 * py + mx + dx)
    t = thickness * _uniform(key, 6 + 2 * nf * nf)
    # A 3 x 3 grey dilation (t > 0) or erosion (t < 0), separable: rows, then columns.
    line = np.empty((h, w))
    for y in range(h):
        for x in range(w):
            best = moved[y, x]
            for xx in range(max(0, x - 1), min(w, x + 2)):
                best = max(best, moved[y, xx]) if t > 0 else min(best, moved[y, xx])
            line[y, x] = best
    for y in range(h):
        for x in range(w):
            best = line[y, x]
            for yy in range(max(0, y - 1), min(h, y + 2)):
                best = max(best, line[yy, x]) if t > 0 else min(best, line[yy, x])
            value = moved[y, x] + abs(t) * (best - moved[y, x])
            out[y, x] = np.uint8(min(255.0, max(0.0, value + 0.5)))


@numba.njit(cache=True, inline="always")
def _bilinear(img, y, x):
    h, w = img.shape
    y0 = int(np.floor(y))
    x0 = int(np.floor(x))
    fy, fx = y - y0, x - x0
    total = 0.0
    for dy in range(2):
        for dx in range(2):
            yy, xx = y0 + dy, x0 + dx
            if 0 <= yy < h and 0 <= xx < w:
                weight = (fy if dy else 1.0 - fy) * (fx if dx else 1.0 - fx)
                total += weight * img[yy, xx]
    return total


# ------------------------------------------------------------------ the cached store

#: Versions of the generator: a store made by another version is another data set, kept
#: in its own folder (``infimnist/v<version>/``).
GENERATOR_VERSION = 2
_NAME = re.compile(r"^infimnist(?::(\d+))?$")


def parse_name(name: str) -> int | None:
    """``"infimnist"`` -> None (every cached image), ``"infimnist:N"`` -> N; else ValueError."""
    m = _NAME.match(name.strip().lower().replace("_", "-"))
    if not m:
        raise ValueError(name)
    return None if m.group(1) is None else int(m.group(1))


def store_path(n: int, seed: int = 0, data_dir=None) -> Path:
    """Where ``pixelmeans fetch infimnist --n N --seed S`` keeps its store."""
    from pixelmeans.data.fetch import data_root

    return data_root(data_dir) / "infimnist" / f"v{GENERATOR_VERSION}" / f"seed{seed}-n{n}"


def _stores(seed: int, data_dir) -> list[tuple[int, Path]]:
    folder = store_path(0, seed, data_dir).parent
    found = []
    for entry in folder.iterdir() if folder.is_dir() else []:
        m = re.fullmatch(rf"seed{seed}-n(\d+)", entry.name)
        if m and entry.is_dir():
            found.append((int(m.group(1)), entry))
    return sorted(found)


def _find_store(n: int | None, data_dir) -> tuple[int, Path]:
    """``(size, path)`` of the smallest cached store holding the first ``n`` images (the
    largest for None)."""
    stores = [(size, p) for size, p in _stores(0, data_dir) if n is None or size >= n]
    if not stores:
        name = "infimnist" if n is None else f"infimnist:{n}"
        raise InputError(f"{name}: not generated yet; run `pixelmeans fetch infimnist --n "
                         f"{n or MNIST8M_SIZE}` first")
    return stores[-1] if n is None else stores[0]


def fetch_infimnist(train, n: int = MNIST8M_SIZE, seed: int = 0, data_dir=None, echo=print) -> Path:
    """Generate the first ``n`` InfiMNIST images into the data cache, or verify them there.

    Parameters
    ----------
    train : callable() -> Dataset
        Gives MNIST's training split (called only when the store must be generated).
    n : int
        Number of images (MNIST8M has 8,100,000).
    seed : int
    data_dir : path-like, optional
        See :func:`pixelmeans.data.fetch.data_root`.
    echo : callable(str)

    Returns
    -------
    Path of the store (a zarr group, see :mod:`pixelmeans.data.store`).
    """
    import time

    from pixelmeans.data.store import open_store, verify_store, write_store

    if not 1 <= int(n) <= 2**40:
        raise InputError(f"--n {n}: expected a number of images of at least 1")
    path = store_path(int(n), int(seed), data_dir)
    if path.exists():
        start = time.perf_counter()
        verify_store(path)
        made_by = open_store(path)[2].get("generator_version")
        if made_by != GENERATOR_VERSION:
            raise InputError(f"{path}: made by InfiMNIST generator version {made_by}, expected "
                             f"{GENERATOR_VERSION}")
        echo(f"infimnist: {n:,} images verified in {path} ({time.perf_counter() - start:.1f} s)")
        return path
    train = train()
    deformation = Deformation()
    attrs = {"generator": "infimnist", "generator_version": GENERATOR_VERSION, "seed": int(seed),
             "n": int(n), "deformation": deformation.as_dict(),
             "class_names": list(train.class_names),
             "source": "mnist train images, official order (index i derives from i % 60000)"}
    start = time.perf_counter()

    def make_chunk(lo, hi):
        indices = np.arange(lo, hi, dtype=np.int64)
        return (generate(indices, train.images, seed=seed, deformation=deformation),
                infimnist_labels(indices, train.labels))

    def progress(done):
        elapsed = time.perf_counter() - start
        echo(f"infimnist: {done:,} of {n:,} images ({elapsed:.0f} s)")

    path.parent.mkdir(parents=True, exist_ok=True)
    write_store(path, int(n), train.images.shape[1:], make_chunk, attrs=attrs, progress=progress)
    echo(f"infimnist: {n:,} images written to {path} in {time.perf_counter() - start:.1f} s")
    return path


def open_infimnist(n: int | None = None, data_dir=None):
    """The first ``n`` cached InfiMNIST images and labels, on disk, read only when sliced.

    For data sets larger than memory: :class:`pixelmeans.KMeans` fits the images as
    they are (uint8, chunk by chunk), ``predict`` labels them the same way.

    Parameters
    ----------
    n : int, optional
        Default: every image of the largest cached store.
    data_dir : path-like, optional

    Returns
    -------
    images : array-like of uint8, shape (n, 28, 28)
        The store's zarr array (its first ``n`` rows, read straight from its chunk
        files: :class:`pixelmeans.data.store.Head`), chunked along the images.
    labels : array-like of uint8, shape (n,)

    Examples
    --------
    >>> from pixelmeans import KMeans
    >>> from pixelmeans.data.infimnist import open_infimnist
    >>> images, labels = open_infimnist(1_000_000)          # doctest: +SKIP
    >>> km = KMeans(256, max_iter=20).fit(images)           # doctest: +SKIP
    """
    return _open(n, data_dir)[:2]


def _open(n: int | None, data_dir):
    """``(images, labels, attrs)`` of the first ``n`` images of the smallest cached store
    that has them (every image of the largest for None), unread."""
    from pixelmeans.data.store import Head, open_store

    size, path = _find_store(n, data_dir)
    images, labels, attrs = open_store(path)
    n = size if n is None else n
    return Head(images, n, path / "images"), Head(labels, n, path / "labels"), attrs


def _available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _check_fits_in_memory(name: str, n: int, n_pixels: int) -> None:
    """Refuse, before reading, a data set that could not be held in memory: its uint8
    images and their float32 features (what computing features in memory needs)."""
    need = n * n_pixels * (1 + 4)
    available = _available_memory()
    if available is not None and need > 0.8 * available:
        raise InputError(
            f"{name}: {n:,} images need {need / 1e9:.1f} GB in memory as images and float32 "
            f"features, and {available / 1e9:.1f} GB are available; take fewer "
            f"(infimnist:N), or cluster the pixels with `pixelmeans run --features pixels`, "
            f"which reads them from disk chunk by chunk")


def read_into_memory(dataset):
    """``dataset`` with its images in memory: a Dataset whose images are on disk (a
    store, see :attr:`~pixelmeans.data.dataset.Dataset.is_chunked`) is read, after
    checking that its images and their float32 features fit; any other is returned
    as it is.
    """
    from pixelmeans.data.dataset import Dataset

    if not dataset.is_chunked:
        return dataset
    n, h, w = (int(s) for s in dataset.images.shape)
    _check_fits_in_memory(dataset.name, n, h * w)
    return Dataset(np.asarray(dataset.images[:n]), dataset.labels, dataset.class_names,
                   dataset.name, dataset.split)


def load_infimnist(n: int | None, split: str = "train", data_dir=None, *, mnist_test=None,
                   in_memory: bool = True):
    """The first ``n`` images of the smallest cached store that has them, as a Dataset.

    The test split is MNIST's own 10,000 test images, undeformed (``mnist_test``: a
    callable giving them). With ``in_memory`` the training images are read into
    memory (uint8: ``n`` x 784 bytes; refused, before reading, when they and their
    float32 features would not fit); without it the training split keeps them in
    the store, read chunk by chunk when sliced, and only its labels are read
    (``split="all"`` is always read).
    """
    from pixelmeans.data.dataset import Dataset, concat

    name = "infimnist" if n is None else f"infimnist:{n}"
    parts = []
    for part in (("train", "test") if split == "all" else (split,)):
        if part == "test":
            test = mnist_test()
            parts.append(Dataset(test.images, test.labels, test.class_names, name, "test"))
            continue
        images, labels, attrs = _open(n, data_dir)
        train = Dataset(images, np.asarray(labels[:], dtype=np.int64),
                        tuple(attrs.get("class_names", [str(i) for i in range(10)])), name, "train")
        parts.append(read_into_memory(train) if in_memory or split == "all" else train)
    return concat(parts, name, split) if len(parts) > 1 else parts[0]


def infimnist_dask(n: int, train_images: np.ndarray, *, seed: int = 0,
                   chunk_rows: int = 100_000, deformation: Deformation = Deformation()):
    """The first ``n`` InfiMNIST images as a Dask array generated where it is computed.

    Each chunk is :func:`generate` of its own index range, run on the worker that
    computes it: nothing but the source images (one task, fetched once per worker)
    travels, and a lost chunk is simply generated again, to the same bytes.

    Parameters
    ----------
    n : int
        Images, at least 1.
    train_images : ndarray of uint8, shape (n_source, h, w)
        As :func:`generate` (MNIST's training images for InfiMNIST proper).
    seed : int
    chunk_rows : int
        Images per chunk (100,000 MNIST images are 78 MB).
    deformation : Deformation

    Returns
    -------
    dask.array.Array of uint8, shape (n, h * w)
        Flattened images, rows in index order, chunks of ``chunk_rows`` rows.
    """
    import dask
    import dask.array as da

    if int(n) < 1 or int(chunk_rows) < 1:
        raise InputError(f"infimnist: expected n >= 1 and chunk_rows >= 1, got {n} and {chunk_rows}")
    d = int(np.prod(train_images.shape[1:]))
    source = dask.delayed(np.ascontiguousarray(train_images), pure=True)
    index = da.arange(int(n), chunks=int(chunk_rows), dtype=np.int64)
    return index.map_blocks(_generate_rows, source, seed, deformation, new_axis=1,
                            chunks=(index.chunks[0], (d,)), dtype=np.uint8)


def _generate_rows(indices, train_images, seed, deformation):
    return generate(indices, train_images, seed=seed, deformation=deformation).reshape(len(indices), -1)

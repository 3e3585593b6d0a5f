"""Label-first CSV files and NPZ archives in the keras layout.

CSV: one image per row, ``LABEL,P1,P2,...`` where LABEL is a letter or a number and
the pixels are integers 0..255, row by row (``M,0,0,...,218,251,...``). The number of
pixels must be the same on every row and a square (784 = 28x28). A first row whose
pixel fields are not numbers (``label,1x1,1x2,...``) is taken as a header.

NPZ: ``x_train``, ``y_train``, ``x_test``, ``y_test`` as written by
``numpy.savez(x_train=..., ...)`` (keras' ``mnist.npz``), images uint8 (n, h, w) or
(n, h*w) with h == w; an optional ``class_names`` array of strings.

Limits (see `pixelmeans.data.files`): a CSV file is at most
`~pixelmeans.data.files.MAX_BYTES` of text, also once inflated from gzip (inflation
stops there). An NPZ member's shape and dtype are read from its header before the
array is: the size they claim must be exactly the member's size, which must be at most
`~pixelmeans.data.files.MAX_BYTES` and no more than its compressed bytes can inflate
to; members are stored or deflated, as ``numpy.savez`` writes them. Devices and FIFOs
are refused.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from pixelmeans.data import files
from pixelmeans.data.dataset import Dataset, check_image_stack, encode_labels
from pixelmeans.data.files import open_regular, read_bytes
from pixelmeans.errors import InputError
from pixelmeans.fileio import atomic_write, write_text

_LABEL = re.compile(r"[A-Za-z0-9]+")


# ------------------------------------------------------------------------- CSV


def read_csv(path: str | os.PathLike) -> Dataset:
    """Read a label-first CSV file (plain or gzip-compressed).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    Dataset
        ``images`` uint8 (n, s, s) where s*s is the number of pixels per row;
        ``labels`` int64 (n,). Numeric labels are numbered by
        `~pixelmeans.data.dataset.encode_labels` (0..255 keep their value, class names
        "0".."max"); other labels are numbered in sorted order of their text.
        ``split`` is "all".

    Raises
    ------
    InputError
        Empty file, ragged rows, a non-numeric pixel, a pixel outside 0..255, a missing
        or odd label, or a pixel count that is not a square.
    """
    path = Path(path)
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text CSV file (byte {exc.start})") from None
    rows = [(no, line) for no, line in enumerate(text.splitlines(), 1) if line.strip()]
    if rows and _is_header(rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise InputError(f"{path}: no image rows; expected lines like 'M,0,0,...,255'")

    raw_labels, pixel_text = [], []
    for _, line in rows:
        label, _, pixels = line.partition(",")
        raw_labels.append(label.strip())
        pixel_text.append(pixels)
    try:
        with warnings.catch_warnings():
            # e.g. "input contained no data": every such case is reported below, on one line.
            warnings.simplefilter("ignore")
            pixels = np.loadtxt(pixel_text, delimiter=",", dtype=np.int64, ndmin=2)
    except (ValueError, OverflowError):
        # loadtxt's message counts rows of its own input; find the exact line ourselves.
        _raise_first_bad_row(path, rows)
        raise  # unreachable: _raise_first_bad_row always raises
    if pixels.shape[1] == 0 or (pixels.shape[0] != len(rows)):
        _raise_first_bad_row(path, rows)
    if pixels.min() < 0 or pixels.max() > 255:
        bad = int(np.flatnonzero((pixels < 0).any(1) | (pixels > 255).any(1))[0])
        value = pixels[bad][(pixels[bad] < 0) | (pixels[bad] > 255)][0]
        raise InputError(f"{path}, line {rows[bad][0]}: pixel value {value} outside 0..255")
    side = _square_side(pixels.shape[1], f"{path}: rows have")
    labels, class_names = _encode_labels(raw_labels, rows, path)
    images = pixels.astype(np.uint8).reshape(-1, side, side)
    return Dataset(images, labels, class_names, _stem(path), "all")


def write_csv(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray,
              class_names: tuple[str, ...] | list[str]) -> Path:
    """Write images and labels as a label-first CSV file (atomically).

    Parameters
    ----------
    path : path-like
    images : ndarray of uint8, shape (n, h, w)
    labels : ndarray of int, shape (n,)
        Index into ``class_names``; the row's first field is ``class_names[label]``.
    class_names : sequence of str
        Letters or numbers, without commas.

    Returns
    -------
    Path
    """
    images = check_image_stack(images, str(path))
    names = [str(c) for c in class_names]
    for n in names:
        if not _LABEL.fullmatch(n):
            raise InputError(f"{path}: class name {n!r} cannot be a CSV label; expected letters or digits")
    flat = images.reshape(images.shape[0], -1)
    lines = [names[int(lab)] + "," + ",".join(map(str, row.tolist()))
             for lab, row in zip(np.asarray(labels), flat)]
    write_text(path, "\n".join(lines) + "\n")
    return Path(path)


def _is_header(line: str) -> bool:
    fields = [f.strip() for f in line.split(",")]
    if fields[0].lower() in ("label", "labels", "class", "y"):
        return True
    return len(fields) > 1 and not any(_is_int(f) for f in fields[1:])


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _raise_first_bad_row(path: Path, rows: list[tuple[int, str]]) -> None:
    width = None
    for no, line in rows:
        fields = line.split(",")[1:]
        if width is None:
            width = len(fields)
            first = no
        if len(fields) != width:
            raise InputError(f"{path}, line {no}: {len(fields)} pixel values, but line "
                             f"{first} has {width}; every row needs the same number")
        for i, f in enumerate(fields, 1):
            if not _is_int(f.strip()):
                raise InputError(f"{path}, line {no}: pixel {i} is {f.strip()[:20]!r}, "
                                 "expected an integer 0..255")
    raise InputError(f"{path}: could not read the pixel values as integers 0..255")


def _square_side(n_pixels: int, what: str) -> int:
    side = math.isqrt(n_pixels)
    if side * side != n_pixels or side == 0:
        raise InputError(f"{what} {n_pixels} pixel values; expected a square number "
                         "of pixels per image, such as 784 (28x28)")
    return side


def _encode_labels(raw: list[str], rows, path: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    for (no, _), lab in zip(rows, raw):
        if not _LABEL.fullmatch(lab):
            raise InputError(f"{path}, line {no}: label {lab[:20]!r}; expected a letter "
                             "or a number before the first comma")
    if all(lab.isdecimal() for lab in raw):
        values = [int(lab) for lab in raw]
        top = max(values)
        if top > np.iinfo(np.int64).max:
            no = rows[values.index(top)][0]
            raise InputError(f"{path}, line {no}: label {raw[values.index(top)][:30]} is too "
                             f"large; expected at most {np.iinfo(np.int64).max}")
        return encode_labels(np.array(values, dtype=np.int64))
    names = sorted(set(raw))
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[lab] for lab in raw], dtype=np.int64), tuple(names)


# ------------------------------------------------------------------------- NPZ


def read_npz(path: str | os.PathLike, split: str = "all") -> Dataset:
    """Read an NPZ archive in the keras layout.

    Parameters
    ----------
    path : path-like
    split : {"train", "test", "all"}
        "all" joins the train and test arrays present (train first).

    Returns
    -------
    Dataset
        ``images`` uint8 (n, h, w); ``labels`` int64 (n,) when every chosen split has
        its ``y_`` array, else None; class names from ``class_names`` or "0".."max".

    Raises
    ------
    InputError
        Not an NPZ archive, the split's arrays missing, wrong shapes or dtypes, pixel
        values outside 0..255, image and label counts that differ.
    """
    path = Path(path)
    with _open_npz(path) as npz:
        try:
            return _npz_dataset(npz, path, split)
        except _NPZ_ERRORS as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"{path}: corrupt NPZ member ({_one_line(exc)})") from None


def npz_splits(path: str | os.PathLike) -> tuple[str, ...]:
    """The splits an NPZ archive has images for: "train", "test", both or neither.

    Raises
    ------
    InputError
        Not a readable NPZ archive.
    """
    path = Path(path)
    with _open_npz(path) as npz:
        return tuple(s for s in ("train", "test") if f"x_{s}" in npz.files)


# zipfile and numpy's header reader raise these on damaged archives; RuntimeError:
# an encrypted member, NotImplementedError: an unknown compression.
_NPZ_ERRORS = (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, struct.error,
               RuntimeError, NotImplementedError, KeyError)


@contextlib.contextmanager
def _open_npz(path: Path):
    """The NPZ archive in the regular file ``path``, closed on leaving."""
    with open_regular(path) as fh:
        try:
            npz = np.load(fh, allow_pickle=False)
        except _NPZ_ERRORS as exc:
            raise InputError(f"{path}: not a readable NPZ archive ({_one_line(exc)})") from None
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise InputError(f"{path}: a single .npy array; expected an NPZ archive with "
                             "x_train, y_train, x_test, y_test")
        with npz:
            yield npz


def _member(npz, key: str, path: Path) -> np.ndarray:
    """``npz[key]``, once its header's claimed size is checked against the limits."""
    where = f"{path}: {key}"
    try:
        info = npz.zip.getinfo(key + ".npy")
    except KeyError:
        raise InputError(f"{where} is not a .npy array; expected arrays as numpy.savez "
                         "writes them") from None
    if info.compress_type == zipfile.ZIP_STORED:
        most = info.compress_size
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        most = info.compress_size * files.MAX_DEFLATE_RATIO
    else:
        raise InputError(f"{where} uses zip compression method {info.compress_type}; "
                         "expected stored or deflated members, as numpy.savez writes")
    if info.file_size > min(most, files.MAX_BYTES):
        raise InputError(f"{where} claims {info.file_size} bytes; expected at most "
                         f"{min(most, files.MAX_BYTES)} (its compressed size allows "
                         f"{most}, pixelmeans reads {files.MAX_BYTES})")
    files.npy_member_header(npz.zip, info, where)
    return np.asarray(npz[key])


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _npz_dataset(npz, path: Path, split: str) -> Dataset:
    keys = set(npz.files)
    present = [s for s in ("train", "test") if f"x_{s}" in keys]
    if not present:
        raise InputError(f"{path}: no x_train or x_test array; expected the keras layout "
                         f"(x_train, y_train, x_test, y_test), found {', '.join(sorted(keys)) or 'nothing'}")
    wanted = present if split == "all" else [split]
    for s in wanted:
        if f"x_{s}" not in keys:
            raise InputError(f"{path}: no x_{s} array for split {s!r}; found {', '.join(sorted(keys))}")
    images = [_npz_images(_member(npz, f"x_{s}", path), path, f"x_{s}") for s in wanted]
    has_labels = [f"y_{s}" in keys for s in wanted]
    labels = None
    if all(has_labels):
        # Every split's labels, so that train and test number their classes alike.
        every = {s: _npz_labels(npz, s, path) for s in present if f"y_{s}" in keys}
        for s, imgs in zip(wanted, images):
            if every[s].shape[0] != imgs.shape[0]:
                raise InputError(f"{path}: x_{s} has {imgs.shape[0]} images but y_{s} "
                                 f"has {every[s].shape[0]} labels")
        labels = np.concatenate([every[s] for s in wanted])
    elif any(has_labels):
        raise InputError(f"{path}: labels for some splits but not others; expected y_ "
                         "arrays beside every x_ array, or none")
    if len({im.shape[1:] for im in images}) > 1:
        raise InputError(f"{path}: x_train and x_test have different image sizes")
    class_names: tuple[str, ...] = ()
    if labels is not None:
        if "class_names" in keys:
            class_names = tuple(str(c) for c in _member(npz, "class_names", path).ravel())
            if labels.size and labels.max() >= len(class_names):
                raise InputError(f"{path}: label {labels.max()} but only "
                                 f"{len(class_names)} class_names")
        else:
            labels, class_names = encode_labels(labels, np.concatenate(list(every.values())))
    out_split = wanted[0] if len(wanted) == 1 else "all"
    return Dataset(np.concatenate(images), labels, class_names, _stem(path), out_split)


def _npz_labels(npz, split: str, path: Path) -> np.ndarray:
    y = _member(npz, f"y_{split}", path)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise InputError(f"{path}: y_{split} must be integer labels of shape (n,), "
                         f"got {y.dtype} {y.shape}")
    if y.size and y.min() < 0:
        raise InputError(f"{path}: y_{split} has negative label {y.min()}")
    if y.size and y.max() > np.iinfo(np.int64).max:
        raise InputError(f"{path}: y_{split} has label {y.max()}; expected at most "
                         f"{np.iinfo(np.int64).max}")
    return y.astype(np.int64)


def _npz_images(x, path: Path, key: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2:
        side = _square_side(x.shape[1], f"{path}: {key} rows have")
        x = x.reshape(x.shape[0], side, side)
    if x.ndim != 3:
        raise InputError(f"{path}: {key} has shape {x.shape}; expected (n, height, width)")
    if x.dtype == np.uint8:
        return x
    if not np.issubdtype(x.dtype, np.integer):
        raise InputError(f"{path}: {key} is {x.dtype}; expected integer pixels 0..255 "
                         "(scale 0..1 data by 255 and round first)")
    if x.size and (x.min() < 0 or x.max() > 255):
        raise InputError(f"{path}: {key} has pixel values {x.min()}..{x.max()}, outside 0..255")
    return x.astype(np.uint8)


def write_npz(path: str | os.PathLike, *, x_train: np.ndarray | None = None,
              y_train: np.ndarray | None = None, x_test: np.ndarray | None = None,
              y_test: np.ndarray | None = None,
              class_names: tuple[str, ...] | list[str] | None = None) -> Path:
    """Write arrays as a compressed NPZ archive in the keras layout (atomically).

    Parameters
    ----------
    path : path-like
    x_train, x_test : ndarray of uint8, shape (n, h, w), optional
    y_train, y_test : ndarray of int, shape (n,), optional
    class_names : sequence of str, optional
        Stored as a unicode array (readable without pickle).

    Returns
    -------
    Path
    """
    arrays = {k: np.asarray(v) for k, v in
              dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test).items()
              if v is not None}
    if class_names is not None:
        arrays["class_names"] = np.array([str(c) for c in class_names], dtype=str)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue())
    return Path(path)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".npz"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or path.name

"""Folders of PNG images: one subfolder per label, or a flat folder without labels.

``digits/3/img001.png`` is an image of class "3". All images must have the same size;
colour images are converted to grey (ITU-R 601 luma, Pillow's "L" mode), an alpha
channel is dropped. Files are read in sorted order so the result is reproducible.

Limits: an image of more than `MAX_IMAGE_PIXELS` pixels is refused from its header,
before it is decoded (as is one over Pillow's own, higher, decompression-bomb limit),
and so is a folder whose images would need more than
`~pixelmeans.data.files.MAX_BYTES` together. Only regular files are read. A folder
name that is not UTF-8 gives a class name with the odd bytes written ``\\xNN``.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from pixelmeans.data import files as files_mod
from pixelmeans.data.dataset import Dataset, check_image_stack
from pixelmeans.errors import InputError
from pixelmeans.fileio import atomic_directory

_SUFFIX = ".png"
#: Largest image read, in pixels (4096 x 4096); MNIST-family images have 784.
MAX_IMAGE_PIXELS = 1 << 24


def _pngs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() == _SUFFIX and not p.name.startswith("."))


def read_png_folder(path: str | os.PathLike) -> Dataset:
    """Read a folder of PNG images.

    Parameters
    ----------
    path : path-like
        Either a folder whose subfolders are the classes (``path/LABEL/*.png``), or a
        folder of PNG files with no labels. Not both.

    Returns
    -------
    Dataset
        ``images`` uint8 (n, h, w); ``labels`` int64 (n,) indexing ``class_names``
        (the subfolder names; numeric names sort by value), or None for a flat folder.
        ``split`` is "all".

    Raises
    ------
    InputError
        No PNG files, PNG files both at the top and in subfolders, a file that is not a
        readable image, or images of different sizes.
    """
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: not a folder of PNG images")
    top = _pngs(path)
    classes = [d for d in sorted(path.iterdir())
               if d.is_dir() and not d.name.startswith(".") and _pngs(d)]
    if top and classes:
        raise InputError(f"{path}: has PNG files both at the top and in subfolders "
                         f"({classes[0].name}/); expected one or the other")
    if not top and not classes:
        raise InputError(f"{path}: no .png files, neither at the top nor in one subfolder per label")
    if top:
        return Dataset(_stack(top, path), None, (), path.name, "all")
    if all(d.name.isdecimal() for d in classes):
        classes.sort(key=lambda d: int(d.name))
    files, labels = [], []
    for i, d in enumerate(classes):
        members = _pngs(d)
        files += members
        labels += [i] * len(members)
    return Dataset(_stack(files, path), np.array(labels, dtype=np.int64),
                   tuple(_printable(d.name) for d in classes), path.name, "all")


def _printable(name: str) -> str:
    """``name`` with bytes that are not UTF-8 written ``\\xNN``, so it can be printed
    and written to JSON and HTML."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _stack(files: list[Path], root: Path) -> np.ndarray:
    first_shape = None
    out = None
    for i, f in enumerate(files):
        try:
            # Pillow reads from memory: given a file, it would allocate what a PNG
            # chunk's length field claims before finding the file shorter.
            data = io.BytesIO(files_mod.read_bytes(f, decompress=False))
            with warnings.catch_warnings():
                # Pillow warns of images over its own limit; ours is lower and checked below.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(data) as im:
                    if im.format != "PNG":
                        raise InputError(f"{f}: a {im.format} image with a .png name; expected PNG")
                    _check_size(im.size, f, len(files))
                    arr = _grey(im, f)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
                Image.DecompressionBombError, EOFError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"{f}: not a readable PNG image ({' '.join(str(exc).split())})") from None
        if out is None:
            first_shape = arr.shape
            out = np.empty((len(files), *arr.shape), dtype=np.uint8)
        elif arr.shape != first_shape:
            raise InputError(f"{f}: {arr.shape[1]}x{arr.shape[0]} pixels, but "
                             f"{files[0].relative_to(root)} is {first_shape[1]}x{first_shape[0]}; "
                             "all images must have the same size")
        out[i] = arr
    return out


def _check_size(size: tuple[int, int], f: Path, n_files: int) -> None:
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(f"{f}: {width}x{height} pixels; expected at most {MAX_IMAGE_PIXELS} "
                         "pixels per image")
    if n_files * width * height > files_mod.MAX_BYTES:
        raise InputError(f"{f}: {n_files} images of {width}x{height} pixels would need "
                         f"{n_files * width * height} bytes; expected at most {files_mod.MAX_BYTES}")


def _grey(im: Image.Image, f: Path) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Pillow's convert("L") would clip 16-bit values, silently ruining the data.
        raise InputError(f"{f}: {im.mode} image (16-bit or wider); expected 8-bit grey or colour")
    if im.mode != "L":
        im = im.convert("L")
    im.load()
    return np.asarray(im, dtype=np.uint8)


def write_png_folder(path: str | os.PathLike, images: np.ndarray,
                     labels: np.ndarray | None = None,
                     class_names: tuple[str, ...] | list[str] | None = None,
                     *, overwrite: bool = False) -> Path:
    """Write images as a PNG folder, complete or not at all.

    Parameters
    ----------
    path : path-like
        The folder to create.
    images : ndarray of uint8, shape (n, h, w)
    labels : ndarray of int, shape (n,), optional
        With labels, image i goes to ``path/class_names[labels[i]]/NNNNN.png``;
        without, to ``path/NNNNN.png``.
    class_names : sequence of str, optional
        Subfolder names; default "0".."max".
    overwrite : bool
        Replace an existing folder (only once the new one is complete).

    Returns
    -------
    Path
    """
    images = check_image_stack(images, str(path))
    if labels is not None and class_names is None:
        class_names = [str(i) for i in range(int(np.max(labels)) + 1)]
    width = max(5, len(str(len(images))))
    with atomic_directory(path, overwrite=overwrite) as tmp:
        for i, img in enumerate(images):
            folder = tmp if labels is None else tmp / str(class_names[int(labels[i])])
            folder.mkdir(exist_ok=True)
            # Plain writes are fine here: the whole folder appears atomically.
            Image.fromarray(np.ascontiguousarray(img)).save(folder / f"{i:0{width}d}.png", format="PNG")
    return Path(path)

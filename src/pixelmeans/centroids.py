"""Centroids of pixel features: their units, their files, how well they match labels.

On pixel features (``--features pixels``, deskewed or not) k-means sees every pixel
divided by 255, so its centroids are in [0, 1]; the images and many course files use
pixel units, 0..255. Two names for the two:

``"pixels"``
    0..255, as in the images (an init file of random pixels ``centroid0,12,250,...``).
``"features"``
    The features' own units: [0, 1] on pixel features (``centroids.npy``).

A centroids file on pixel features is read in either: if any value is above 1 the
file is in pixel units and is divided by 255, otherwise it is already in [0, 1]. A
file that fits neither (a negative value, a value above 255, NaN, the wrong number of
values per centroid) is refused. The rule cannot tell a pixel-unit file whose values
are all 0 or 1 from a [0, 1] one; such centroids are black in either reading.

:func:`evaluate_centroids` is the classic analysis of a course's final centroids:
every labelled image goes to its nearest centroid and each centroid takes its
members' most frequent label (:mod:`pixelmeans.evaluate`).
"""

from __future__ import annotations

import numpy as np

from pixelmeans import evaluate as ev
from pixelmeans.errors import InputError

__all__ = [
    "PIXEL_MAX",
    "UNITS",
    "centroid_units",
    "collapse_warnings",
    "evaluate_centroids",
    "evaluate_file",
    "has_pixel_units",
    "output_units",
    "read_init_file",
    "read_pixel_centroids",
    "to_pixel_units",
    "write_pixel_centroids",
]

PIXEL_MAX = 255.0
UNITS = ("pixels", "features")

#: A run "collapsed" when more than this share of its centroids was dropped ...
MOST_DROPPED = 0.5
#: ... or when one cluster holds at least this share of the images.
NEARLY_ALL = 0.9


def centroid_units(centers, *, source: str) -> str:
    """The units of centroids of pixel features, decided from their values.

    Parameters
    ----------
    centers : ndarray of shape (k, n_features)
    source : str
        Named in the error message (a file name, ``"init"``).

    Returns
    -------
    {"pixels", "features"}
        ``"pixels"`` (0..255) if any value is above 1, else ``"features"`` ([0, 1]).

    Raises
    ------
    InputError
        NaN or infinity, a negative value or a value above 255.
    """
    arr = np.asarray(centers, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{source}: centroids contain NaN or infinity; expected pixel "
                         "values in 0..255 or in [0, 1]")
    if arr.size and arr.min() < 0:
        raise InputError(f"{source}: centroid value {arr.min():g} is negative; expected pixel "
                         "values in 0..255 or in [0, 1]")
    if arr.size and arr.max() > PIXEL_MAX:
        raise InputError(f"{source}: centroid value {arr.max():g} is above 255; expected pixel "
                         "values in 0..255 or in [0, 1]")
    return "pixels" if arr.size and arr.max() > 1 else "features"


def read_pixel_centroids(path, n_features: int):
    """Read centroids of pixel features in either unit, as [0, 1] values.

    Parameters
    ----------
    path : str or path-like
        CSV with or without a key column, or ``.npy`` (:func:`pixelmeans.read_centroids`).
    n_features : int
        Pixels per image; every centroid must have that many values.

    Returns
    -------
    centers : ndarray of shape (k, n_features), dtype float64
        In [0, 1] (divided by 255 when the file was in pixel units).
    units : {"pixels", "features"}
        The units the file was found in.
    keys : list of str
        The key column, or ``centroid0 ..``.

    Raises
    ------
    InputError
        Unreadable file, wrong width, or values in neither unit.
    """
    from pixelmeans.cluster.io import read_centroids

    centers, keys = read_centroids(path, return_keys=True)
    if centers.shape[1] != n_features:
        raise InputError(f"{path}: {centers.shape[1]} values per centroid; expected "
                         f"{n_features}, one per pixel of the images")
    units = centroid_units(centers, source=str(path))
    centers = np.asarray(centers, dtype=np.float64)
    if units == "pixels":
        centers = centers / PIXEL_MAX
    return centers, units, keys


def to_pixel_units(centers) -> np.ndarray:
    """[0, 1] centroids as pixel values 0..255, float64 of the same shape."""
    return np.asarray(centers, dtype=np.float64) * PIXEL_MAX


def write_pixel_centroids(path, centers):
    """Write [0, 1] centroids as a keyed CSV in pixel units: ``centroid0,12.0,250.0,...``.

    Parameters
    ----------
    path : str or path-like
    centers : array-like of shape (k, n_features)
        In [0, 1].

    Returns
    -------
    Path
    """
    from pixelmeans.cluster.io import write_centroids

    return write_centroids(path, to_pixel_units(centers))


def collapse_warnings(n_initial: int, sizes) -> list[str]:
    """Warnings for a run that ended with most centroids dropped or one cluster of nearly all.

    Parameters
    ----------
    n_initial : int
        Centroids at the start.
    sizes : array-like of int, shape (k_final,)
        Members of each final centroid.

    Returns
    -------
    list of str
        Empty for a healthy run; otherwise one sentence naming what happened and the
        likely cause.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    total = int(sizes.sum())
    if n_initial < 2 or total == 0:
        return []
    facts = []
    dropped = n_initial - sizes.size
    if dropped > MOST_DROPPED * n_initial:
        facts.append(f"{dropped} of the {n_initial} centroids were dropped (they lost all their images)")
    largest = int(sizes.max(initial=0))
    if largest >= NEARLY_ALL * total:
        facts.append(f"one cluster holds {largest} of the {total} images ({largest / total:.0%})")
    if not facts:
        return []
    return [" and ".join(facts) + "; the initial centroids were probably far from the data "
            "(an init file in other units than the features, e.g. 0..255 for features in [0, 1]?)"]


def evaluate_centroids(centers, images, labels, *, n_classes: int | None = None) -> dict:
    """Majority-label accuracy of fixed centroids on labelled images.

    Each image goes to its nearest centroid; each centroid takes the most frequent
    label of its members (ties: the smallest label); accuracy is the share of images
    whose label is their centroid's.

    Parameters
    ----------
    centers : array-like of shape (k, h*w)
        In [0, 1] (see :func:`read_pixel_centroids`).
    images : ndarray of uint8, shape (n_samples, h, w) or (n_samples, h*w)
    labels : ndarray of int, shape (n_samples,)
        In ``[0, n_classes)``.
    n_classes : int, optional
        Default one more than the largest label.

    Returns
    -------
    dict
        ``accuracy`` (float), ``n_samples`` (int), ``n_correct`` (int: images whose
        label is their centroid's), ``clusters``: one dict per centroid
        with ``centroid``, ``majority_label`` (int, -1 without members), ``size`` and
        ``accuracy`` (NaN without members), and ``labels`` (ndarray of int32, the
        nearest centroid of each image).
    """
    from pixelmeans.cluster.kernels import labels_inertia
    from pixelmeans.features.pixels import PixelFeatures

    images = np.asarray(images)
    X = PixelFeatures().fit_transform(images.reshape(images.shape[0], -1))
    centers = np.ascontiguousarray(centers, dtype=np.float32)
    if centers.ndim != 2 or centers.shape[1] != X.shape[1]:
        raise InputError(f"centroids of shape {centers.shape} do not fit images of "
                         f"{X.shape[1]} pixels")
    # The assignment KMeans.predict makes (first centroid on exact ties).
    assigned = labels_inertia(X, centers, return_inertia=False)
    k = centers.shape[0]
    mapping = ev.cluster_label_mapping(assigned, labels, k, n_classes)
    purity, sizes = ev.cluster_purity(assigned, labels, k, n_classes)
    right = ev.majority_count(assigned, labels, k, n_classes)
    return {
        "accuracy": ev.accuracy(assigned, labels),
        "n_samples": int(X.shape[0]),
        "n_correct": int(right.sum()),
        "clusters": [{"centroid": j, "majority_label": int(mapping[j]), "size": int(sizes[j]),
                      "accuracy": float(purity[j])} for j in range(k)],
        "labels": assigned,
    }


def has_pixel_units(transformer) -> bool:
    """True for features that are the pixels / 255 (deskewed or not), False otherwise.

    Only then do pixel units (0..255) mean anything for centroids; histograms of
    oriented gradients and learned features have units of their own.
    """
    from pixelmeans.features.pixels import has_pixel_units as pixel_units

    return pixel_units(transformer)


def read_init_file(path, *, n_clusters: int, n_features: int, pixel_features: bool,
                   features: str = "pixels"):
    """Initial centroids from a file, in the features' units, and a line saying which.

    On pixel features the file may be in pixel units or in [0, 1]
    (:func:`read_pixel_centroids`); on other features it is taken in their units as
    it is, and :class:`pixelmeans.KMeans` reads and checks it.

    Parameters
    ----------
    path : str or path-like
    n_clusters : int
        Centroids the file must hold.
    n_features : int
        Values per centroid (pixels per image) on pixel features.
    pixel_features : bool
        See :func:`has_pixel_units`.
    features : str
        The features' spec, named in the message.

    Returns
    -------
    init : ndarray of shape (n_clusters, n_features), dtype float64, or the path
    info : dict
        ``{"file": str, "units": "pixels" | "features"}``, for summary.json.
    message : str
        For the console.
    """
    info = {"file": str(path), "units": "features"}
    if not pixel_features:
        return path, info, (f"init {path}: taken in the features' units ({features}) "
                            "as it is")
    centers, units, _ = read_pixel_centroids(path, n_features)
    if centers.shape[0] != n_clusters:
        raise InputError(f"{path}: {centers.shape[0]} centroids; expected {n_clusters}, "
                         "one per cluster")
    info["units"] = units
    largest = float(centers.max(initial=0) * (PIXEL_MAX if units == "pixels" else 1))
    if units == "pixels":
        how = (f"in pixel units (0..255; largest value {largest:g}), divided by 255 for "
               "the features in [0, 1]")
    else:
        how = f"in the features' units ([0, 1]; largest value {largest:g}), used as they are"
    return centers, info, f"init {path}: {centers.shape[0]} centroids {how}"


def output_units(*, pixel_features: bool, csv_units: str, features: str) -> dict:
    """The units of what a run writes, for summary.json.

    Parameters
    ----------
    pixel_features : bool
        See :func:`has_pixel_units`.
    csv_units : {"pixels", "features"}
        The units of ``centroids.csv``.
    features : str
        The features' spec.

    Returns
    -------
    dict of {file or folder: description}
    """
    if pixel_features:
        own = "features: pixels / 255, in [0, 1]"
        image = "PNG grey levels 0..255 (black to white): each centroid value in [0, 1] times 255"
        pictures = {"init/": image, "final/": image, "steps/": image}
    else:
        own = f"features: the coordinates of the {features} features"
        pictures = {"final/": "PNG grey levels 0..255: the mean pixels of each cluster's members "
                              "(the centroids are not images)"}
    csv = "pixels: 0..255, the features times 255" if csv_units == "pixels" else own
    return {"centroids.csv": csv, "centroids.npy": own, **pictures}


def _check_report_path(out, overwrite: bool):
    from pathlib import Path

    out = Path(out)
    if out.suffix.lower() not in (".json", ".csv"):
        raise InputError(f"--out {out}: expected a file name ending in .json or .csv")
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder; expected a file name")
    if out.exists() and not overwrite:
        raise InputError(f"--out {out}: exists; pass --overwrite to replace it")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: folder {out.parent} does not exist")
    return out


def _format_accuracy(value: float) -> str:
    return "-" if np.isnan(value) else f"{value:.4f}"


def evaluate_file(centroids, data, *, out=None, overwrite: bool = False, echo=print) -> dict:
    """``pixelmeans evaluate``: majority-label accuracy of a centroids file on labelled images.

    Parameters
    ----------
    centroids : str or path-like
        CSV (with or without a key column) or ``.npy``, in pixel units or in [0, 1]
        (:func:`read_pixel_centroids`): a course's file or a run's ``centroids.csv``.
    data : str or path-like
        Labelled images (:func:`pixelmeans.load_path`: label-first CSV, IDX, NPZ, ...);
        every split in the file is used.
    out : str or path-like, optional
        Also write the result here, as JSON or CSV by its suffix (atomically).
    overwrite : bool, default=False
        Replace an existing ``out``.
    echo : callable(str)
        Where the console lines go.

    Returns
    -------
    dict
        ``accuracy``, ``n_samples``, ``centroids``, ``centroids_units``, ``data`` and
        ``clusters`` (one dict per centroid: ``centroid`` key, ``majority_label``
        name or None, ``size``, ``accuracy``).
    """
    from pixelmeans.data import load_path

    if out is not None:
        out = _check_report_path(out, overwrite)
    ds = load_path(data)
    if ds.labels is None:
        raise InputError(f"--data {data}: the images have no labels; expected labelled images")
    h, w = ds.images.shape[1:]
    centers, units, keys = read_pixel_centroids(centroids, h * w)
    scored = evaluate_centroids(centers, ds.images, ds.labels, n_classes=len(ds.class_names))
    names = list(ds.class_names)
    clusters = [{"centroid": key, "size": c["size"], "accuracy": c["accuracy"],
                 "majority_label": names[c["majority_label"]] if c["majority_label"] >= 0 else None}
                for key, c in zip(keys, scored["clusters"])]
    result = {"centroids": str(centroids), "centroids_units": units, "data": str(data),
              "n_samples": scored["n_samples"], "accuracy": scored["accuracy"],
              "clusters": clusters}

    echo(f"{ds.name}: {scored['n_samples']} labelled images of {h}x{w}; {len(keys)} centroids "
         f"from {centroids} (" + ("pixel units 0..255" if units == "pixels" else "[0, 1]") + ")")
    echo(f"accuracy {scored['accuracy']:.4f} ({scored['n_correct']} of {scored['n_samples']} images carry "
         "their centroid's majority label)")
    width = max(len("centroid"), *(len(k) for k in keys))
    echo(f"{'centroid':<{width}}  label  members  accuracy")
    for c in clusters:
        label = c["majority_label"] if c["majority_label"] is not None else "-"
        echo(f"{c['centroid']:<{width}}  {label:<5}  {c['size']:>7}  {_format_accuracy(c['accuracy'])}")

    if out is not None:
        _write_result(out, result)
        echo(f"written: {out}")
    return result


def _write_result(out, result: dict) -> None:
    from pixelmeans.fileio import write_text

    if out.suffix.lower() == ".json":
        from pixelmeans.fileio import write_json

        write_json(out, result)
        return
    lines = ["centroid,majority_label,size,accuracy"]
    for c in result["clusters"]:
        accuracy = "" if np.isnan(c["accuracy"]) else f"{c['accuracy']:.6f}"
        lines.append(f"{c['centroid']},{c['majority_label'] or ''},{c['size']},{accuracy}")
    write_text(out, "\n".join(lines) + "\n")

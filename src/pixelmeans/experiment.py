"""Run orchestration: data → features → k-means → evaluation → results folder.

The algorithm core, the plots and the report each know nothing of the others; this
module wires them together and is what the ``run`` command calls. A results folder is
built under a temporary name and renamed into place only when complete.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pixelmeans import evaluate as ev
from pixelmeans.errors import InputError
from pixelmeans.fileio import (atomic_directory, clean_stale_temporaries, describe_entries, foreign_entries,
                               write_bytes, write_text)

SUMMARY_MARKER = "pixelmeans-results"
INIT_NAMES = ("k-means++", "k-means||", "random", "random-points")
N_MEMBERS_SHOWN = 8


@dataclass
class FitConfig:
    """What ``pixelmeans run`` and ``pixelmeans sweep`` are both asked: the data, the
    features, the k-means settings and the output folder (summary.json keeps them all)."""

    dataset: str = "mnist"
    data: str | None = None
    n_init: int = 5
    max_iter: int = 300
    tol: float = 1e-4
    init: str = "k-means++"
    seed: int = 0
    features: str = "pixels"
    out: str | None = None
    overwrite: bool = False


@dataclass
class RunConfig(FitConfig):
    """What ``pixelmeans run`` was asked to do (every field ends up in summary.json)."""

    k: int | None = None
    empty_clusters: str = "relocate"
    animation: bool = True
    centroid_units: str = "features"


@dataclass
class Stopwatch:
    """Wall time of each named stage, in seconds, in the order they ran."""

    stages: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - start


# ---------------------------------------------------------------- data and fit


def load_splits(config: RunConfig):
    """Return ``(train, test)`` datasets.

    A user file or folder with train and test parts (keras NPZ, IDX folder) gives
    both; one without parts is all training data and ``test`` is None.
    """
    from pixelmeans.data import load_dataset, load_path

    if config.data is not None:
        train = load_path(config.data, split="train")
        try:
            test = load_path(config.data, split="test")
        except InputError:
            test = None
        return train, test
    train = load_dataset(config.dataset, split="train")
    test = load_dataset(config.dataset, split="test")
    return train, test


def restart_seeds(seed: int, n_init: int) -> list[int]:
    """Independent, reproducible seeds for each restart."""
    return [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, size=n_init)]


def fit_restarts(X, *, k, n_init, seed, init, max_iter, tol, empty_clusters,
                 record_history=False, progress=None):
    """Fit k-means ``n_init`` times from independent starts.

    Restarts are run here, not inside KMeans, so that every restart's statistics are
    kept (the sweep reports them) and the console can show progress across them.

    Parameters
    ----------
    X : ndarray of float32, shape (n_samples, n_features)
    progress : callable(i, model) or None
        Called after each restart.

    Returns
    -------
    best : KMeans
        The restart with the lowest inertia (the first one on ties).
    records : list of dict
        One per restart: seed, inertia, first_inertia, n_iter, converged, fit_time.
    """
    from pixelmeans import KMeans

    best, records = None, []
    for i, s in enumerate(restart_seeds(seed, n_init)):
        model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, tol=tol,
                       empty_clusters=empty_clusters, record_history=True,
                       random_state=s)
        start = time.perf_counter()
        model.fit(X)
        elapsed = time.perf_counter() - start
        steps = model.history_
        records.append({
            "restart": i,
            "seed": s,
            "inertia": float(model.inertia_),
            "first_inertia": float(steps[1].inertia) if len(steps) > 1 else float(model.inertia_),
            "n_iter": int(model.n_iter_),
            "converged": bool(model.converged_),
            "fit_time": elapsed,
            "n_clusters_out": int(model.cluster_centers_.shape[0]),
        })
        if not record_history:
            model.history_ = None
        if best is None or model.inertia_ < best.inertia_:
            best = model
        if progress is not None:
            progress(i, model)
    return best, records


def nearest_and_farthest(X, labels, distances, n=N_MEMBERS_SHOWN):
    """Indices of the ``n`` samples nearest each centroid and of its ``n`` farthest members.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
    labels : ndarray of int, shape (n_samples,)
    distances : ndarray of float, shape (n_samples, n_clusters)

    Returns
    -------
    nearest, farthest : list of ndarray of int64
        One array per cluster, each of at most ``n`` sample indices (fewer for small
        clusters), nearest first / farthest first.
    """
    nearest, farthest = [], []
    for j in range(distances.shape[1]):
        d = distances[:, j]
        take = min(n, d.shape[0])
        idx = np.argpartition(d, take - 1)[:take]
        nearest.append(idx[np.argsort(d[idx], kind="stable")])
        members = np.flatnonzero(labels == j)
        if members.size == 0:
            farthest.append(np.empty(0, dtype=np.int64))
            continue
        dm = d[members]
        take = min(n, members.size)
        idx = np.argpartition(-dm, take - 1)[:take]
        farthest.append(members[idx[np.argsort(-dm[idx], kind="stable")]])
    return nearest, farthest


def member_means(images_flat, labels, n_clusters):
    """Mean pixel image of each cluster's members (zeros for an empty cluster).

    Parameters
    ----------
    images_flat : ndarray of uint8, shape (n_samples, h*w)
    labels : ndarray of int, shape (n_samples,)

    Returns
    -------
    means : ndarray of float32, shape (n_clusters, h*w), values in [0, 1]
    """
    sums = np.zeros((n_clusters, images_flat.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, images_flat)
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    return (sums / np.maximum(counts, 1)[:, None] / 255.0).astype(np.float32)


# ---------------------------------------------------------------- output folder


def features_tag(spec: str) -> str:
    """A folder-name suffix for a features spec: "" for pixels, "-pca50", "-aeumap", ..."""
    if spec == "pixels":
        return ""
    if "/" in spec or os.sep in spec or Path(spec).suffix:
        return f"-{Path(spec).stem}"
    return "-" + "".join(ch for ch in spec if ch.isalnum())


def default_out(config, suffix: str) -> Path:
    """``results/<data name>-<suffix><features tag>``, e.g. ``results/mnist-k10``."""
    name = Path(config.data).stem if config.data else config.dataset
    return Path("results") / f"{name}-{suffix}{features_tag(config.features)}"


def check_out(out, overwrite: bool, *, echo=print) -> None:
    """Refuse, before any work, an output folder we may not write or must not replace.

    ``out`` must be a new folder, an empty one, or (with ``overwrite``) a folder whose
    manifest shows that pixelmeans wrote everything in it (:func:`fileio.foreign_entries`):
    files a user put there are never deleted. Hidden working folders that a killed
    run left beside ``out`` are cleaned up first, and each is named on the console.
    """
    shown = out
    out = Path(os.path.abspath(out))
    cwd = Path.cwd()
    if out == cwd or out in cwd.parents:
        raise InputError(f"--out {shown}: is the current folder or one above it; expected a folder to create")
    if out.is_symlink():
        raise InputError(f"--out {shown}: is a symbolic link; expected a folder to create")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {shown}: is a file; expected a folder to create")
    probe = out.parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"--out {shown}: {probe} is not a writable folder")
    for line in clean_stale_temporaries(out):
        echo(line)
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise InputError(f"--out {shown}: folder exists and is not empty; pass --overwrite to replace it")
        foreign = foreign_entries(out)
        if foreign:
            raise InputError(f"--out {shown}: holds {describe_entries(foreign)} that pixelmeans did not "
                             "write; refusing to replace it")


def check_fit_config(config: FitConfig) -> None:
    """Validate the settings ``run`` and ``sweep`` share, before any data is read.

    Raises InputError naming the first bad option.
    """
    if isinstance(config.seed, bool) or not isinstance(config.seed, (int, np.integer)) \
            or not 0 <= config.seed < 2**32:
        raise InputError(f"--seed {config.seed}: expected an integer from 0 to {2**32 - 1}")
    if config.n_init < 1:
        raise InputError(f"--n-init {config.n_init}: expected at least 1 restart")
    if config.max_iter < 1:
        raise InputError(f"--max-iter {config.max_iter}: expected at least 1 step")
    if not np.isfinite(config.tol) or config.tol < 0:
        raise InputError(f"--tol {config.tol}: expected a number of at least 0")
    if config.init not in INIT_NAMES and not Path(config.init).is_file():
        raise InputError(f"--init {config.init}: expected {', '.join(INIT_NAMES)} "
                         "or a CSV or .npy file of centroids")
    if config.data is not None and not Path(config.data).exists():
        raise InputError(f"--data {config.data}: no such file or folder")
    if not Path(config.features).is_file():
        from pixelmeans.features import make_features

        make_features(config.features)  # raises InputError on an unknown spec


def versions() -> dict[str, str]:
    import matplotlib
    import scipy
    import sklearn

    import pixelmeans

    return {
        "pixelmeans": pixelmeans.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "matplotlib": matplotlib.__version__,
        "platform": platform.platform(),
    }


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _nan_to_none(obj):
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    return obj


def write_json(path: Path, payload: dict) -> None:
    """Write ``payload`` as JSON (NaN becomes null so any JSON reader accepts it)."""
    payload = json.loads(json.dumps(payload, default=_json_default))
    write_text(path, json.dumps(_nan_to_none(payload), indent=2) + "\n")


def write_mapping_csv(path: Path, mapping, sizes, purity, class_names) -> None:
    lines = ["cluster,majority_label,label_name,size,purity"]
    for j, (m, n, p) in enumerate(zip(mapping, sizes, purity)):
        name = class_names[m] if 0 <= m < len(class_names) else ""
        lines.append(f"{j},{m},{name},{n},{'' if np.isnan(p) else f'{p:.6f}'}")
    write_text(path, "\n".join(lines) + "\n")


def exit_on_sigterm():
    """Make SIGTERM unwind like Ctrl-C so temporary folders are cleaned up."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        pass


# ---------------------------------------------------------------- the run


def run(config: RunConfig, *, echo=print) -> Path:
    """Fit, evaluate and write a complete results folder; return its path.

    Parameters
    ----------
    config : RunConfig
    echo : callable(str)
        Where console lines go (``print`` for the CLI; a no-op in tests).
    """
    from pixelmeans import write_centroids
    from pixelmeans.centroids import (UNITS, collapse_warnings, has_pixel_units,
                                      output_units, read_init_file, write_pixel_centroids)
    from pixelmeans.features import make_features

    check_fit_config(config)
    if config.centroid_units not in UNITS:
        raise InputError(f"--centroid-units {config.centroid_units}: expected pixels or features")
    if config.k is not None and config.k < 1:
        raise InputError(f"--k {config.k}: expected a number of clusters of at least 1")
    if config.out or config.k is not None:
        check_out(Path(config.out) if config.out else default_out(config, f"k{config.k}"),
                  config.overwrite, echo=echo)
    clock = Stopwatch()
    with clock.stage("load"):
        train, test = load_splits(config)
    h, w = train.images.shape[1:]
    n_classes = len(train.class_names) if train.labels is not None else 0
    k = config.k if config.k is not None else (n_classes or 10)
    if k > train.images.shape[0]:
        raise InputError(f"--k {k}: larger than the {train.images.shape[0]} images in the data")
    out = Path(config.out) if config.out else default_out(config, f"k{k}")
    check_out(out, config.overwrite, echo=echo)
    init = config.init
    echo(f"{train.name}: {train.images.shape[0]} training images of {h}x{w}"
         + (f", {test.images.shape[0]} test images" if test is not None else "")
         + ("" if train.labels is not None else " (no labels)"))

    flat_train = train.images.reshape(train.images.shape[0], -1)
    with clock.stage("features"):
        transformer = make_features(config.features, random_state=config.seed)
        pixel_features = has_pixel_units(transformer)
        if config.centroid_units == "pixels" and not pixel_features:
            raise InputError(f"--centroid-units pixels: only for pixel features, not "
                             f"{config.features}")
        init_info = {"method": init}
        if init not in ("k-means++", "k-means||", "random", "random-points"):
            # Before fitting the features, so that a bad file costs nothing.
            init, init_info, message = read_init_file(
                init, n_clusters=k, n_features=h * w, pixel_features=pixel_features,
                features=config.features)
            echo(message)
        X = transformer.fit_transform(flat_train)
        X_test = None
        if test is not None:
            X_test = transformer.transform(test.images.reshape(test.images.shape[0], -1))

    with clock.stage("fit"):
        from tqdm.auto import tqdm

        bar = tqdm(total=config.n_init, desc=f"k-means k={k}", unit="restart",
                   disable=None, file=sys.stderr, leave=False)

        def progress(i, model):
            bar.set_postfix(inertia=f"{model.inertia_:.4g}", steps=model.n_iter_)
            bar.update(1)

        try:
            model, restarts = fit_restarts(
                X, k=k, n_init=config.n_init, seed=config.seed, init=init,
                max_iter=config.max_iter, tol=config.tol,
                empty_clusters=config.empty_clusters, record_history=True, progress=progress)
        finally:
            bar.close()
    if model.converged_:
        echo(f"K-means converged after {model.n_iter_} steps.")
    else:
        echo(f"K-means stopped after {model.n_iter_} steps (max_iter) without converging.")

    k_out = model.cluster_centers_.shape[0]
    if k_out < k and model.history_:
        dropped = sorted(set(range(k)) - set(model.history_[-1].ids.tolist()))
        echo(f"{len(dropped)} of the {k} centroids lost all their images and were dropped "
             f"(initial centroid{'s' if len(dropped) > 1 else ''} "
             f"{', '.join(map(str, dropped))}); {k_out} remain.")
    with clock.stage("evaluate"):
        labels = model.labels_
        distances = model.transform(X)
        nearest, farthest = nearest_and_farthest(X, labels, distances)
        test_labels = model.predict(X_test) if X_test is not None else None
        metrics = {}
        mapping = purity = None
        sizes = np.bincount(labels, minlength=k_out)
        if train.labels is not None:
            mapping = ev.cluster_label_mapping(labels, train.labels, k_out, n_classes)
            purity, sizes = ev.cluster_purity(labels, train.labels, k_out, n_classes)
            metrics["train"] = ev.evaluate(labels, train.labels, n_clusters=k_out, n_classes=n_classes)
            if test is not None and test.labels is not None:
                metrics["test"] = ev.evaluate(test_labels, test.labels, mapping=mapping,
                                              n_clusters=k_out, n_classes=n_classes)
    run_warnings = collapse_warnings(k, sizes)
    for line in run_warnings:
        echo(f"warning: {line}")

    # The folder is built under a temporary name from the first figure on, so an
    # interrupted run leaves nothing behind.
    with atomic_directory(out, overwrite=config.overwrite) as tmp:
        with clock.stage("figures"):
            centroid_images = centroid_pictures(model, transformer, flat_train, labels, k_out)
            figures = write_figures(
                config=config, model=model, X=X, transformer=transformer, train=train,
                centroid_images=centroid_images, mapping=mapping, purity=purity, sizes=sizes,
                nearest=nearest, farthest=farthest, shape=(h, w))
        with clock.stage("write"):
            for rel, data in figures.items():
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                write_bytes(tmp / rel, data)
            if config.centroid_units == "pixels":
                write_pixel_centroids(tmp / "centroids.csv", model.cluster_centers_)
            else:
                write_centroids(tmp / "centroids.csv", model.cluster_centers_)
            write_centroids(tmp / "centroids.npy", model.cluster_centers_)
            if mapping is not None:
                write_mapping_csv(tmp / "mapping.csv", mapping, sizes, purity, train.class_names)
        summary = run_summary(config=config, k=k, out=out, train=train, test=test, X=X,
                              model=model, restarts=restarts, metrics=metrics, mapping=mapping,
                              purity=purity, sizes=sizes, init=init_info, warnings=run_warnings,
                              units=output_units(pixel_features=pixel_features,
                                                 csv_units=config.centroid_units,
                                                 features=config.features))
        with clock.stage("report"):
            from pixelmeans.report import write_run_report

            summary["timings"] = dict(clock.stages)
            comparison = compare_runs(out, summary)
            if len(comparison) > 1:
                summary["comparison"] = comparison
            write_run_report(tmp / "report.html", summary=summary, figures=figures)
        summary["timings"] = dict(clock.stages)
        write_json(tmp / "summary.json", summary)

    echo(results_table(summary))
    echo(f"Report: {out / 'report.html'}")
    return out


def embed(*, features, dataset="mnist", data=None, split="train", seed=0, out, overwrite=False,
          echo=print) -> Path:
    """Fit a feature transformer on a data set and save it for ``run --features FILE``.

    Parameters
    ----------
    features : str
        A spec of :func:`pixelmeans.features.make_features` (not a saved path).
    split : {"train", "all"}
        Which images to train on.

    Returns
    -------
    Path of the saved file.
    """
    from pixelmeans.data import load_dataset, load_path
    from pixelmeans.features import make_features, save_features

    out = Path(out)
    if out.exists() and not overwrite:
        raise InputError(f"--out {out}: exists; pass --overwrite to replace it")
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder; expected a file name")
    if not out.parent.exists():
        raise InputError(f"--out {out}: folder {out.parent} does not exist")
    ds = load_path(data, split=split) if data else load_dataset(dataset, split=split)
    transformer = make_features(features, random_state=seed)
    echo(f"{ds.name}: fitting {features} on {len(ds.images)} images")
    start = time.perf_counter()
    transformer.fit(ds.images.reshape(len(ds.images), -1))
    save_features(transformer, out)
    echo(f"saved in {time.perf_counter() - start:.1f} s: {out} "
         f"(use it with: pixelmeans run --features {out})")
    return out


def run_summary(*, config, k, out, train, test, X, model, restarts, metrics, mapping, purity,
                sizes, init=None, warnings=(), units=None):
    """Everything a run measured, as the plain dict written to summary.json.

    ``init`` says where the initial centroids came from (a method, or a file and the
    units it was found in), ``warnings`` the console's warnings about the result
    (:func:`pixelmeans.centroids.collapse_warnings`), ``units`` the units of the
    written centroids and images (:func:`pixelmeans.centroids.output_units`).
    """
    h, w = train.images.shape[1:]
    k_out = model.cluster_centers_.shape[0]
    return {
        "kind": SUMMARY_MARKER,
        "config": dataclasses.asdict(config) | {"k": k, "out": str(out)},
        "versions": versions(),
        "data": {
            "name": train.name,
            "n_train": int(train.images.shape[0]),
            "n_test": int(test.images.shape[0]) if test is not None else 0,
            "image_shape": [int(h), int(w)],
            "has_labels": train.labels is not None,
            "class_names": list(train.class_names),
        },
        "features": {"spec": config.features, "n_features": int(X.shape[1])},
        "init": init,
        "units": units,
        "warnings": list(warnings),
        "n_clusters": int(k_out),
        "inertia": float(model.inertia_),
        "n_iter": int(model.n_iter_),
        "converged": bool(model.converged_),
        "restarts": restarts,
        "metrics": metrics,
        "clusters": [
            {
                "cluster": j,
                "size": int(sizes[j]),
                "majority_label": int(mapping[j]) if mapping is not None else None,
                "label_name": (train.class_names[mapping[j]]
                               if mapping is not None and mapping[j] >= 0 else None),
                "purity": float(purity[j]) if purity is not None else None,
            }
            for j in range(k_out)
        ],
    }


def _is_pixels(transformer) -> bool:
    from pixelmeans.features.pixels import PixelFeatures

    return isinstance(transformer, PixelFeatures)


def centroid_pictures(model, transformer, flat_train, labels, k_out):
    """Each centroid as an image in [0, 1], shape (k, h*w).

    On pixel features the centroid is the picture; in a learned space it is the mean
    of its members' pixels.
    """
    if _is_pixels(transformer):
        return np.clip(np.asarray(model.cluster_centers_, dtype=np.float32), 0, 1)
    return member_means(flat_train, labels, k_out)


def results_table(summary: dict) -> str:
    """A short plain-text table of the numbers that matter."""
    rows = [("clusters", f"{summary['n_clusters']}"),
            ("inertia", f"{summary['inertia']:.5g}"),
            ("steps", f"{summary['n_iter']}")]
    for split, m in summary["metrics"].items():
        rows += [(f"{split} accuracy", f"{m['accuracy']:.4f}"),
                 (f"{split} Hungarian", f"{m['hungarian_accuracy']:.4f}"),
                 (f"{split} NMI", f"{m['nmi']:.4f}"),
                 (f"{split} ARI", f"{m['ari']:.4f}")]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


#: Points in the 2-D map of learned codes: enough to see the islands, quick to embed.
EMBEDDING_SAMPLE = 5000


def learned_feature_figures(transformer, *, X, flat_train, labels, true_labels, class_names,
                            captions, shape, seed):
    """Decoded centroids, reconstructions and a 2-D map of the codes, where they apply.

    Parameters
    ----------
    X : ndarray of float32, shape (n_samples, n_features)
        The learned codes k-means was fitted on.
    flat_train : ndarray of uint8, shape (n_samples, h*w)
    labels : ndarray of int, shape (n_samples,)
        Cluster of each sample.

    Returns
    -------
    dict of {relative path: PNG bytes}
    """
    from pixelmeans import plots
    from pixelmeans.features import decoded_centroids, embedding_2d, reconstructions

    h, w = shape
    files = {}
    k_out = len(captions)
    try:
        decoded = decoded_centroids(transformer, flat_train, labels, k_out)
    except InputError:  # no autoencoder in these features (pca, umap)
        decoded = None
    if decoded is not None:
        files["decoded.png"] = plots.figure_png_bytes(plots.centroid_grid(
            decoded.reshape(k_out, h, w), captions, title="decoded centroids", vmin=0, vmax=1))
        orig, recon = reconstructions(transformer, flat_train, n=10, random_state=seed)
        pairs = np.stack([orig, recon], axis=1).reshape(-1, h, w)
        files["reconstructions.png"] = plots.figure_png_bytes(plots.centroid_grid(
            pairs, ["image", "decoded"] * len(orig), ncols=10, title="autoencoder reconstructions",
            vmin=0, vmax=1))
    rng = np.random.default_rng(seed)
    take = np.sort(rng.choice(X.shape[0], min(EMBEDDING_SAMPLE, X.shape[0]), replace=False))
    xy = embedding_2d(X[take], random_state=seed)
    files["embedding.png"] = plots.figure_png_bytes(plots.embedding_figure(
        xy, labels[take], None if true_labels is None else true_labels[take],
        label_names=list(class_names) if true_labels is not None else None))
    return files


def _field(tree, *keys, kind=dict):
    """``tree[k1][k2]...`` when every level is a dict and the leaf is of ``kind``, else None.

    A sibling's summary.json is another program's file as far as this run knows: a
    value of the wrong type is treated as missing, never trusted.
    """
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    if kind is float:
        return float(tree) if isinstance(tree, (int, float)) and not isinstance(tree, bool) else None
    return tree if isinstance(tree, kind) else None


def compare_runs(out: Path, summary: dict) -> list[dict]:
    """Rows comparing this run with earlier runs beside it on the same data and k.

    Reads the ``summary.json`` of sibling results folders that pixelmeans wrote; the
    current run comes first.
    """
    def row(s, folder):
        return {"features": _field(s, "features", "spec", kind=str),
                "train_accuracy": _field(s, "metrics", "train", "accuracy", kind=float),
                "test_accuracy": _field(s, "metrics", "test", "accuracy", kind=float),
                "hungarian_accuracy": _field(s, "metrics", "train", "hungarian_accuracy", kind=float),
                "nmi": _field(s, "metrics", "train", "nmi", kind=float),
                "time": ((_field(s, "timings", "features", kind=float) or 0)
                         + (_field(s, "timings", "fit", kind=float) or 0)),
                "folder": folder}

    rows = [row(summary, out.name)]
    parent = out.parent if out.parent.exists() else None
    for other in sorted(parent.iterdir()) if parent else []:
        if other.name == out.name or other.name.startswith(".") or not other.is_dir():
            continue
        try:
            s = json.loads((other / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (_field(s, "kind", kind=str) == SUMMARY_MARKER and s.get("command", "run") == "run"
                and _field(s, "data", "name", kind=str) == summary["data"]["name"]
                and s.get("n_clusters") == summary["n_clusters"]):
            rows.append(row(s, other.name))
    return rows


def write_figures(*, config, model, X, transformer, train, centroid_images, mapping, purity,
                  sizes, nearest, farthest, shape):
    """Render every figure of a run; return ``{relative path: PNG/GIF bytes}``."""
    from pixelmeans import plots

    h, w = shape
    k_out = centroid_images.shape[0]
    names = train.class_names
    captions = []
    for j in range(k_out):
        if mapping is not None and mapping[j] >= 0:
            captions.append(f"{names[mapping[j]]} · {purity[j]:.2f} · n={sizes[j]}")
        else:
            captions.append(f"#{j} · n={sizes[j]}")
    files: dict[str, bytes] = {}
    grid = centroid_images.reshape(k_out, h, w)
    files["centroids.png"] = plots.figure_png_bytes(
        plots.centroid_grid(grid, captions, title=f"{k_out} centroids"))
    for j in range(k_out):
        files[f"final/centroid{j:03d}.png"] = plots.image_png(grid[j], vmin=0, vmax=1)

    history = model.history_ or []
    if _is_pixels(transformer) and history:
        first = np.clip(history[0].centers, 0, 1).reshape(-1, h, w)
        for j in range(first.shape[0]):
            files[f"init/centroid{j:03d}.png"] = plots.image_png(first[j], vmin=0, vmax=1)
        if config.animation:
            # Long runs are subsampled (dense early, where centroids move most).
            chosen = plots.frame_indices(len(history))
            images = plots.evolution_frames(
                [history[i].centers for i in chosen], [history[i].ids for i in chosen],
                shape=(h, w), steps=[history[i].step for i in chosen], vmin=0, vmax=1)
            files["evolution.gif"] = plots.gif_bytes(images, duration_ms=250)
            for i, img in zip(chosen, images):
                files[f"steps/step{history[i].step:03d}.png"] = plots.pil_png_bytes(img)

    if mapping is not None:
        order = np.argsort(mapping, kind="stable")
        table = ev.confusion(model.labels_, train.labels, k_out, len(names))[order]
        row_labels = [f"#{j}→{names[mapping[j]] if mapping[j] >= 0 else '-'}" for j in order]
        files["confusion.png"] = plots.figure_png_bytes(
            plots.confusion_figure(table, row_labels, list(names)))

    if not _is_pixels(transformer):
        files.update(learned_feature_figures(transformer, X=X,
                                             flat_train=train.images.reshape(len(train.images), -1),
                                             labels=model.labels_, true_labels=train.labels,
                                             class_names=names, captions=captions, shape=(h, w),
                                             seed=config.seed))

    near = [train.images[idx].astype(np.float32) / 255.0 for idx in nearest]
    far = [train.images[idx].astype(np.float32) / 255.0 for idx in farthest]
    files["members.png"] = plots.figure_png_bytes(
        plots.members_figure(grid, near, far, captions))
    return files

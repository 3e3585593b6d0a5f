"""``pixelmeans run``: compute a :class:`RunResult` once, then render or save it.

:func:`compute_run` loads the data, fits the features and the restarts, and measures
the clusters; it writes nothing. The result draws its own figures
(``result.plot_centroids()``, ...) for a notebook, and :meth:`RunResult.save` writes the
results folder (:mod:`pixelmeans.outputs`, :mod:`pixelmeans.figures`). :func:`run` is
both, as the command line does it.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pixelmeans import evaluate as ev
from pixelmeans.config import INIT_NAMES, MAPS, RunConfig, check_fit_config
from pixelmeans.errors import InputError

#: Images whose silhouettes a run measures: the cost grows as its square, and 2,000 of
#: MNIST's 784 pixels take about 0.8 s on 2 shared cores (the sweep's 5,000 take 3 s per k;
#: benchmarks/results/run-figures-2026-12-03.json); the mean's standard error is then
#: below 0.01.
SILHOUETTE_SAMPLE = 2000


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


def load_splits(config, *, in_memory: bool = True):
    """Return ``(train, test)`` datasets of a run or sweep configuration.

    A user file or folder with train and test parts (keras NPZ, IDX folder) gives
    both; one without parts is all training data and ``test`` is None. Without
    ``in_memory``, training images kept in a store on disk stay there
    (:func:`pixelmeans.data.load_dataset`).
    """
    from pixelmeans.data import load_dataset, load_path
    from pixelmeans.data.load import load_test_split

    if config.data is not None:
        # A test part that is there but broken is an error, not a run without a test split.
        return load_path(config.data, split="train"), load_test_split(config.data)
    train = load_dataset(config.dataset, split="train", in_memory=in_memory)
    test = load_dataset(config.dataset, split="test")
    return train, test


@dataclass
class RunResult:
    """Everything one run computed; nothing of it is written until :meth:`save`.

    Attributes
    ----------
    config : RunConfig
    k : int
        Clusters asked for (the model may have fewer after dropped ones).
    train, test : Dataset (test may be None)
    transformer : fitted feature transformer
    features : TrainFeatures, shape (n_train, d)
        The features k-means was fitted on (:mod:`pixelmeans.train_features`): for
        pixel features the uint8 images themselves, in memory or on disk; indexing
        gives float32 features of the rows asked for.
    model : KMeans
        The best restart, with ``history_``, in the features' units.
    restarts : list of dict
        One record per restart (:func:`pixelmeans.restarts.fit_restarts`).
    metrics : dict
        ``{"train": ..., "test": ...}`` of :func:`pixelmeans.evaluate.evaluate`; empty
        without labels.
    mapping, purity : ndarray (k_out,) or None
        Majority label and purity of each cluster (None without labels).
    sizes : ndarray of int64, shape (k_out,)
    nearest, farthest : list of ndarray of int64
        Per cluster, indices of its nearest images and of its farthest members.
    init : dict
        Where the initial centroids came from.
    warnings : list of str
        What looks wrong with the result (e.g. most centroids dropped).
    units : dict
        Units of every file :meth:`save` writes.
    clock : Stopwatch
        Seconds per stage.
    silhouette : tuple of (values, labels, indices) or None
        :func:`pixelmeans.evaluate.sample_silhouettes` of the training features on a
        fixed random sample of :data:`SILHOUETTE_SAMPLE` images; None when fewer than
        2 clusters remain.
    """

    config: RunConfig
    k: int
    train: object
    test: object
    transformer: object
    features: object
    model: object
    restarts: list
    metrics: dict
    mapping: np.ndarray | None
    purity: np.ndarray | None
    sizes: np.ndarray
    nearest: list
    farthest: list
    init: dict
    warnings: list
    units: dict
    clock: Stopwatch
    silhouette: tuple | None = None

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.train.images.shape[1:])

    def centroid_images(self) -> np.ndarray:
        """Each centroid as an image in [0, 1]: float32 ``(k_out, h, w)``."""
        from pixelmeans.members import centroid_pictures

        k_out = self.model.cluster_centers_.shape[0]
        return centroid_pictures(self.model, self.transformer, self.train.images,
                                 self.model.labels_, k_out).reshape(k_out, *self.image_shape)

    def captions(self) -> list[str]:
        """``label · purity · n=size`` of each cluster (``#j · n=size`` without labels)."""
        names = self.train.class_names
        out = []
        for j, size in enumerate(self.sizes):
            if self.mapping is not None and self.mapping[j] >= 0:
                out.append(f"{names[self.mapping[j]]} · {self.purity[j]:.2f} · n={size}")
            else:
                out.append(f"#{j} · n={size}")
        return out

    def plot_centroids(self):
        """The centroid grid (``centroids.png``) as a matplotlib Figure."""
        from pixelmeans import plots

        images = self.centroid_images()
        return plots.centroid_grid(images, self.captions(), title=f"{len(images)} centroids")

    def plot_confusion(self):
        """Clusters against true labels (``confusion.png``); None without labels."""
        from pixelmeans.figures import confusion_figure

        return confusion_figure(self)

    def plot_members(self):
        """Each centroid's nearest images and farthest members (``members.png``)."""
        from pixelmeans.figures import members_figure

        return members_figure(self)

    def plot_silhouette(self):
        """Each cluster's silhouettes on the fixed sample (``silhouette.png``); None
        with fewer than two clusters."""
        from pixelmeans.figures import silhouette_figure

        return silhouette_figure(self)

    def plot_intercluster(self):
        """The centroids placed by their distances, sized by their clusters (``intercluster.png``)."""
        from pixelmeans.figures import intercluster_figure

        return intercluster_figure(self)

    def figures(self) -> dict[str, bytes]:
        """Every figure of the results folder: ``{relative path: PNG or GIF bytes}``."""
        from pixelmeans.figures import run_figures

        return run_figures(self)

    def summary(self, out=None) -> dict:
        """What summary.json holds (``out``: the folder it is written to, if any)."""
        from pixelmeans.outputs import run_summary

        return run_summary(self, out)

    def save(self, out=None, *, overwrite=None, echo=print) -> Path:
        """Write the complete results folder; return its path.

        ``out`` and ``overwrite`` default to the configuration's.
        """
        from pixelmeans.outputs import default_out, write_run_folder

        out = Path(out if out is not None else self.config.out or default_out(self.config, f"k{self.k}"))
        overwrite = self.config.overwrite if overwrite is None else overwrite
        return write_run_folder(self, out, overwrite=overwrite, echo=echo)


def _check_run_config(config: RunConfig, echo, *, check_output: bool = True) -> None:
    from pixelmeans.centroids import UNITS
    from pixelmeans.outputs import check_out, default_out

    check_fit_config(config)
    if config.centroid_units not in UNITS:
        raise InputError(f"--centroid-units {config.centroid_units}: expected pixels or features")
    if config.map not in MAPS:
        raise InputError(f"--map {config.map}: expected {', '.join(MAPS)}")
    if config.k is not None and config.k < 1:
        raise InputError(f"--k {config.k}: expected a number of clusters of at least 1")
    if check_output and (config.out or config.k is not None):
        check_out(Path(config.out) if config.out else default_out(config, f"k{config.k}"),
                  config.overwrite, echo=echo)


def compute_run(config: RunConfig, *, echo=print, check_output: bool = True) -> RunResult:
    """Load, fit the features and the restarts, and measure the clusters. Writes nothing.

    Parameters
    ----------
    config : RunConfig
    echo : callable(str)
        Where console lines go (``print`` for the CLI; a no-op in tests).
    check_output : bool
        Check the configuration's output folder before any work (the folder is written
        only by :meth:`RunResult.save`).

    Returns
    -------
    RunResult
    """
    from pixelmeans.centroids import collapse_warnings, has_pixel_units, output_units, read_init_file
    from pixelmeans.data.infimnist import read_into_memory
    from pixelmeans.features import PixelFeatures, make_features
    from pixelmeans.members import nearest_and_farthest
    from pixelmeans.outputs import check_out, default_out
    from pixelmeans.train_features import train_features

    _check_run_config(config, echo, check_output=check_output)
    clock = Stopwatch()
    with clock.stage("load"):
        # Training images in a store stay there: pixel features are fitted on them
        # chunk by chunk; other features read them into memory below.
        train, test = load_splits(config, in_memory=False)
    n, h, w = (int(s) for s in train.images.shape)
    n_classes = len(train.class_names) if train.labels is not None else 0
    k = config.k if config.k is not None else (n_classes or 10)
    if k > n:
        raise InputError(f"--k {k}: larger than the {n} images in the data")
    if check_output:
        check_out(Path(config.out) if config.out else default_out(config, f"k{k}"),
                  config.overwrite, echo=echo)
    echo(f"{train.name}: {n} training images of {h}x{w}"
         + (f", {test.images.shape[0]} test images" if test is not None else "")
         + ("" if train.labels is not None else " (no labels)")
         + (" (read from disk chunk by chunk)" if train.is_chunked else ""))

    init = config.init
    with clock.stage("features"):
        transformer = make_features(config.features, random_state=config.seed, **config.feature_options)
        pixel_features = has_pixel_units(transformer)
        if config.centroid_units == "pixels" and not pixel_features:
            raise InputError(f"--centroid-units pixels: only for pixel features, not "
                             f"{config.features}")
        init_info = {"method": init}
        if init not in INIT_NAMES:
            # Before fitting the features, so that a bad file costs nothing.
            init, init_info, message = read_init_file(
                init, n_clusters=k, n_features=h * w, pixel_features=pixel_features,
                features=config.features)
            echo(message)
        if not isinstance(transformer, PixelFeatures):
            train = read_into_memory(train)  # refused when it would not fit
        features = train_features(transformer, train.images)
        X_test = None
        if test is not None:
            X_test = transformer.transform(test.images.reshape(test.images.shape[0], -1))

    with clock.stage("fit"):
        model, restarts = _fit_with_progress(features, k, init, config)
    _say_how_it_ended(model, k, echo)

    with clock.stage("evaluate"):
        nearest, farthest = nearest_and_farthest(features, model.labels_, model)
        metrics, mapping, purity, sizes = _measure(model, train, test, X_test)
        silhouette = _silhouettes(features, model.labels_, config.seed)
    run_warnings = collapse_warnings(k, sizes)
    for line in run_warnings:
        echo(f"warning: {line}")
    units = output_units(pixel_features=pixel_features, csv_units=config.centroid_units,
                         features=config.features)
    return RunResult(config=config, k=k, train=train, test=test, transformer=transformer,
                     features=features, model=model, restarts=restarts, metrics=metrics,
                     mapping=mapping, purity=purity, sizes=sizes, nearest=nearest,
                     farthest=farthest, init=init_info, warnings=run_warnings, units=units,
                     clock=clock, silhouette=silhouette)


def _measure(model, train, test, X_test):
    """``(metrics, mapping, purity, sizes)`` of a fitted model against the labels (the
    test split through the training split's mapping); without labels only the sizes."""
    labels = model.labels_
    k_out = model.cluster_centers_.shape[0]
    sizes = np.bincount(labels, minlength=k_out)
    if train.labels is None:
        return {}, None, None, sizes
    n_classes = len(train.class_names)
    mapping = ev.cluster_label_mapping(labels, train.labels, k_out, n_classes)
    purity, sizes = ev.cluster_purity(labels, train.labels, k_out, n_classes)
    metrics = {"train": ev.evaluate(labels, train.labels, n_clusters=k_out, n_classes=n_classes)}
    if test is not None and test.labels is not None:
        metrics["test"] = ev.evaluate(model.predict(X_test), test.labels, mapping=mapping,
                                      n_clusters=k_out, n_classes=n_classes)
    return metrics, mapping, purity, sizes


def _silhouettes(X, labels, seed):
    """Silhouettes of a fixed random sample drawn with ``seed``, or None when fewer than
    two clusters are left to compare."""
    try:
        return ev.sample_silhouettes(X, labels, sample_size=SILHOUETTE_SAMPLE, random_state=seed)
    except InputError:
        return None


def _fit_with_progress(features, k, init, config):
    """The restarts, with one bar update (or log line) per step and per restart."""
    from pixelmeans.progress import (
        Progress,
        describe_restart,
        describe_step,
        note_first_compile,
        step_postfix,
    )
    from pixelmeans.restarts import fit_restarts

    note_first_compile()

    def progress(record, model):
        bar.step(f"restart {record['restart'] + 1}/{config.n_init}: {describe_restart(record)}",
                 inertia=f"{model.inertia_:.4g}", steps=model.n_iter_)

    def on_step(note):
        bar.show(describe_step(note, config.n_init), **step_postfix(note))

    with Progress(config.n_init, f"k-means k={k}", "restart", leave=False) as bar:
        return fit_restarts(features.data, k=k, n_init=config.n_init, seed=config.seed,
                            init=init, max_iter=config.max_iter, tol=config.tol,
                            empty_clusters=config.empty_clusters, record_history=True,
                            progress=progress, scale=features.scale, on_step=on_step)


def _say_how_it_ended(model, k, echo) -> None:
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


def run(config: RunConfig, *, echo=print) -> Path:
    """Compute a run and write its complete results folder; return the folder's path.

    Parameters
    ----------
    config : RunConfig
    echo : callable(str)
        Where console lines go (``print`` for the CLI; a no-op in tests).
    """
    return compute_run(config, echo=echo).save(echo=echo)

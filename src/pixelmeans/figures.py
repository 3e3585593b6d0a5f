"""Every figure of a run, rendered from its result (arrays in, PNG/GIF bytes out).
"""

from __future__ import annotations

import logging

import numpy as np

from pixelmeans import evaluate as ev
from pixelmeans.errors import InputError
from pixelmeans.members import _is_pixels

logger = logging.getLogger(__name__)

EMBEDDING_SAMPLE = 5000
#: Images of the PCA map's sample that UMAP's map places: below 4096 images UMAP finds
#: the nearest neighbours exactly (no pynndescent to compile), and with 2,000 the map
#: adds about 11 s to MNIST's main job on 2 shared cores, most of it umap-learn's import
#: and compilation (benchmarks/results/run-map-2026-12-03-8e1a7a7.json).
UMAP_SAMPLE = 2000


def map_figures(X, *, labels, true_labels, class_names, seed, umap: bool,
                mapping=None) -> dict[str, bytes]:
    """The features in 2-D, coloured by cluster and by true label, on a sample.

    ``embedding.png``: PCA of ``EMBEDDING_SAMPLE`` training samples drawn with ``seed``
    (the features themselves when they have at most two dimensions).
    ``embedding_umap.png``: UMAP of ``UMAP_SAMPLE`` of those samples, when ``umap`` is
    asked for, the features have more than two dimensions and umap-learn can be
    imported (without it the map is left out, and the debug log says so).

    Parameters
    ----------
    X : ndarray of float32, shape (n_samples, n_features)
        The features k-means was fitted on (pixels / 255 for a pixel run); only the
        sampled rows ``X[indices]`` are read (a TrainFeatures of a store works too).
    labels : ndarray of int, shape (n_samples,)
        Cluster of each sample.
    true_labels : ndarray of int, shape (n_samples,), or None
    mapping : ndarray of int, shape (n_clusters,), optional
        Majority label of each cluster (-1: none): the cluster legend says it beside
        the cluster's number, since the two panels share colours but not meanings.

    Returns
    -------
    dict of {relative path: PNG bytes}
    """
    from pixelmeans import plots
    from pixelmeans.features import embedding_2d

    rng = np.random.default_rng(seed)
    take = np.sort(rng.choice(X.shape[0], min(EMBEDDING_SAMPLE, X.shape[0]), replace=False))
    names = list(class_names) if true_labels is not None else None
    cluster_names = None
    if mapping is not None and names is not None:
        cluster_names = [f"{j} ({names[m]})" if m >= 0 else str(j) for j, m in enumerate(mapping)]
    methods = [("embedding.png", "pca", "PCA", take)]
    if umap and X.shape[1] > 2:
        umap_take = np.sort(rng.choice(take, min(UMAP_SAMPLE, take.size), replace=False))
        methods.append(("embedding_umap.png", "umap", "UMAP", umap_take))
    files = {}
    for name, method, method_name, rows in methods:
        try:
            xy = embedding_2d(X[rows], random_state=seed, method=method)
        except InputError:  # too few samples to map
            break
        except ImportError as err:  # umap-learn is not installed: PCA's map is the run's map
            logger.debug("no UMAP map: %s", err)
            break
        sample = f"{rows.size:,} training images"
        title = f"{method_name} of the features, {sample}" if X.shape[1] > 2 else f"The features, {sample}"
        files[name] = plots.figure_png_bytes(plots.embedding_figure(
            xy, labels[rows], None if true_labels is None else true_labels[rows],
            label_names=names, cluster_names=cluster_names, title=title))
    return files


def learned_feature_figures(transformer, *, flat_train, labels, captions, shape, seed):
    """Decoded centroids and reconstructions, where the features have a decoder.

    Parameters
    ----------
    flat_train : ndarray of uint8, shape (n_samples, h*w)
    labels : ndarray of int, shape (n_samples,)
        Cluster of each sample.

    Returns
    -------
    dict of {relative path: PNG bytes}
    """
    from pixelmeans import plots
    from pixelmeans.features import decoded_centroids, reconstructions

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
    return files


def silhouette_figure(result):
    """Each cluster's silhouettes on the run's sample; None when there are none."""
    from pixelmeans import plots

    if result.silhouette is None:
        return None
    values, labels, _ = result.silhouette
    return plots.silhouette_figure(values, labels, short_captions(result),
                                   title=f"Silhouettes of {values.size:,} training images")


def intercluster_figure(result):
    """The centroids placed in 2-D by their distances, sized by their clusters."""
    from pixelmeans import plots

    return plots.intercluster_distance_figure(result.model.cluster_centers_, result.sizes,
                                              short_captions(result), random_state=result.config.seed)


def short_captions(result) -> list[str]:
    """Each cluster's majority label (``#j`` for one without), for the smaller figures."""
    names = result.train.class_names
    if result.mapping is None:
        return [f"#{j}" for j in range(len(result.sizes))]
    return [f"{names[m]}" if m >= 0 else f"#{j}" for j, m in enumerate(result.mapping)]


def confusion_figure(result):
    """Clusters (ordered by majority label) against true labels; None without labels."""
    from pixelmeans import plots

    if result.mapping is None:
        return None
    names = result.train.class_names
    k_out = len(result.mapping)
    order = np.argsort(result.mapping, kind="stable")
    table = ev.confusion(result.model.labels_, result.train.labels, k_out, len(names))[order]
    row_labels = [f"#{j}→{names[result.mapping[j]] if result.mapping[j] >= 0 else '-'}" for j in order]
    return plots.confusion_figure(table, row_labels, list(names))


def members_figure(result):
    """Each centroid beside its nearest images and its farthest members."""
    from pixelmeans import plots

    groups = [*result.nearest, *result.farthest]
    # One read of every image shown: a store is read a chunk at a time, not an image.
    pictures = np.split(_pictures(result.train.images, np.concatenate(groups)),
                        np.cumsum([len(g) for g in groups])[:-1])
    k = len(result.nearest)
    return plots.members_figure(result.centroid_images(), pictures[:k], pictures[k:],
                                result.captions())


def _pictures(images, indices) -> np.ndarray:
    """Images ``indices`` of an image stack (an array or a chunked one) as float32 in [0, 1]."""
    from pixelmeans.data.store import FlatRows

    indices = np.asarray(indices, dtype=np.int64)
    rows = images[indices] if isinstance(images, np.ndarray) else FlatRows(images).take(indices)
    return rows.reshape(indices.size, *images.shape[1:]).astype(np.float32) / 255.0


def run_figures(result) -> dict[str, bytes]:
    """Render every figure of a run; return ``{relative path: PNG/GIF bytes}``.

    Parameters
    ----------
    result : pixelmeans.run.RunResult
    """
    from pixelmeans import plots

    h, w = result.image_shape
    model, transformer = result.model, result.transformer
    grid = result.centroid_images()
    k_out = grid.shape[0]
    captions = result.captions()
    files: dict[str, bytes] = {}
    files["centroids.png"] = plots.figure_png_bytes(
        plots.centroid_grid(grid, captions, title=f"{k_out} centroids"))
    for j in range(k_out):
        files[f"final/centroid{j:03d}.png"] = plots.image_png(grid[j], vmin=0, vmax=1)

    history = model.history_ or []
    if _is_pixels(transformer) and history:
        first = np.clip(history[0].centers, 0, 1).reshape(-1, h, w)
        for j in range(first.shape[0]):
            files[f"init/centroid{j:03d}.png"] = plots.image_png(first[j], vmin=0, vmax=1)
        if result.config.animation:
            # Long runs are subsampled (dense early, where centroids move most).
            chosen = plots.frame_indices(len(history))
            images = plots.evolution_frames(
                [history[i].centers for i in chosen], [history[i].ids for i in chosen],
                shape=(h, w), steps=[history[i].step for i in chosen], vmin=0, vmax=1)
            files["evolution.gif"] = plots.gif_bytes(images, duration_ms=250)
            for i, img in zip(chosen, images):
                files[f"steps/step{history[i].step:03d}.png"] = plots.pil_png_bytes(img)

    confusion = confusion_figure(result)
    if confusion is not None:
        files["confusion.png"] = plots.figure_png_bytes(confusion)

    train = result.train
    if not _is_pixels(transformer):
        files.update(learned_feature_figures(transformer,
                                             flat_train=train.images.reshape(len(train.images), -1),
                                             labels=model.labels_, captions=captions,
                                             shape=(h, w), seed=result.config.seed))
    silhouette = silhouette_figure(result)
    if silhouette is not None:
        files["silhouette.png"] = plots.figure_png_bytes(silhouette)
    files["intercluster.png"] = plots.figure_png_bytes(intercluster_figure(result))
    # UMAP's map adds about 11 s to a process (umap-learn's import and numba compilation,
    # then the layout of UMAP_SAMPLE images): --map pca leaves it out
    if result.config.map != "none":
        files.update(map_figures(result.features, labels=model.labels_, true_labels=train.labels,
                                 class_names=train.class_names, seed=result.config.seed,
                                 umap=result.config.map == "pca+umap", mapping=result.mapping))

    files["members.png"] = plots.figure_png_bytes(members_figure(result))
    return files

"""Every figure of a run, rendered from its result (arrays in, PNG/GIF bytes out).
"""

from __future__ import annotations

import numpy as np

from pixelmeans import evaluate as ev
from pixelmeans.errors import InputError
from pixelmeans.members import _is_pixels

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

    images = result.train.images
    near = [images[idx].astype(np.float32) / 255.0 for idx in result.nearest]
    far = [images[idx].astype(np.float32) / 255.0 for idx in result.farthest]
    return plots.members_figure(result.centroid_images(), near, far, result.captions())


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

    if not _is_pixels(transformer):
        train = result.train
        files.update(learned_feature_figures(transformer, X=result.X,
                                             flat_train=train.images.reshape(len(train.images), -1),
                                             labels=model.labels_, true_labels=train.labels,
                                             class_names=train.class_names, captions=captions,
                                             shape=(h, w), seed=result.config.seed))

    files["members.png"] = plots.figure_png_bytes(members_figure(result))
    return files

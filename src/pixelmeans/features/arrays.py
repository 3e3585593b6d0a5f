"""Arrays for the plots of learned features (the plots themselves live in pixelmeans.plots)."""

from __future__ import annotations

import importlib.util

import numpy as np
from sklearn.pipeline import Pipeline

from pixelmeans.errors import InputError
from pixelmeans.features._base import as_pixel_matrix, check_features, to_unit_float32
from pixelmeans.features.aeumap import AEUMAP
from pixelmeans.features.autoencoder import AutoencoderFeatures


def _autoencoder_of(transformer):
    """``(prepare, autoencoder)``: the fitted autoencoder in ``transformer`` and the
    function that turns pixels ``(n, d)`` into its input (deskewing them, when a
    :class:`~pixelmeans.features.Deskew` stage comes first)."""
    from pixelmeans.features.deskew import Deskew
    from pixelmeans.features.frozen import FrozenFeatures
    from pixelmeans.features.hog import HOG

    while isinstance(transformer, FrozenFeatures):
        transformer = transformer.features
    name = type(transformer).__name__
    prepare = None
    if isinstance(transformer, Pipeline):
        stages = [step for _, step in transformer.steps[:-1]]
        if any(isinstance(step, HOG) for step in stages):
            raise InputError("this autoencoder reconstructs hog descriptors, not images: nothing to show as images")
        if not all(isinstance(step, Deskew) for step in stages):
            raise InputError(f"{name}: only deskewing may come before an autoencoder whose output is shown")
        prepare = transformer[:-1].transform
        transformer = transformer.steps[-1][1]
    ae = transformer
    if isinstance(transformer, AEUMAP) and hasattr(transformer, "autoencoder_"):
        ae = transformer.autoencoder_
    if not isinstance(ae, AutoencoderFeatures):
        raise InputError(f"{type(transformer).__name__} has no fitted autoencoder to decode with")
    return prepare or as_pixel_matrix, ae


def reconstructions(ae, X, n: int = 10, random_state=0):
    """Pick ``n`` images of ``X`` and pass them through the autoencoder.

    Parameters
    ----------
    ae : AutoencoderFeatures, AEUMAP, or a Pipeline of Deskew stages and one of them
        Fitted (or a FrozenFeatures around one).
    X : ndarray of shape (N, d) or (N, h, w), uint8 or float
        Pixels.
    n : int, default 10
        Images drawn without replacement with ``random_state`` (all of them when N ≤ n).

    Returns
    -------
    orig, recon : ndarray of float32, in [0, 1], shape (n, d) or (n, h, w) as ``X``
        The images and their reconstructions. An autoencoder behind a Deskew stage
        shows the deskewed images as originals: that is what it was asked to
        reconstruct.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelmeans.features import make_features
    >>> X = np.random.default_rng(0).integers(0, 256, (64, 8, 8), dtype=np.uint8)
    >>> t = make_features("deskew+autoencoder:2", hidden=(16,), epochs=1, device="cpu", verbose=False)
    >>> orig, recon = reconstructions(t.fit(X), X, n=3)
    >>> orig.shape, recon.dtype
    ((3, 8, 8), dtype('float32'))
    """
    prepare, ae = _autoencoder_of(ae)
    X = np.asarray(X)
    flat = as_pixel_matrix(X)
    N = flat.shape[0]
    if n < 1:
        raise InputError(f"reconstructions: n must be ≥ 1, got {n}")
    idx = np.arange(N) if N <= n else np.sort(np.random.default_rng(random_state).choice(N, n, replace=False))
    images = prepare(flat[idx])
    orig = to_unit_float32(images)
    recon = ae.decode(ae.transform(images))
    if X.ndim == 3:
        orig, recon = orig.reshape(-1, *X.shape[1:]), recon.reshape(-1, *X.shape[1:])
    return orig, recon


def decoded_centroids(transformer, X, labels, n_clusters: int | None = None) -> np.ndarray:
    """Decode each cluster's mean autoencoder code into an image.

    For ``autoencoder`` features, the mean code of a cluster is its k-means centroid,
    so this is the decoded centroid; for ``ae+umap`` it is the decoded mean code of the
    members. ``X``: ``(N, d)``/``(N, h, w)`` pixels; ``labels``: ``(N,)`` int cluster
    ids in ``0..k-1``. Returns float32 ``(k, d)`` in [0, 1]; rows of empty clusters are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelmeans.features import AutoencoderFeatures
    >>> X = np.random.default_rng(0).integers(0, 256, (64, 8, 8), dtype=np.uint8)
    >>> ae = AutoencoderFeatures(n_components=2, hidden=(16,), epochs=1, device="cpu", verbose=False).fit(X)
    >>> decoded_centroids(ae, X, np.arange(64) % 3).shape
    (3, 64)
    """
    prepare, ae = _autoencoder_of(transformer)
    labels = np.asarray(labels)
    flat = as_pixel_matrix(X)
    if labels.shape != (flat.shape[0],):
        raise InputError(f"labels: expected shape ({flat.shape[0]},), got {labels.shape}")
    k = int(n_clusters) if n_clusters is not None else int(labels.max()) + 1
    codes = ae.transform(prepare(flat))
    sums = np.zeros((k, codes.shape[1]), np.float64)
    np.add.at(sums, labels, codes)
    counts = np.bincount(labels, minlength=k)
    means = (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)
    out = ae.decode(means)
    out[counts == 0] = np.nan
    return out


def embedding_2d(Z, random_state=0, method: str = "auto", n_neighbors: int = 15, min_dist: float = 0.1) -> np.ndarray:
    """A 2-D map of features ``Z`` (n, D) for a scatter plot: float32 ``(n, 2)``.

    ``method``: "umap" (umap-learn), "pca", or "auto" (UMAP when umap-learn is installed
    and D > 2, else PCA). ``Z`` with D == 2 is returned as float32 unchanged; D == 1 gets
    a zero second column. Pixels are features too: for a run on pixels, pass the
    ``(n, h*w)`` float32 matrix k-means was fitted on (PCA takes about a second on 5,000
    MNIST images). For large n, subsample before calling: UMAP on 70k points
    takes a minute or two on two cores.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.random.default_rng(0).normal(size=(50, 8))
    >>> xy = embedding_2d(Z, method="pca")
    >>> xy.shape, xy.dtype
    ((50, 2), dtype('float32'))
    """
    Z = check_features(Z, name="Z")
    n, D = Z.shape
    if D <= 2:
        return Z if D == 2 else np.hstack([Z, np.zeros_like(Z)])
    if n < 2:
        raise InputError(f"embedding_2d: Z needs at least 2 rows to be mapped to 2-D, got {n}")
    if method == "auto":
        method = "umap" if importlib.util.find_spec("umap") is not None and n > n_neighbors else "pca"
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=random_state).fit_transform(Z).astype(np.float32)
    if method == "umap":
        from pixelmeans.features.umap import UMAPFeatures

        return UMAPFeatures(n_components=2, n_neighbors=n_neighbors, min_dist=min_dist,
                            random_state=random_state).fit_transform(Z)
    raise InputError(f"embedding_2d: method must be 'auto', 'umap' or 'pca', got {method!r}")

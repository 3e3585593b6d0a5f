"""What ``pixelmeans run`` and ``pixelmeans sweep`` are asked, and its validation.

Every option is checked here before any data is read or any file is created, so a
bad option costs nothing and leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pixelmeans.errors import InputError

INIT_NAMES = ("k-means++", "k-means||", "random", "random-points")
EMPTY_CLUSTERS = ("relocate", "drop", "keep")
#: The 2-D maps a run may draw: PCA and UMAP (UMAP when umap-learn is installed), PCA
#: alone, or neither.
MAPS = ("pca+umap", "pca", "none")


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
    empty_clusters: str = "relocate"
    seed: int = 0
    features: str = "pixels"
    feature_options: dict = field(default_factory=dict)
    out: str | None = None
    overwrite: bool = False


@dataclass
class RunConfig(FitConfig):
    """What ``pixelmeans run`` was asked to do (every field ends up in summary.json)."""

    k: int | None = None
    animation: bool = True
    centroid_units: str = "features"
    map: str = "pca+umap"


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
    if config.empty_clusters not in EMPTY_CLUSTERS:
        raise InputError(f"--empty-clusters {config.empty_clusters}: expected {', '.join(EMPTY_CLUSTERS)}")
    if Path(config.features).is_file():
        if config.feature_options:
            raise InputError(f"--set: a saved embedding ({config.features}) is used as it was trained")
    else:
        from pixelmeans.features import make_features

        # raises InputError on an unknown spec or parameter
        make_features(config.features, **config.feature_options)


def parse_feature_options(items) -> dict:
    """``["clr_arch=conv", "ae_epochs=15"]`` -> ``{"clr_arch": "conv", "ae_epochs": 15}``.

    Values are read as ``true``/``false``, ``none``, an integer, a number, or else a
    string. Raises InputError for an item without ``=``.
    """
    options = {}
    for item in items:
        key, sep, text = str(item).partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item}: expected KEY=VALUE, e.g. --set ae_epochs=15")
        options[key.strip()] = _value(text.strip())
    return options


def _value(text: str):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text

"""pixelmeans: k-means on MNIST-family image data, with centroids you can look at.

The public API is re-exported here; submodules are implementation detail unless
documented otherwise.

The re-exports are imported on first use (PEP 562), so that ``import pixelmeans``
and the command line's ``--help`` do not pay for scikit-learn and numba.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from pixelmeans.errors import InputError, MissingDependencyError

try:
    # pyproject.toml holds the version; the installed metadata is its one copy here.
    __version__ = version("pixelmeans")
except PackageNotFoundError:  # a source tree put on sys.path without installing it
    __version__ = "0+unknown"

#: Public name -> the module it lives in.
_LAZY = {
    "KMeans": "pixelmeans.cluster",
    "KMeansStep": "pixelmeans.cluster",
    "MiniBatchKMeans": "pixelmeans.cluster",
    "kmeans_plusplus": "pixelmeans.cluster",
    "read_centroids": "pixelmeans.cluster",
    "write_centroids": "pixelmeans.cluster",
    "Dataset": "pixelmeans.data",
    "fetch_dataset": "pixelmeans.data",
    "load_dataset": "pixelmeans.data",
    "load_path": "pixelmeans.data",
}

__all__ = ["InputError", "MissingDependencyError", "__version__", *_LAZY]

if TYPE_CHECKING:  # what type checkers and editors see; nothing is imported at run time
    from pixelmeans.cluster import (KMeans, KMeansStep, MiniBatchKMeans, kmeans_plusplus, read_centroids,
                                    write_centroids)
    from pixelmeans.data import Dataset, fetch_dataset, load_dataset, load_path


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pixelmeans' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

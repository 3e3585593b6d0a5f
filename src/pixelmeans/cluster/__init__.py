"""The k-means engine: a scikit-learn-compatible ``KMeans`` that can remember its steps.

Public here: :class:`KMeans`, :class:`MiniBatchKMeans`, :class:`KMeansStep` (one record of ``KMeans.history_``),
:func:`k_means` (scikit-learn's function form), :func:`kmeans_plusplus`, :func:`write_centroids` and :func:`read_centroids`.

Layout, in the style of scikit-learn's ``sklearn/cluster/_kmeans.py``: a thin
estimator (``estimator.py``, the only place that validates) over pure functions of
arrays: initialisation (``init.py``), one run of Lloyd's iteration (``lloyd.py``),
the M-step and empty-cluster policies (``update.py``) and the compiled per-step
kernels (``kernels.py``: Lloyd's; ``bounds.py``: Hamerly, Yinyang, Elkan), which
share the primitives of ``_common.py`` and nothing else. A faster exact step kernel
plugs in through ``lloyd.KERNELS`` without changes elsewhere.
"""

from pixelmeans.cluster.estimator import KMeans, MiniBatchKMeans, k_means
from pixelmeans.cluster.history import KMeansStep
from pixelmeans.cluster.init import kmeans_plusplus
from pixelmeans.cluster.io import read_centroids, write_centroids

__all__ = ["KMeans", "KMeansStep", "MiniBatchKMeans", "k_means", "kmeans_plusplus", "read_centroids", "write_centroids"]

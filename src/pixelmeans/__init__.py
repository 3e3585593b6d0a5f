"""pixelmeans: k-means on MNIST-family image data, with centroids you can look at.

The public API is re-exported here; submodules are implementation detail unless
documented otherwise.
"""

__version__ = "0.1.0"

from pixelmeans.errors import InputError, MissingDependencyError
from pixelmeans.cluster import KMeans, KMeansStep, MiniBatchKMeans, kmeans_plusplus, read_centroids, write_centroids
from pixelmeans.data import Dataset, fetch_dataset, load_dataset, load_path

__all__ = ["InputError", "MissingDependencyError", "__version__"]
__all__ += ["Dataset", "fetch_dataset", "load_dataset", "load_path"]
__all__ += ["KMeans", "KMeansStep", "MiniBatchKMeans", "kmeans_plusplus", "read_centroids", "write_centroids"]

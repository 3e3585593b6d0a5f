"""Helpers of the k-means engine tests: brute-force references and constructed data."""

import numpy as np


def brute_sqdist(X, centers):
    """Squared distances (n, k) in float64, the obvious way."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centers, dtype=np.float64)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)


def blobs(n=60, d=2, centers=3, seed=0, spread=0.5, scale=10.0):
    """Well-separated Gaussian blobs, float64 (n, d)."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-scale, scale, size=(centers, d))
    which = rng.integers(0, centers, size=n)
    return means[which] + rng.normal(scale=spread, size=(n, d))


# A constructed case (found by search, 2-D integer points): from these 12 initial
# centroids one centroid (id 1) loses all its points at step 2.
DROP_X = np.array([[2, 8], [9, 7], [1, 2], [5, 4], [2, 8], [8, 2], [6, 7], [6, 9], [4, 1],
                   [4, 0], [9, 0], [4, 3], [6, 7], [0, 2], [5, 6], [7, 4], [4, 1], [7, 1],
                   [6, 3], [1, 8], [4, 0], [0, 5], [0, 6], [6, 6]], dtype=float)
DROP_INIT = np.array([[7.0, 1.5], [-0.5, 2.5], [5.5, 7.5], [6.5, 9.5], [5.5, 3.5], [1.5, 8.0],
                      [0.5, 7.5], [4.5, 1.5], [3.5, 2.5], [1.5, 1.5], [7.5, 1.5], [2.0, 8.5]])

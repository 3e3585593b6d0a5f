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
# centroids one centroid (id 1) loses all its points at step 2. No distance ties
# exactly at any step of any policy, so the result does not depend on how a kernel
# breaks ties (scikit-learn's gemm breaks exact ties by rounding noise).
DROP_X = np.array([[8, 2], [6, 1], [9, 8], [0, 6], [3, 8], [8, 2], [1, 2], [7, 3], [8, 8],
                   [1, 5], [3, 6], [1, 9], [0, 2], [3, 4], [8, 3], [7, 9], [2, 3], [1, 1],
                   [2, 8], [2, 0], [3, 7], [1, 8], [3, 3], [9, 0]], dtype=float)
DROP_INIT = np.array([[2.5, 1.5], [4.5, 4.5], [3.0, -0.5], [6.5, 7.5], [9.0, 7.5], [1.0, 5.5],
                      [1.5, 9.5], [8.0, 0.0], [-0.5, 6.0], [5.0, 7.0], [4.0, 1.0], [9.5, 5.0]])

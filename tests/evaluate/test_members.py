"""Each cluster's nearest images and farthest members, found a block of rows at a time."""

import numpy as np
import pytest

from pixelmeans import KMeans
from pixelmeans.members import member_means, nearest_and_farthest


def _whole(X, labels, model, n):
    """The same, from the whole n x k matrix of distances at once."""
    d = model.transform(X)
    nearest = [np.argsort(d[:, j], kind="stable")[:n] for j in range(d.shape[1])]
    farthest = []
    for j in range(d.shape[1]):
        members = np.flatnonzero(labels == j)
        farthest.append(members[np.argsort(-d[members, j], kind="stable")][:n])
    return nearest, farthest


@pytest.mark.parametrize("block_rows", [7, 64, 1000])
def test_blocks_find_what_the_whole_matrix_finds(block_rows):
    rng = np.random.default_rng(0)
    X = rng.random((300, 5)).astype(np.float32)
    model = KMeans(6, random_state=0, n_init=1).fit(X)
    labels = model.labels_.copy()
    labels[labels == 5] = 4  # an empty cluster: no farthest members
    got = nearest_and_farthest(X, labels, model, n=8, block_rows=block_rows)
    want = _whole(X, labels, model, 8)
    for g, w in zip(got, want):
        assert [a.tolist() for a in g] == [b.tolist() for b in w]
    assert got[1][5].size == 0 and all(a.dtype == np.int64 for a in got[0] + got[1])


def test_fewer_points_than_asked_for():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    model = KMeans(2, init=X[[0, 5]], n_init=1).fit(X)  # centroids: points 1 and 4
    nearest, farthest = nearest_and_farthest(X, model.labels_, model, n=8, block_rows=4)
    # every point, each cluster's own first; equal distances in row order
    assert [a.tolist() for a in nearest] == [[1, 0, 2, 3, 4, 5], [4, 3, 5, 2, 1, 0]]
    assert [a.tolist() for a in farthest] == [[0, 2, 1], [3, 5, 4]]


def test_member_means_by_blocks_of_an_image_stack():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(50, 3, 4), dtype=np.uint8)
    labels = rng.integers(0, 3, size=50)
    means = member_means(images, labels, 4, block_rows=7)
    for j in range(3):
        np.testing.assert_allclose(means[j], images[labels == j].reshape(-1, 12).mean(0) / 255, rtol=1e-6)
    assert not means[3].any() and means.dtype == np.float32

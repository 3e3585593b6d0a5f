"""Sparse input (CSR, CSC) gives the result of its dense equal, in every method."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans import KMeans, MiniBatchKMeans, kmeans_plusplus
from pixelmeans.cluster import _validation

from cluster_helpers import blobs


def sparse_blobs(dtype):
    X = blobs(n=300, d=12, centers=5, seed=1, spread=1.0)
    X[np.abs(X) < 4] = 0  # about half the entries
    return X.astype(dtype)


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kmeans_on_sparse_equals_dense(fmt, dtype):
    X = sparse_blobs(dtype)
    w = np.random.default_rng(0).uniform(0.5, 2, len(X))
    dense = KMeans(5, random_state=0, n_init=2).fit(X, sample_weight=w)
    sparse = KMeans(5, random_state=0, n_init=2).fit(fmt(X), sample_weight=w)
    assert_array_equal(sparse.labels_, dense.labels_)
    assert sparse.inertia_ == dense.inertia_
    assert sparse.n_iter_ == dense.n_iter_
    assert_array_equal(sparse.cluster_centers_, dense.cluster_centers_)
    assert sparse.cluster_centers_.dtype == dtype
    assert_array_equal(sparse.predict(fmt(X)), dense.labels_)
    assert_allclose(sparse.transform(fmt(X)), dense.transform(X), rtol=1e-6)
    assert sparse.score(fmt(X), sample_weight=w) == pytest.approx(dense.score(X, sample_weight=w),
                                                                  rel=1e-9)


def test_predict_on_sparse_goes_by_blocks_of_rows(monkeypatch):
    # Blocks of a few rows: the same labels, distances and score as all at once.
    X = sparse_blobs(np.float64)
    km = KMeans(5, random_state=0).fit(X)
    monkeypatch.setattr(_validation, "DENSE_BLOCK_BYTES", 7 * 12 * 8)
    blocks = list(_validation.dense_row_blocks(sp.csr_matrix(X)))
    assert len(blocks) == -(-len(X) // 7) and all(b.shape[0] <= 7 for b in blocks)
    assert_array_equal(km.predict(sp.csr_matrix(X)), km.labels_)
    assert_allclose(km.transform(sp.csc_matrix(X)), km.transform(X), rtol=1e-12)
    assert km.score(sp.csr_matrix(X)) == pytest.approx(-km.inertia_, rel=1e-9)


def test_minibatch_and_plusplus_on_sparse_equal_dense():
    X = sparse_blobs(np.float64)
    a = MiniBatchKMeans(5, random_state=0, batch_size=50).fit(X)
    b = MiniBatchKMeans(5, random_state=0, batch_size=50).fit(sp.csr_matrix(X))
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a.labels_, b.labels_)
    b.partial_fit(sp.csr_matrix(X[:40]))
    c1, i1 = kmeans_plusplus(X, 5, random_state=3)
    c2, i2 = kmeans_plusplus(sp.csc_matrix(X), 5, random_state=3)
    assert_array_equal(i1, i2)
    assert_array_equal(c1, c2)

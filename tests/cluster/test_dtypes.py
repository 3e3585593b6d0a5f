"""uint8 and float32 stay cheap: no float copy of X, float32 in -> float32 out."""

import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from pixelmeans import KMeans

from cluster_helpers import blobs


def pixels(n=400, d=16, seed=0):
    rng = np.random.default_rng(seed)
    proto = rng.integers(0, 256, size=(4, d))
    return np.clip(proto[rng.integers(0, 4, n)] + rng.integers(-30, 30, size=(n, d)),
                   0, 255).astype(np.uint8)


def test_uint8_fits_as_the_same_numbers_in_float32():
    Xu = pixels()
    a = KMeans(4, random_state=0).fit(Xu)
    b = KMeans(4, random_state=0).fit(Xu.astype(np.float32))
    assert a.cluster_centers_.dtype == np.float32
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_
    assert_array_equal(a.predict(Xu), a.labels_)
    assert a.transform(Xu).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_in_dtype_out(dtype):
    X = blobs(n=100, d=4, centers=3).astype(dtype)
    km = KMeans(3, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == dtype
    assert km.transform(X).dtype == dtype


def test_integers_other_than_uint8_become_float64():
    X = (blobs(n=100, d=4, centers=3) * 10).astype(np.int64)
    km = KMeans(3, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_no_float_copy_of_the_data(dtype):
    # 20000 x 64: a float64 copy would be 10 MB (uint8 data: 1.3 MB itself).
    X = pixels(n=20000, d=64, seed=1).astype(dtype)
    KMeans(8, random_state=0, max_iter=3).fit(X)  # compile outside the measurement
    tracemalloc.start()
    try:
        KMeans(8, random_state=0, max_iter=20, record_history=True).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.25 * X.size * 8, f"peak {peak / 1e6:.1f} MB during fit"


def test_x_is_not_modified_and_not_copied_when_contiguous():
    X = pixels()
    before = X.copy()
    km = KMeans(4, random_state=0, copy_x=False).fit(X)
    assert_array_equal(X, before)
    assert km.n_features_in_ == X.shape[1]


def test_fortran_ordered_and_read_only_input():
    X = np.asfortranarray(blobs(n=100, d=4, centers=3))
    ref = KMeans(3, random_state=0).fit(np.ascontiguousarray(X))
    km = KMeans(3, random_state=0).fit(X)
    assert_array_equal(km.labels_, ref.labels_)
    ro = np.ascontiguousarray(X)
    ro.setflags(write=False)
    assert_array_equal(KMeans(3, random_state=0).fit(ro).labels_, ref.labels_)

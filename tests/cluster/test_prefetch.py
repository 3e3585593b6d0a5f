"""The prefetch hint compiles for every row layout the kernels read and changes nothing."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from pixelmeans.cluster._prefetch import prefetch_row


@njit
def _rows_sum_with_prefetch(X, order):
    total = 0.0
    for j in range(order.shape[0]):
        if j + 1 < order.shape[0]:
            prefetch_row(X, order[j + 1])
        for v in X[order[j]]:
            total += v
    return total


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("d", [1, 7, 64, 785])  # rows shorter than, equal to, across lines
def test_prefetch_is_only_a_hint(dtype, d):
    rng = np.random.default_rng(d)
    X = rng.integers(0, 255, size=(50, d)).astype(dtype)
    order = rng.permutation(50).astype(np.int32)
    assert _rows_sum_with_prefetch(X, order) == X.astype(np.float64).sum()


def test_prefetch_wants_a_2d_array():
    @njit
    def bad(x):
        prefetch_row(x, 0)

    with pytest.raises(TypingError):
        bad(np.zeros(5))

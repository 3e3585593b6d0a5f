import numpy as np
import pytest

from pixelmeans.errors import InputError
from pixelmeans.plots import knee_point


def test_docstring_example():
    assert knee_point([1, 2, 3, 4, 5, 6, 7, 8], [100, 40, 15, 12, 10, 9, 8, 7.5]) == 3


def test_synthetic_elbow_with_known_knee():
    # two straight pieces: steep down to k=6, then nearly flat
    ks = np.arange(1, 21)
    values = np.where(ks <= 6, 1000 - 150 * (ks - 1), 250 - 5 * (ks - 6)).astype(float)
    k = knee_point(ks, values)
    assert k == 6 and type(k) is int


def test_inverse_curve_knee_is_early_and_order_does_not_matter():
    ks = np.array([2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30, 40])
    inertia = 1e6 / ks + 1e4
    k = knee_point(ks, inertia)
    assert 4 <= k <= 10
    perm = np.random.default_rng(0).permutation(ks.size)
    assert knee_point(ks[perm], inertia[perm]) == k


def test_rising_concave_curve():
    ks = np.arange(1, 30)
    acc = 1 - np.exp(-ks / 4)
    assert 4 <= knee_point(ks, acc) <= 10


def test_log_x_for_geometric_k():
    ks = 2 ** np.arange(1, 9)  # 2 .. 256
    values = 1 / np.log(ks) + np.where(ks >= 32, 0.0, (32 - ks) / 100)
    assert knee_point(ks, values, log_x=True) in set(ks.tolist())


@pytest.mark.parametrize("ks, values", [
    ([1, 2, 3, 4], [4, 3, 2, 1]),        # straight line
    ([1, 2], [10, 1]),                   # too few points
    ([1, 2, 3], [5, 5, 5]),              # flat
    ([1, 2, 3, 4], [10, 9.9, 9, 1]),     # bends the other way (concave falling)
])
def test_no_knee(ks, values):
    assert knee_point(ks, values, curve="convex") is None


def test_nan_ignored_and_bad_input():
    assert knee_point([1, 2, 3, 4, 5, 6], [100, 30, np.nan, 10, 8, 7]) == 2
    with pytest.raises(InputError):
        knee_point([1, 2, 3], [1, 2])
    with pytest.raises(InputError):
        knee_point([1, 1, 2], [3, 2, 1])
    with pytest.raises(InputError):
        knee_point([1, 2, 3], [3, 2, 1], curve="wiggly")

"""Thread counts: KMeans(n_threads=...), threadpoolctl's limits and ``--threads``."""

import numba
import pytest
from numpy.testing import assert_array_equal
from threadpoolctl import threadpool_limits

from pixelmeans import KMeans, MiniBatchKMeans
from pixelmeans.cli import _thread_limit, build_parser
from pixelmeans.cluster._threads import effective_n_threads, limit_threads

from cluster_helpers import blobs

X = blobs(n=3000, d=8, centers=5, seed=4, spread=2.0)


def threads_seen_by_a_fit(**params):
    seen = set()
    KMeans(5, random_state=0, callback=lambda step: seen.add(numba.get_num_threads()),
           **params).fit(X)
    return seen


def test_threadpool_limits_reach_the_kernels():
    with threadpool_limits(limits=1):
        assert effective_n_threads() == 1
        assert threads_seen_by_a_fit() == {1}
    assert threads_seen_by_a_fit() == {effective_n_threads()}


def test_n_threads_wins_and_is_restored():
    before = numba.get_num_threads()
    assert threads_seen_by_a_fit(n_threads=1) == {1}
    assert numba.get_num_threads() == before
    with limit_threads(1) as n:
        assert n == 1 and numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


def test_result_does_not_depend_on_threads():
    for cls in (KMeans, MiniBatchKMeans):
        one = cls(5, random_state=0, n_threads=1).fit(X)
        many = cls(5, random_state=0, n_threads=numba.config.NUMBA_NUM_THREADS).fit(X)
        assert_array_equal(one.labels_, many.labels_)
        assert_array_equal(one.cluster_centers_, many.cluster_centers_)


def test_n_threads_is_checked():
    with pytest.raises(ValueError, match="n_threads must be >= 1"):
        KMeans(2, n_threads=0).fit(X)


def test_cli_threads_option():
    args = build_parser().parse_args(["run", "--threads", "1"])
    assert args.threads == 1
    with _thread_limit(args.threads):
        assert effective_n_threads() == 1
        assert threads_seen_by_a_fit() == {1}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--threads", "0"])

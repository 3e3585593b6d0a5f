"""How many threads the kernels use, and BLAS kept single-threaded inside them.

The compiled kernels call BLAS (``gemm``) from inside their parallel loop, as
scikit-learn's do; a multi-threaded BLAS there would oversubscribe the cores.
"""

from __future__ import annotations

import contextlib
import threading

_lock = threading.Lock()
_controller = None
_state = threading.local()


def _get_controller():
    global _controller
    with _lock:
        if _controller is None:
            # numba's np.dot calls the BLAS behind scipy.linalg.cython_blas: load it
            # first so that the controller sees that library too.
            import scipy.linalg.cython_blas  # noqa: F401
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        return _controller


@contextlib.contextmanager
def blas_single_thread():
    """Context manager: BLAS limited to one thread inside, restored on exit.

    Re-entrant: only the outermost entry changes the limit. Enter it once around a
    whole fit rather than around each step: setting OpenBLAS back to several threads
    wakes its threads, which then spin and steal the cores from the next step.
    """
    depth = getattr(_state, "depth", 0)
    if depth:
        _state.depth = depth + 1
        try:
            yield
        finally:
            _state.depth -= 1
        return
    try:
        limiter = _get_controller().limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or broken: run as is
        limiter = contextlib.nullcontext()
    _state.depth = 1
    try:
        with limiter:
            yield
    finally:
        _state.depth = 0


def effective_n_threads(n_threads=None) -> int:
    """Threads the compiled kernels may use.

    ``n_threads`` when given (capped at numba's pool size); otherwise the smallest
    limit that threadpoolctl reports over the thread pools loaded in the process
    (OpenMP and BLAS), so that ``with threadpool_limits(1): km.fit(X)`` runs on one
    core, as scikit-learn's do; numba's pool size when nothing limits.
    """
    import numba

    pool = int(numba.config.NUMBA_NUM_THREADS)
    if n_threads is not None:
        return max(1, min(int(n_threads), pool))
    limits = []
    try:
        for info in _get_controller().info():
            if info.get("user_api") in ("openmp", "blas") and info.get("num_threads"):
                limits.append(int(info["num_threads"]))
    except Exception:  # pragma: no cover - threadpoolctl missing or broken
        pass
    return max(1, min([pool, *limits]))


@contextlib.contextmanager
def limit_threads(n_threads=None):
    """Context manager: the compiled kernels run on :func:`effective_n_threads` threads.

    numba's thread count is per calling thread; it is restored on exit. The BLAS
    called inside the kernels stays single-threaded anyway (:func:`blas_single_thread`).
    """
    import numba

    n = effective_n_threads(n_threads)
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(before)

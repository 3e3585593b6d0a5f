"""Keep BLAS single-threaded while the kernels run their own threads over chunks.

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

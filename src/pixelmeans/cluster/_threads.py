"""Keep BLAS single-threaded while the kernels run their own threads over chunks.

The compiled kernels call BLAS (``gemm``) from inside their parallel loop, as
scikit-learn's do; a multi-threaded BLAS there would oversubscribe the cores.
"""

from __future__ import annotations

import contextlib
import threading

_lock = threading.Lock()
_controller = None


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


def blas_single_thread():
    """Context manager: BLAS limited to one thread inside, restored on exit."""
    try:
        return _get_controller().limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or broken: run as is
        return contextlib.nullcontext()

"""Progress of the long loops: a bar on a terminal, log lines anywhere else.

tqdm draws nothing when stderr is not a terminal (a file, a CI log, a notebook's
stream), which would leave a run silent for minutes; there, each finished unit is
logged at INFO on the ``pixelmeans`` logger instead. The command line shows INFO by
default (``-q`` hides it); a library user sees the lines after
``logging.basicConfig(level=logging.INFO)``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

COMPILE_NOTE = "compiling kernels (first run only, about 30 s)"


class Progress:
    """A tqdm bar on a terminal; one INFO log line per step elsewhere.

    Parameters
    ----------
    total : int
        Steps in all.
    desc, unit : str
        The bar's label and unit.
    initial : int
        Steps already done (a resumed sweep).
    leave : bool
        Keep the finished bar on the terminal.
    """

    def __init__(self, total: int, desc: str, unit: str, *, initial: int = 0, leave: bool = True):
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, disable=None,
                         file=sys.stderr, leave=leave)

    def step(self, line: str, **postfix) -> None:
        """One step done: ``line`` is logged off a terminal, ``postfix`` shown on the bar."""
        if self._bar.disable:
            logger.info(line)
        else:
            if postfix:
                self._bar.set_postfix(**postfix, refresh=False)
            self._bar.update(1)

    def show(self, line: str | None = None, **postfix) -> None:
        """Show ``postfix`` on the bar without a step done; off a terminal, ``line``
        (when given) is logged instead."""
        if not self._bar.disable:
            self._bar.set_postfix(**postfix)
        elif line is not None:
            logger.info(line)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def describe_restart(record: dict) -> str:
    """``inertia 2.353e+06, 34 steps, 1.2 s`` of a restart record of `fit_restarts`."""
    return f"inertia {record['inertia']:.4g}, {record['n_iter']} steps, {record['fit_time']:.1f} s"


def describe_step(note, n_init: int) -> str:
    """``restart 1/5, step 3: inertia 2.353e+06, 1,234 points changed, 0.41 s`` of a
    :class:`pixelmeans.restarts.StepNote` (``, 2 workers`` on a Dask cluster; step 0
    is the initial centroids)."""
    head = f"restart {note.restart + 1}/{n_init}, step {note.step}: "
    workers = "" if note.n_workers is None else f", {note.n_workers} workers"
    if note.step == 0:
        return f"{head}initial centroids, {note.seconds:.2f} s{workers}"
    return (f"{head}inertia {note.inertia:.4g}, {note.n_changed:,} points changed, "
            f"{note.seconds:.2f} s{workers}")


def step_postfix(note) -> dict:
    """What the bar shows of a step: its number, time, inertia and points changed."""
    postfix = {"step": note.step, "step_s": f"{note.seconds:.2f}"}
    if note.step:
        postfix.update(inertia=f"{note.inertia:.4g}", changed=f"{note.n_changed:,}")
    if note.n_workers is not None:
        postfix["workers"] = note.n_workers
    return postfix


def kernels_compiled() -> bool:
    """Whether numba's cache holds the k-means kernels (False in a fresh environment).

    Looks for numba's cache index files (``*.nbi``) where numba keeps them for the
    kernel modules (``cluster/__pycache__``, or under ``NUMBA_CACHE_DIR``); nothing is
    compiled or loaded. True when numba's cache cannot be inspected, so that nothing
    wrong is said.
    """
    folder = _kernel_cache_folder()
    return folder is None or (folder.is_dir() and any(folder.glob("*.nbi")))


def _kernel_cache_folder() -> Path | None:
    """Where numba caches the k-means kernels; None when its cache cannot be inspected."""
    from numba.core.registry import CPUDispatcher

    from pixelmeans.cluster import kernels

    for obj in vars(kernels).values():
        # Dispatcher._cache is numba's own; its cache_path is public on numba's caches.
        cache_path = getattr(getattr(obj, "_cache", None), "cache_path", None)
        if isinstance(obj, CPUDispatcher) and cache_path is not None:
            return Path(cache_path)
    return None


def note_first_compile() -> None:
    """Say once, at INFO, that the kernels are being compiled, when they are not cached."""
    compiled = kernels_compiled()
    logger.debug("numba's kernel cache: %s (%s)", _kernel_cache_folder(), "filled" if compiled else "empty")
    if not compiled:
        logger.info(COMPILE_NOTE)

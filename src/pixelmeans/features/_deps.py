"""Guarded imports of the optional ``[deep]`` dependencies (PyTorch, umap-learn).

Without them, ``pixels`` and ``pca`` features work; asking for a deep feature raises
:class:`pixelmeans.errors.MissingDependencyError` with the exact install command.
"""

from __future__ import annotations

import importlib

from pixelmeans.errors import MissingDependencyError

TORCH_PIN = "torch==2.13.0"
INSTALL_HINT = "pip install 'pixelmeans[deep]'"


def _missing(what: str, package: str, extra_hint: str, err: BaseException) -> MissingDependencyError:
    return MissingDependencyError(
        f"{what} needs {package}, which is not installed ({err}). "
        f"Install it with: {INSTALL_HINT}{extra_hint}"
    )


def require_torch(what: str = "autoencoder features"):
    """Import and return ``torch``, or raise MissingDependencyError with the install hint."""
    try:
        return importlib.import_module("torch")
    except ImportError as err:
        raise _missing(what, "PyTorch", f"  (or only PyTorch: pip install {TORCH_PIN})", err) from None


def require_umap(what: str = "umap features"):
    """Import and return the ``umap`` module (umap-learn), or raise MissingDependencyError."""
    try:
        return importlib.import_module("umap")
    except ImportError as err:
        raise _missing(what, "umap-learn", "  (or only umap: pip install umap-learn)", err) from None

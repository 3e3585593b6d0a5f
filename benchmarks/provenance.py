"""What every benchmark result records about where it came from.

Each script in this folder puts :func:`provenance` into its JSON output, so that a
figure can be traced to the code, machine, library versions and command that made
it, and names its default output file with :func:`result_name` (date and commit).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from pixelmeans.outputs import cpu_model

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

#: Distribution names of the libraries a result may depend on (absent ones are None).
LIBRARIES = ("numpy", "numba", "scikit-learn", "torch", "umap-learn", "faiss-cpu", "pixelmeans")


def commit() -> str:
    """``git describe --always --dirty`` of the repository, or "unknown" outside git."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def versions() -> dict:
    """Python's version and each installed library's in :data:`LIBRARIES`."""
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance(argv: list[str] | None = None) -> dict:
    """Commit, machine, library versions and the exact command line of this run."""
    argv = sys.argv if argv is None else argv
    return {
        "date": dt.date.today().isoformat(),
        "commit": commit(),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "arch": platform.machine(),
                    "system": platform.system(),
                    "numba_threads": os.environ.get("NUMBA_NUM_THREADS")},
        "versions": versions(),
        "command": shlex.join([Path(sys.executable).name, *argv]),
    }


def result_name(prefix: str, suffix: str = "") -> Path:
    """Default result file: ``results/<prefix>-<date>-<commit><suffix>.json``."""
    return RESULTS / f"{prefix}-{dt.date.today().isoformat()}-{commit()}{suffix}.json"


def write_result(out: Path, result: dict) -> Path:
    """Write ``result`` as JSON to ``out`` whole or not at all (a temporary file renamed)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(out)
    return out

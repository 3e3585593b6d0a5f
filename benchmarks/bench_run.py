"""Time the main job end to end: `pixelmeans run` on full MNIST, k=10, defaults.

Prints where the time goes (the stages recorded in summary.json) and the whole
command's wall time measured from outside, in a fresh process so that imports and
any compilation are counted as a new user would feel them. The project aims at most
60 s on a 2-core CPU (the exit status is 1 above it). The figures are also written as
JSON (default ``benchmarks/results/run-<date>-<commit>.json``) with the commit,
machine, library versions and command line (``provenance.py``).

    .venv/bin/python benchmarks/bench_run.py [--out DIR] [--json FILE] [extra `pixelmeans run` args]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provenance import provenance, result_name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="where to write the results folder (default: a temp dir)")
    parser.add_argument("--json", help="JSON file (default benchmarks/results/run-<date>-<commit>.json)")
    args, extra = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "mnist-k10"
        proc, wall, summary = time_run(out, extra)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, sep="\n")
            return proc.returncode
    print(proc.stdout)
    print(f"{'stage':<12}{'seconds':>10}")
    for stage, seconds in summary["timings"].items():
        print(f"{stage:<12}{seconds:>10.2f}")
    inside = sum(summary["timings"].values())
    print(f"{'(startup)':<12}{wall - inside:>10.2f}   imports, interpreter, compilation")
    print(f"{'total':<12}{wall:>10.2f}   target <= 60 s")
    metrics = summary["metrics"]
    print(f"train accuracy {metrics['train']['accuracy']:.4f}, "
          f"test accuracy {metrics['test']['accuracy']:.4f}, "
          f"inertia {summary['inertia']:.6g}, steps {summary['n_iter']}")
    write_json(Path(args.json) if args.json else result_name("run"),
               dict(provenance(), wall_seconds=wall, timings=summary["timings"],
                    train_accuracy=metrics["train"]["accuracy"],
                    test_accuracy=metrics["test"]["accuracy"],
                    inertia=summary["inertia"], n_iter=summary["n_iter"]))
    return 0 if wall <= 60 else 1


def time_run(out: Path, extra) -> tuple[subprocess.CompletedProcess, float, dict | None]:
    """Run ``pixelmeans run --out OUT --overwrite EXTRA...`` in a fresh process.

    Returns the finished process, its wall seconds measured from outside, and the
    ``summary.json`` it wrote (None when it failed).
    """
    cmd = [sys.executable, "-m", "pixelmeans", "run", "--out", str(out), "--overwrite", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    summary = json.loads((out / "summary.json").read_text()) if proc.returncode == 0 else None
    return proc, wall, summary


def write_json(path: Path, record: dict) -> None:
    """Write ``record`` to ``path`` atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())

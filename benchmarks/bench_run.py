"""Time the main job end to end: `pixelmeans run` on full MNIST, k=10, defaults.

Prints where the time goes (the stages recorded in summary.json), the whole command's
wall time measured from outside, in a fresh process so that imports and any
compilation are counted as a new user would feel them, and the command's peak memory
(the largest resident set of the process, as ``/usr/bin/time -v`` reports it) beside
the size of its training images as uint8 and as float32. The project aims at most 60 s
on a 2-core CPU for full MNIST (the exit status is 1 above ``--target``). The figures
are also written as JSON (default ``benchmarks/results/run-<date>-<commit>.json``) with
the commit, machine, library versions and command line (``provenance.py``), and the
time of every k-means step the run logged.

    .venv/bin/python benchmarks/bench_run.py [--out DIR] [--json FILE] [--target S] [extra `pixelmeans run` args]
    .venv/bin/python benchmarks/bench_run.py --target 0 --dataset infimnist:1000000 --k 256 --max-iter 5
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provenance import provenance, result_name, write_result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="where to write the results folder (default: a temp dir)")
    parser.add_argument("--json", help="JSON file (default benchmarks/results/run-<date>-<commit>.json)")
    parser.add_argument("--target", type=float, default=60.0,
                        help="exit 1 when the run takes longer, in seconds (0: no target; default 60)")
    args, extra = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "mnist-k10"
        proc, wall, summary = time_run(out, extra)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, sep="\n")
            return proc.returncode
    # The largest resident set of any child waited for: the run's process.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    steps = [{"restart": int(m[1]), "step": int(m[2]), "seconds": float(m[3])}
             for m in STEP_LINE.finditer(proc.stderr)]
    print(proc.stdout)
    print(f"{'stage':<12}{'seconds':>10}")
    for stage, seconds in summary["timings"].items():
        print(f"{stage:<12}{seconds:>10.2f}")
    inside = sum(summary["timings"].values())
    print(f"{'(startup)':<12}{wall - inside:>10.2f}   imports, interpreter, compilation")
    print(f"{'total':<12}{wall:>10.2f}" + (f"   target <= {args.target:g} s" if args.target else ""))
    metrics = summary["metrics"]
    print(f"train accuracy {metrics['train']['accuracy']:.4f}, "
          f"test accuracy {metrics['test']['accuracy']:.4f}, "
          f"inertia {summary['inertia']:.6g}, steps {summary['n_iter']}")
    data = summary["data"]
    pixels = data["n_train"] * data["image_shape"][0] * data["image_shape"][1]
    print(f"peak memory {peak / 1e9:.2f} GB; the {data['n_train']:,} training images are "
          f"{pixels / 1e9:.2f} GB as uint8, {4 * pixels / 1e9:.2f} GB as float32")
    if steps:
        seconds = [s["seconds"] for s in steps if s["step"]]
        print(f"{len(seconds)} k-means steps logged, median {sorted(seconds)[len(seconds) // 2]:.2f} s")
    written = write_result(Path(args.json) if args.json else result_name("run"),
                           dict(provenance(), wall_seconds=wall, timings=summary["timings"],
                                train_accuracy=metrics["train"]["accuracy"],
                                test_accuracy=metrics["test"]["accuracy"],
                                inertia=summary["inertia"], n_iter=summary["n_iter"],
                                n_train=data["n_train"], peak_rss_bytes=peak, uint8_images_bytes=pixels,
                                float32_features_bytes=4 * pixels, steps=steps))
    print(f"wrote {written}")
    return 0 if not args.target or wall <= args.target else 1


# The run's per-step log line (pixelmeans.progress.describe_step), off a terminal.
STEP_LINE = re.compile(r"^restart (\d+)/\d+, step (\d+): .*, (\d+\.\d+) s(?:, \d+ workers)?$", re.M)


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


if __name__ == "__main__":
    sys.exit(main())

"""What UMAP's map adds to the main job: `pixelmeans run` (full MNIST, pixels, k = 10)
with ``--map pca+umap`` (the default) against ``--map pca``.

Each run is a fresh process (umap-learn's import and numba compilation are paid by every
run, as a user pays them), the two settings alternate, and a first run with ``--map pca``
fills numba's cache of pixelmeans' kernels and is not counted. Prints and records the
median wall seconds of each setting and their difference, with every run's wall time,
stage timings and the load average before it (default file
``benchmarks/results/run-map-<date>-<commit>.json``, through ``provenance.py``).

    .venv/bin/python benchmarks/bench_map.py [--repeat 3] [--json FILE] [extra `pixelmeans run` args]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench_run import time_run
from provenance import provenance, result_name, write_result

SETTINGS = ("pca", "pca+umap")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each setting (default: 3)")
    parser.add_argument("--json", help="JSON file (default benchmarks/results/run-map-<date>-<commit>.json)")
    args, extra = parser.parse_known_args()
    runs = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "mnist-k10"
        order = [("warm-up", "pca")] + [(name, name) for _ in range(args.repeat) for name in SETTINGS]
        for label, setting in order:
            load = os.getloadavg()[0]
            proc, wall, summary = time_run(out, ["--map", setting, *extra])
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr, sep="\n")
                return proc.returncode
            drawn = sorted(p.name for p in out.glob("embedding*.png"))
            print(f"{label:<9} --map {setting:<9} {wall:7.2f} s  figures {summary['timings']['figures']:6.2f} s"
                  f"  load before {load:.2f}  {', '.join(drawn)}", flush=True)
            if label != "warm-up":
                runs[setting].append({"wall_seconds": wall, "timings": summary["timings"],
                                      "load_before": load, "maps": drawn})
    median = {name: statistics.median(r["wall_seconds"] for r in runs[name]) for name in SETTINGS}
    added = median["pca+umap"] - median["pca"]
    print(f"median wall: --map pca {median['pca']:.2f} s, --map pca+umap {median['pca+umap']:.2f} s, "
          f"UMAP's map adds {added:.2f} s")
    path = write_result(Path(args.json) if args.json else result_name("run-map"),
                        dict(provenance(), median_wall_seconds=median, added_seconds=added, runs=runs))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

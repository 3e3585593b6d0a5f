"""How many cores a k-means fit keeps busy under ``--threads N``.

For each N, a fresh process applies the command line's ``--threads`` limit
(``pixelmeans.cli._thread_limit``, the code the option runs) around
``KMeans(k, algorithm=...).fit`` on the 10,000 bundled MNIST test images (pixels / 255,
float32), after a warm-up fit that compiles the kernels, and reports process CPU
time / wall time over the fit: about 1.0 means one busy core. On a machine shared
with other work the ratio for N > 1 is lower than N (the cores are not all ours);
the check is that N = 1 stays at one core. Written as JSON (default
``benchmarks/results/threads-<date>-<commit>.json``) with ``provenance.py``'s record.

    .venv/bin/python benchmarks/bench_threads.py [--threads 1 2] [--k 32] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench_run import write_json
from provenance import provenance, result_name

CHILD = r"""
import json, sys, time
import numpy as np
from pixelmeans import KMeans, load_dataset
from pixelmeans.cli import _thread_limit
n, k, algorithm = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ds = load_dataset("mnist", split="test", download=False)
X = ds.images.reshape(len(ds.images), -1).astype(np.float32) / np.float32(255)
with _thread_limit(n):
    KMeans(k, algorithm=algorithm, max_iter=2, random_state=0).fit(X[:2000])  # compile
    cpu, wall = time.process_time(), time.perf_counter()
    km = KMeans(k, algorithm=algorithm, random_state=0, n_init=1).fit(X)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"threads": n, "cpu_s": cpu, "wall_s": wall, "cpu_per_wall": cpu / wall,
                  "n_iter": km.n_iter_, "inertia": km.inertia_}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--algorithm", default="lloyd")
    parser.add_argument("--json", help="JSON file (default benchmarks/results/threads-<date>-<commit>.json)")
    args = parser.parse_args()
    runs = []
    for n in args.threads:
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.k), args.algorithm],
                             check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
        r = runs[-1]
        print(f"--threads {n}: cpu {r['cpu_s']:.2f} s / wall {r['wall_s']:.2f} s = "
              f"{r['cpu_per_wall']:.2f} busy cores ({r['n_iter']} steps)")
    write_json(Path(args.json) if args.json else result_name("threads"),
               dict(provenance(), k=args.k, algorithm=args.algorithm,
                    data="mnist test split, 10000 x 784 float32", runs=runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

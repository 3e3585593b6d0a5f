"""How many cores a k-means fit keeps busy under ``--threads N``.

For each N, a fresh process applies the command line's ``--threads`` limit
(``pixelmeans.cli._thread_limit``, the code the option runs) around
``KMeans(k, algorithm=...).fit`` on the 10,000 bundled MNIST test images (pixels / 255,
float32), after a warm-up fit that compiles the kernels, and reports what each of
the process's threads spent on the CPU during the fit (``/proc/self/task``, Linux):
the number of threads that did at least 5 % of the work, the largest share, and
process CPU time / wall time (about N on an idle machine; lower on a machine
shared with other work, where the cores are not all ours, so the per-thread shares
are the measure that holds there). Written as JSON (default
``benchmarks/results/threads-<date>-<commit>.json``) with ``provenance.py``'s record.

    .venv/bin/python benchmarks/bench_threads.py [--threads 1 2] [--k 32] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from provenance import provenance, result_name, write_result

CHILD = r"""
import json, os, sys, time
import numpy as np
from pixelmeans import KMeans, load_dataset
from pixelmeans.cli import _thread_limit
n, k, algorithm = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ds = load_dataset("mnist", split="test", download=False)
X = ds.images.reshape(len(ds.images), -1).astype(np.float32) / np.float32(255)
def per_thread_ticks():
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[tid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks
with _thread_limit(n):
    KMeans(k, algorithm=algorithm, max_iter=2, random_state=0).fit(X[:2000])  # compile
    before = per_thread_ticks()
    cpu, wall = time.process_time(), time.perf_counter()
    km = KMeans(k, algorithm=algorithm, random_state=0, n_init=1).fit(X)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    after = per_thread_ticks()
spent = sorted((after[t] - before.get(t, 0) for t in after), reverse=True)
total = sum(spent) or 1
shares = [s / total for s in spent if s]
print(json.dumps({"threads": n, "cpu_s": cpu, "wall_s": wall, "cpu_per_wall": cpu / wall,
                  "threads_over_5pct": sum(s >= 0.05 for s in shares),
                  "largest_thread_share": shares[0] if shares else None,
                  "thread_shares": shares[:8], "n_iter": km.n_iter_, "inertia": km.inertia_}))
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
        print(f"--threads {n}: {r['threads_over_5pct']} thread(s) did >= 5 % of the work "
              f"(largest share {r['largest_thread_share']:.2f}); cpu {r['cpu_s']:.2f} s / "
              f"wall {r['wall_s']:.2f} s = {r['cpu_per_wall']:.2f} ({r['n_iter']} steps)")
    written = write_result(Path(args.json) if args.json else result_name("threads"),
                           dict(provenance(), k=args.k, algorithm=args.algorithm,
                                data="mnist test split, 10000 x 784 float32", runs=runs))
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The exact step kernels against each other: the same fit, the same start, to convergence.

Every kernel gives the same labels at every step (hence the same steps and inertia),
so they differ in time and memory only; this measures the time, which is what
``algorithm="auto"`` (``pixelmeans.cluster.lloyd.choose_kernel``) trades against
memory. For each k, one start (greedy k-means++ on the data, seed 0), then each kernel
of ``--algorithms`` in turn, ``--repeat`` times, to tol 1e-4 or ``--max-iter`` steps,
all on the process's threads. Recorded: seconds (median and all), steps, inertia (and
whether every kernel agreed), the per-point bounds each kernel keeps, and the kernel
"auto" takes.

The data: MNIST's 60,000 training images (``--data mnist``) or the first ``--n`` images
of the cached InfiMNIST store (``--data infimnist``, after ``pixelmeans fetch
infimnist --n N``), uint8 in memory.

    .venv/bin/python benchmarks/bench_kernels.py [--data mnist] [--ks 10,100,256]
        [--algorithms elkan,yinyang] [--repeat 2] [--max-iter 300] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from bench_dots import load
from provenance import provenance, result_name, write_result


def bounds_per_point(name: str, k: int) -> int:
    """float32 lower bounds a kernel keeps per point (besides one upper bound)."""
    from pixelmeans.cluster.lloyd import KERNELS

    if name == "lloyd":
        return 0
    return KERNELS[name].default_groups(None, k) if name != "hamerly" else 1


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="mnist", choices=("mnist", "infimnist"))
    parser.add_argument("--n", type=int, default=60_000)
    parser.add_argument("--ks", default="10,100,256")
    parser.add_argument("--algorithms", default="elkan,yinyang")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    from pixelmeans import KMeans
    from pixelmeans.cluster.init import kmeans_plusplus
    from pixelmeans.cluster.lloyd import choose_kernel

    X = load(args.data, args.n)
    n, d = X.shape
    names = args.algorithms.split(",")
    out = {"provenance": provenance(), "data": args.data, "n": n, "max_iter": args.max_iter,
           "repeat": args.repeat, "results": []}
    for k in (int(v) for v in args.ks.split(",")):
        init, _ = kmeans_plusplus(X, k, random_state=0)
        row = {"k": k, "auto": choose_kernel("auto", k, d, n).name, "kernels": {}}
        for name in names:  # compile outside the timing
            KMeans(k, init=init, max_iter=2, algorithm=name).fit(X[: max(4 * k, 2000)])
        for _ in range(args.repeat):
            for name in names:
                t = time.perf_counter()
                km = KMeans(k, init=init, tol=1e-4, max_iter=args.max_iter,
                            algorithm=name).fit(X)
                seconds = time.perf_counter() - t
                entry = row["kernels"].setdefault(name, {
                    "seconds": [], "n_iter": int(km.n_iter_), "inertia": float(km.inertia_),
                    "bounds_per_point": bounds_per_point(name, k)})
                entry["seconds"].append(seconds)
                print(k, name, f"{seconds:.2f} s", km.n_iter_, km.inertia_, flush=True)
        for entry in row["kernels"].values():
            entry["median_seconds"] = statistics.median(entry["seconds"])
        row["same_steps_and_inertia"] = len({(e["n_iter"], e["inertia"])
                                             for e in row["kernels"].values()}) == 1
        out["results"].append(row)
    suffix = f"-{args.data}{n if args.data == 'infimnist' else ''}"
    print("wrote", write_result(args.out or result_name("kernels", suffix), out))


if __name__ == "__main__":
    main()

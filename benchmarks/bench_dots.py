"""Dot products of image rows with k centres three ways, and what the split does to a fit.

1. ``dots``: one thread, every row of the data against k random centres, chunk by chunk
   as the kernels do it: the plain gemm on shifted rows, every column entry by entry
   (only the nonzero ones), and the split of ``pixelmeans.cluster._dots`` (a gemm over
   the columns nonzero in a third of the rows or more, the others entry by entry).
   Seconds, and each way's time over the plain gemm's, median of ``--repeat``.
2. ``fit``: Yinyang k-means (k = 256 by default) for ``--steps`` steps from the same
   start, with the plain gemm (phase B1 ratio 5), and with the split products at ratio
   5 and at ratio 8 (``bounds.SPLIT_GEMM_RATIO``), in turn, ``--repeat`` times; the
   medians of the steps' wall and CPU seconds.

The data: the first ``--n`` images of the cached InfiMNIST store (``--data infimnist``,
after ``pixelmeans fetch infimnist --n N``) or MNIST's training images (``--data mnist``).

    .venv/bin/python benchmarks/bench_dots.py [--data infimnist] [--n 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from provenance import provenance, result_name, write_result


def load(data: str, n: int) -> np.ndarray:
    if data == "mnist":
        from pixelmeans import load_dataset

        images = load_dataset("mnist", split="train").images
        return np.ascontiguousarray(images[:n].reshape(min(n, len(images)), -1))
    from pixelmeans.data.infimnist import open_infimnist

    images, _ = open_infimnist(n)
    return np.ascontiguousarray(images[:n]).reshape(n, -1)


def dots_part(X, ks, repeat):
    from numba import njit

    from pixelmeans.cluster._dots import column_split, raw_split_dots
    from pixelmeans.cluster._threads import blas_single_thread
    from pixelmeans.cluster.kernels import _shifted_dots, data_shift

    @njit
    def plain(X, shift, centers_t, buf, xsq, dots):
        chunk = buf.shape[0]
        for s in range(0, X.shape[0], chunk):
            _shifted_dots(X, s, min(chunk, X.shape[0] - s), shift, buf, xsq, centers_t, dots)

    @njit
    def split(X, dense, sparse, dbuf, ct_dense, centers_t, dots, xraw, idx, val, rows):
        chunk = dbuf.shape[0]
        for s in range(0, X.shape[0], chunk):
            m = min(chunk, X.shape[0] - s)
            for t in range(m):
                rows[t] = s + t
            raw_split_dots(X, rows, m, 0, dense, sparse, dbuf, ct_dense, centers_t, dots, xraw,
                           idx, val)

    n, d = X.shape
    chunk = 256
    shift = data_shift(X, np.float32)[0]
    rng = np.random.default_rng(0)
    out = []
    for k in ks:
        centers = X[rng.choice(n, k, replace=False)].astype(np.float32) - shift
        ct = np.ascontiguousarray(centers.T)
        dots = np.empty((chunk, k), np.float32)
        xraw = np.empty(chunk)
        idx = np.empty(d, np.int64)
        val = np.empty(d, np.float32)
        rows = np.empty(chunk, np.int64)
        # the split column_split would choose for many centres, whatever k is
        dense, sparse = column_split(X, 10**6)
        ways = {
            "plain_gemm": lambda: plain(X, shift, ct, np.empty((chunk, d), np.float32),
                                        np.empty(chunk), dots),
            "entries": lambda: split(X, dense[:0], np.arange(d, dtype=np.int64),
                                     np.empty((chunk, 0), np.float32),
                                     np.empty((0, k), np.float32), ct, dots, xraw, idx, val,
                                     rows),
            "split": lambda: split(X, dense, sparse, np.empty((chunk, dense.size), np.float32),
                                   np.ascontiguousarray(ct[dense]), ct, dots, xraw, idx, val,
                                   rows),
        }
        times = {name: [] for name in ways}
        with blas_single_thread():
            for f in ways.values():
                f()  # compile
            for _ in range(repeat):
                for name, f in ways.items():
                    t = time.perf_counter()
                    f()
                    times[name].append(time.perf_counter() - t)
        med = {name: statistics.median(v) for name, v in times.items()}
        row = dict(k=k, seconds=med, dense_columns=int(dense.size),
                   over_plain_gemm={name: med[name] / med["plain_gemm"] for name in med})
        print(row, flush=True)
        out.append(row)
    return out


def fit_part(X, k, steps, repeat):
    from pixelmeans import KMeans
    from pixelmeans.cluster import bounds, kernels
    from pixelmeans.cluster.init import kmeans_plusplus

    init, _ = kmeans_plusplus(X[:: max(1, len(X) // 20000)], k, random_state=0)
    plain_split = bounds.column_split

    def setting(name):
        # the final labelling pass (kernels) goes the same way as the steps (bounds)
        way = (lambda X, k: None) if name == "plain_gemm_ratio5" else plain_split
        bounds.column_split = kernels.column_split = way
        bounds.SPLIT_GEMM_RATIO = 5.0 if name == "split_ratio5" else 8.0

    names = ["plain_gemm_ratio5", "split_ratio5", "split_ratio8"]
    KMeans(k, init=init, algorithm="yinyang", max_iter=2).fit(X[:5000])  # compile
    runs = {name: [] for name in names}
    try:
        for _ in range(repeat):
            for name in names:
                setting(name)
                t, c = time.perf_counter(), time.process_time()
                km = KMeans(k, init=init, algorithm="yinyang", max_iter=steps, tol=0).fit(X)
                runs[name].append(dict(seconds=time.perf_counter() - t,
                                       cpu_seconds=time.process_time() - c,
                                       inertia=float(km.inertia_)))
                print(name, runs[name][-1], flush=True)
    finally:
        bounds.column_split = kernels.column_split = plain_split
        bounds.SPLIT_GEMM_RATIO = 8.0
    inertias = {r["inertia"] for v in runs.values() for r in v}
    med = {name: dict(seconds=statistics.median(r["seconds"] for r in v),
                      cpu_seconds=statistics.median(r["cpu_seconds"] for r in v))
           for name, v in runs.items()}
    base = med["plain_gemm_ratio5"]["seconds"]
    return dict(k=k, steps=steps, runs=runs, median=med, same_inertia=len(inertias) == 1,
                over_plain_gemm={name: m["seconds"] / base for name, m in med.items()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["infimnist", "mnist"], default="infimnist")
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dots-rows", type=int, default=50_000)
    parser.add_argument("--ks", default="16,64,100,128,256,512")
    parser.add_argument("--k", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()

    X = load(args.data, args.n)
    res = dict(provenance(), data=args.data, n=int(X.shape[0]))
    res["dots"] = dict(rows=args.dots_rows,
                       per_k=dots_part(X[:args.dots_rows], [int(k) for k in args.ks.split(",")],
                                       args.repeat))
    res["fit"] = fit_part(X, args.k, args.steps, args.repeat)
    print(res["fit"]["median"], res["fit"]["over_plain_gemm"])
    out = write_result(args.out or result_name("dots", f"-{args.data}{X.shape[0]}"), res)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

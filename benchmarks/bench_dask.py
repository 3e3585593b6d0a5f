"""pixelmeans on a Dask LocalCluster against pixelmeans in one process and dask-ml's KMeans.

Full MNIST (60,000 x 784 uint8), the same start for all (greedy k-means++ in one
process, seed 0), to convergence at tol 1e-4 (dask-ml: a fixed number of steps,
``--daskml-steps``, since it is far slower; its time per step is reported). The
cluster is a real ``LocalCluster`` of worker processes with one thread each on
127.0.0.1; the single-process fit runs with as many threads as the cluster has
workers.

Usage: python benchmarks/bench_dask.py [--k 100] [--workers 2] [--chunks 8]
       [--daskml-steps 10] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from provenance import provenance, result_name


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--daskml-steps", type=int, default=10)
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    import dask.array as da
    import numba
    from distributed import Client, LocalCluster

    from pixelmeans import KMeans, load_dataset
    from pixelmeans.cluster.init import kmeans_plusplus

    X = load_dataset("mnist", split="train", download=False).images.reshape(60000, -1)
    init, _ = kmeans_plusplus(X, args.k, random_state=0)
    out = {"provenance": provenance(), "k": args.k, "n": int(X.shape[0]),
           "workers": args.workers, "chunks": args.chunks}
    from importlib import metadata
    for name in ("dask", "distributed", "dask-ml"):
        out["provenance"]["versions"][name] = metadata.version(name)

    numba.set_num_threads(min(args.workers, numba.config.NUMBA_NUM_THREADS))
    KMeans(args.k, init=init, max_iter=2).fit(X[:2000])  # compile outside the timing
    t = time.perf_counter()
    one = KMeans(args.k, init=init, tol=1e-4).fit(X)
    out["single_process"] = {"seconds": time.perf_counter() - t, "n_iter": one.n_iter_,
                             "inertia": one.inertia_, "threads": numba.get_num_threads()}
    print("one process", out["single_process"], flush=True)

    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    try:
        Xd = da.from_array(X, chunks=(-(-X.shape[0] // args.chunks), -1)).persist()
        KMeans(args.k, init=init, max_iter=2).fit(Xd)  # workers compile / load the kernels
        t = time.perf_counter()
        many = KMeans(args.k, init=init, tol=1e-4).fit(Xd)
        out["pixelmeans_dask"] = {
            "seconds": time.perf_counter() - t, "n_iter": many.n_iter_, "inertia": many.inertia_,
            "labels_equal": bool(np.array_equal(many.labels_, one.labels_)),
            "centers_equal": bool(np.array_equal(many.cluster_centers_, one.cluster_centers_))}
        print("pixelmeans on dask", out["pixelmeans_dask"], flush=True)
        if args.daskml_steps:
            from dask_ml.cluster import KMeans as DaskMLKMeans

            Xf = Xd.astype(np.float32).persist()  # dask-ml wants floats
            t = time.perf_counter()
            ref = DaskMLKMeans(n_clusters=args.k, init=init.astype(np.float32),
                               max_iter=args.daskml_steps, tol=0.0).fit(Xf)
            seconds = time.perf_counter() - t
            out["dask_ml"] = {"seconds": seconds, "n_iter": int(ref.n_iter_),
                              "seconds_per_step": seconds / max(1, int(ref.n_iter_))}
            print("dask-ml", out["dask_ml"], flush=True)
    finally:
        client.close()
        cluster.close()
    path = args.out or result_name("dask", f"-k{args.k}-chunks{args.chunks}")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
    print("wrote", path)


if __name__ == "__main__":
    main()

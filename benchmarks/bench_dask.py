"""pixelmeans on a Dask LocalCluster against pixelmeans in one process and dask-ml's KMeans.

The cluster is a real ``LocalCluster`` of worker processes with one thread each on
127.0.0.1; the single-process fit runs with as many threads as the cluster has
workers, before the cluster starts (a cluster alive beside it, even idle, slows it).
Three modes:

* Full MNIST (60,000 x 784 uint8, the default): the same start for all (greedy
  k-means++ in one process, seed 0), to convergence at tol 1e-4, ``--repeat`` times
  in one process, then as many times on the cluster (medians and their ratio
  reported, with the load average of the machine around each run); dask-ml runs a fixed number
  of steps (``--daskml-steps``), since it is far slower, and its time per step is
  reported.
* ``--infimnist N``: the first N images of the cached InfiMNIST store (the cluster's
  workers read them from the store), k random images as the start (seed 0), and a
  *per-step* comparison only: each method runs ``--steps`` steps and 1 step (tol 0),
  and the difference divided by ``steps - 1`` is its time per step after the first
  (setup, the first step and the final labelling pass cancel out). The centres after
  ``--steps`` steps are compared, and the inertia of dask-ml's is computed here
  (dask-ml's ``inertia_`` sums distances, not squared distances).
* ``--infimnist N --converge``: the same data and start, pixelmeans in one process and
  on the cluster to convergence (tol 1e-4, at most ``--max-iter`` steps), each once;
  dask-ml runs ``--steps`` steps and 1 step as above, and its time to the same number
  of steps is *projected* from its time per step (a plain Lloyd step costs the same
  all along). The per-step mode checks that dask-ml takes the same steps.

Usage: python benchmarks/bench_dask.py [--k 100] [--workers 2] [--chunks 2] [--repeat 3]
       [--daskml-steps 10] [--infimnist N --steps 3 [--converge --max-iter 300]]
       [--out FILE.json]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from provenance import provenance, result_name, write_result


def _timed(fit):
    load = os.getloadavg()[0]
    t = time.perf_counter()
    model = fit()
    return model, {"seconds": time.perf_counter() - t, "load_before": load,
                   "load_after": os.getloadavg()[0]}


def mnist_single(args, out):
    from pixelmeans import KMeans, load_dataset
    from pixelmeans.cluster.init import kmeans_plusplus

    X = load_dataset("mnist", split="train", download=False).images.reshape(60000, -1)
    init, _ = kmeans_plusplus(X, args.k, random_state=0)
    out["n"] = int(X.shape[0])
    KMeans(args.k, init=init, max_iter=2).fit(X[:2000])  # compile outside the timing
    runs = []
    for _ in range(args.repeat):
        one, timing = _timed(lambda: KMeans(args.k, init=init, tol=1e-4).fit(X))
        runs.append(dict(timing, n_iter=one.n_iter_, inertia=one.inertia_))
        print("single_process", runs[-1], flush=True)
    out["single_process"] = runs
    return X, init, one


def mnist_cluster(args, client, out, X, init, one):
    import dask.array as da

    from pixelmeans import KMeans

    Xd = da.from_array(X, chunks=(-(-X.shape[0] // args.chunks), -1)).persist()
    KMeans(args.k, init=init, max_iter=2).fit(Xd)  # workers compile / load the kernels
    runs = []
    for _ in range(args.repeat):
        many, timing = _timed(lambda: KMeans(args.k, init=init, tol=1e-4).fit(Xd))
        runs.append(dict(timing, n_iter=many.n_iter_, inertia=many.inertia_,
                         labels_equal=bool(np.array_equal(many.labels_, one.labels_)),
                         centers_equal=bool(np.array_equal(many.cluster_centers_,
                                                           one.cluster_centers_))))
        print("pixelmeans_dask", runs[-1], flush=True)
    out["pixelmeans_dask"] = runs
    single = float(np.median([r["seconds"] for r in out["single_process"]]))
    dask = float(np.median([r["seconds"] for r in runs]))
    out["median"] = {"single_process_seconds": single, "pixelmeans_dask_seconds": dask,
                     "ratio": dask / single}
    print("median", out["median"], flush=True)
    if args.daskml_steps:
        from dask_ml.cluster import KMeans as DaskMLKMeans

        Xf = Xd.astype(np.float32).persist()  # dask-ml wants floats
        ref, timing = _timed(lambda: DaskMLKMeans(
            n_clusters=args.k, init=init.astype(np.float32), max_iter=args.daskml_steps,
            tol=0.0).fit(Xf))
        out["dask_ml"] = dict(timing, n_iter=int(ref.n_iter_),
                              seconds_per_step=timing["seconds"] / max(1, int(ref.n_iter_)))
        print("dask-ml", out["dask_ml"], flush=True)


def _infimnist(args):
    """The first N InfiMNIST images in memory, their zarr store, and k of them as the start."""
    from pixelmeans.data.infimnist import open_infimnist

    n = args.infimnist
    images, _ = open_infimnist(n)
    store = getattr(images, "array", images)  # the zarr array (read only)
    X = np.asarray(images[:n]).reshape(n, -1)
    rng = np.random.default_rng(0)
    init = X[np.sort(rng.choice(n, args.k, replace=False))].astype(np.float32)
    return X, store, init


def _infimnist_on_cluster(args, store):
    """The same images on the cluster: the workers read them from the store."""
    import dask.array as da

    n = args.infimnist
    rows = -(-n // args.chunks)
    return da.from_zarr(store)[:n].reshape(n, -1).rechunk((rows, -1)).persist()


def infimnist_converge_single(args, out):
    from pixelmeans import KMeans

    X, store, init = _infimnist(args)
    out["n"] = X.shape[0]
    out["max_iter"] = args.max_iter
    KMeans(args.k, init=init, max_iter=1).fit(X[:2000])  # compile outside the timing
    one, timing = _timed(lambda: KMeans(args.k, init=init, max_iter=args.max_iter,
                                        tol=1e-4).fit(X))
    out["single_process"] = dict(timing, n_iter=int(one.n_iter_),
                                 converged=bool(one.converged_), inertia=float(one.inertia_))
    print("single_process", out["single_process"], flush=True)
    return X, store, init, one.labels_


def infimnist_converge_cluster(args, client, out, X, store, init, labels):
    from dask_ml.cluster import KMeans as DaskMLKMeans

    from pixelmeans import KMeans

    Xd = _infimnist_on_cluster(args, store)
    KMeans(args.k, init=init, max_iter=1).fit(Xd[:2000])  # workers compile / load the kernels
    many, timing = _timed(lambda: KMeans(args.k, init=init, max_iter=args.max_iter,
                                         tol=1e-4).fit(Xd))
    out["pixelmeans_dask"] = dict(
        timing, n_iter=int(many.n_iter_), converged=bool(many.converged_),
        inertia=float(many.inertia_), labels_equal=bool(np.array_equal(many.labels_, labels)),
        overhead=timing["seconds"] / out["single_process"]["seconds"])
    print("pixelmeans_dask", out["pixelmeans_dask"], flush=True)
    del many

    Xf = Xd.astype(np.float32).persist()  # dask-ml wants floats
    _per_step(args, out, "dask_ml", lambda s: DaskMLKMeans(n_clusters=args.k, init=init,
                                                          max_iter=s, tol=0.0).fit(Xf))
    mine, theirs = out["pixelmeans_dask"], out["dask_ml"]
    theirs["projected_seconds_to_the_same_steps"] = (
        theirs["1_step"]["seconds"]
        + theirs["seconds_per_step_after_the_first"] * (mine["n_iter"] - 1))
    out["dask_ml_projected_over_pixelmeans_dask"] = (
        theirs["projected_seconds_to_the_same_steps"] / mine["seconds"])
    print("projected", theirs["projected_seconds_to_the_same_steps"], flush=True)


def _per_step(args, out, name, fit):
    model, many = _timed(lambda: fit(args.steps))
    _, one = _timed(lambda: fit(1))
    out[name] = {f"{args.steps}_steps": many, "1_step": one,
                 "seconds_per_step_after_the_first":
                     (many["seconds"] - one["seconds"]) / (args.steps - 1)}
    print(name, out[name], flush=True)
    return model


def infimnist_per_step_single(args, out):
    from pixelmeans import KMeans

    X, store, init = _infimnist(args)
    out["n"] = X.shape[0]
    KMeans(args.k, init=init, max_iter=1).fit(X[:2000])  # compile outside the timing
    mine = _per_step(args, out, "single_process",
                     lambda s: KMeans(args.k, init=init, max_iter=s, tol=0.0).fit(X))
    return X, store, init, mine


def infimnist_per_step_cluster(args, client, out, X, store, init, mine):
    from dask_ml.cluster import KMeans as DaskMLKMeans

    from pixelmeans import KMeans

    Xd = _infimnist_on_cluster(args, store)
    Xf = Xd.astype(np.float32).persist()  # dask-ml wants floats
    KMeans(args.k, init=init, max_iter=1).fit(Xd[:2000])  # workers compile / load the kernels
    _per_step(args, out, "pixelmeans_dask",
              lambda s: KMeans(args.k, init=init, max_iter=s, tol=0.0).fit(Xd))
    theirs = _per_step(args, out, "dask_ml",
                       lambda s: DaskMLKMeans(n_clusters=args.k, init=init, max_iter=s,
                                              tol=0.0).fit(Xf))
    # Same start, same steps: the same centres (up to float32 sums in dask-ml), and the
    # inertia of dask-ml's centres, computed exactly here.
    from pixelmeans.cluster.kernels import labels_inertia

    theirs_inertia = labels_inertia(X, np.asarray(theirs.cluster_centers_, np.float64))[1]
    out[f"after_{args.steps}_steps"] = {
        "max_centre_difference": float(np.abs(np.asarray(theirs.cluster_centers_, np.float64)
                                              - mine.cluster_centers_).max()),
        "inertia_pixelmeans": float(mine.inertia_), "inertia_dask_ml_centres": theirs_inertia,
        "relative_difference": abs(theirs_inertia - mine.inertia_) / mine.inertia_,
        "dask_ml_inertia_attribute": float(theirs.inertia_)}
    print(out[f"after_{args.steps}_steps"], flush=True)
    base = out["pixelmeans_dask"]["seconds_per_step_after_the_first"]
    out["dask_ml_per_step_over_pixelmeans_dask"] = (
        out["dask_ml"]["seconds_per_step_after_the_first"] / base)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--daskml-steps", type=int, default=10)
    parser.add_argument("--infimnist", type=int, default=0)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--converge", action="store_true")
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    import numba
    from distributed import Client, LocalCluster

    out = {"provenance": provenance(), "k": args.k, "workers": args.workers,
           "chunks": args.chunks}
    from importlib import metadata
    for name in ("dask", "distributed", "dask-ml"):
        out["provenance"]["versions"][name] = metadata.version(name)
    numba.set_num_threads(min(args.workers, numba.config.NUMBA_NUM_THREADS))
    out["single_process_threads"] = numba.get_num_threads()
    single, on_cluster = (
        (infimnist_converge_single, infimnist_converge_cluster)
        if args.infimnist and args.converge
        else (infimnist_per_step_single, infimnist_per_step_cluster) if args.infimnist
        else (mnist_single, mnist_cluster))
    # One process first, with no cluster alive: idle workers and the scheduler's
    # periodic work take CPU from the fit beside them (1M InfiMNIST, 300 steps: 441 s
    # beside the cluster, 260 s alone).
    state = single(args, out)
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    try:
        on_cluster(args, client, out, *state)
    finally:
        client.close()
        cluster.close()
    suffix = (f"-infimnist{args.infimnist}-k{args.k}-converge" if args.infimnist and args.converge
              else f"-infimnist{args.infimnist}-k{args.k}-steps{args.steps}" if args.infimnist
              else f"-k{args.k}-chunks{args.chunks}")
    path = write_result(args.out or result_name("dask", suffix), out)
    print("wrote", path)


if __name__ == "__main__":
    main()

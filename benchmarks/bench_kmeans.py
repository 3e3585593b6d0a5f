"""Time pixelmeans' KMeans against scikit-learn and faiss on full MNIST, side by side.

Every case runs all libraries in one run of this script, one after the other, from
the same initial centres, each library in a fresh process of its own (so that one
library's idle OpenMP threads do not slow the next), so the ratios compare like with
like on the same machine and load.
Printed as a table and written as JSON (default
``benchmarks/results/kmeans-<date>-<commit>.json``) with the commit, machine, library
versions and command line (``provenance.py``).

Cases:

* fit to convergence (tol 1e-4) for each k: pixelmeans "auto", scikit-learn "lloyd"
  and "elkan" (time, steps, final inertia); faiss for 20 steps beside pixelmeans
  stopped at 20 steps (faiss has no convergence test);
* k-means++ initialisation (same greedy trial count) against scikit-learn's, time,
  and the mean potential over several seeds;
* predict and transform of all 60000 rows;
* peak memory of a fit above the data (fresh process, peak RSS);
* the same result with 1 and with all threads;
* cold start: a fit in a fresh process with an empty numba cache (compilation
  included), then in another fresh process that finds the cache.

    .venv/bin/python benchmarks/bench_kmeans.py [--out FILE] [--ks 10,100,256] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np

from provenance import provenance, result_name, write_result

TOL = 1e-4
FAISS_STEPS = 20


def load_mnist(n: int | None, name: str = "mnist") -> np.ndarray:
    import pixelmeans

    ds = pixelmeans.load_dataset(name)
    X = ds.images.reshape(len(ds.images), -1)
    if n:
        X = X[:n]
    return np.ascontiguousarray(X, dtype=np.float32) / np.float32(255)


def timed(fn, repeat=1):
    """(best wall time over ``repeat`` calls, last result)."""
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


# Each library is timed in a fresh process of its own, one after the other: in one
# process the OpenMP threads of one library (numba's, scikit-learn's, faiss') keep
# spinning after their parallel region and slow the next library down, which would
# make any ratio unfair. The parent only prepares inputs and compares answers.


def child_pixelmeans(X, inits, plan):
    from pixelmeans import KMeans, kmeans_plusplus
    from pixelmeans.cluster.lloyd import choose_kernel

    KMeans(8, random_state=0, max_iter=3).fit(X[:3000])  # load the compiled kernels
    out = {"fit": {}, "init": {}}
    n, d = X.shape
    tol, max_iter = _stopping(plan)
    for k, init in inits.items():
        r = {}
        t, km = timed(lambda: KMeans(k, init=init, n_init=1, tol=tol, max_iter=max_iter).fit(X))
        r["fit"] = dict(seconds=t, steps=int(km.n_iter_), inertia=float(km.inertia_),
                        kernel=getattr(choose_kernel("auto", k, d, n), "name", "lloyd"))
        if max_iter == FAISS_STEPS and tol == 0:
            r["fit20"] = r["fit"]
        else:
            t, km20 = timed(lambda: KMeans(k, init=init, n_init=1, tol=0, max_iter=FAISS_STEPS).fit(X))
            r["fit20"] = dict(seconds=t, steps=int(km20.n_iter_), inertia=float(km20.inertia_))
        r["centers"] = km.cluster_centers_.tolist()
        if not plan.get("fit_only"):
            r["predict"], labels = timed(lambda: km.predict(X), repeat=3)
            r["transform"], _ = timed(lambda: km.transform(X), repeat=3)
            r["labels_head"] = labels[:1000].tolist()
        out["fit"][k] = r
    for k in plan["init_ks"]:
        runs = [timed(lambda: kmeans_plusplus(X, k, random_state=s)) for s in plan["seeds"]]
        out["init"][k] = dict(seconds=[t for t, _ in runs], ids=[c[1].tolist() for _, c in runs])
    return out


def child_sklearn(X, inits, plan):
    import sklearn.cluster as skc

    skc.KMeans(8, n_init=1, random_state=0, max_iter=3).fit(X[:3000])
    out = {"fit": {}, "init": {}}
    tol, max_iter = _stopping(plan)
    for k, init in inits.items():
        r = {}
        for algo in ("lloyd", "elkan"):
            t, km = timed(lambda: skc.KMeans(k, init=init, n_init=1, tol=tol, max_iter=max_iter,
                                             algorithm=algo).fit(X))
            r[algo] = dict(seconds=t, steps=int(km.n_iter_), inertia=float(km.inertia_))
        if plan.get("fit_only"):
            out["fit"][k] = r
            continue
        # predict / transform with pixelmeans' final centres (same work, same answer)
        km.cluster_centers_ = np.asarray(plan["centers"][str(k)], dtype=np.float32)
        r["predict"], labels = timed(lambda: km.predict(X), repeat=3)
        r["transform"], _ = timed(lambda: km.transform(X), repeat=3)
        r["labels_head"] = labels[:1000].tolist()
        out["fit"][k] = r
    for k in plan["init_ks"]:
        runs = [timed(lambda: skc.kmeans_plusplus(X, k, random_state=s)) for s in plan["seeds"]]
        out["init"][k] = dict(seconds=[t for t, _ in runs], ids=[c[1].tolist() for _, c in runs])
    return out


def child_faiss(X, inits, plan):
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    n, d = X.shape
    out = {"fit": {}}
    for k, init in inits.items():
        def run():
            km = faiss.Kmeans(d, k, niter=FAISS_STEPS, max_points_per_centroid=n, seed=0,
                              verbose=False)
            km.train(X, init_centroids=init)
            return km

        t, km = timed(run)
        out["fit"][k] = dict(seconds=t, steps=FAISS_STEPS, centers=km.centroids.tolist())
    return out


def _stopping(plan):
    """``(tol, max_iter)`` of the compared fits: to convergence, or ``--max-iter`` steps."""
    return (0.0, plan["max_iter"]) if plan.get("max_iter") else (TOL, 300)


CHILDREN = {"pixelmeans": child_pixelmeans, "sklearn": child_sklearn, "faiss": child_faiss}


def child_main(lib, tmp):
    tmp = Path(tmp)
    X = np.load(tmp / "X.npy")
    plan = json.loads((tmp / "plan.json").read_text())
    inits = {int(k): np.load(tmp / f"init{k}.npy") for k in plan["ks"]}
    warnings.simplefilter("ignore")
    out = CHILDREN[lib](X, inits, plan)
    (tmp / f"{lib}.json").write_text(json.dumps(out))


def run_library(lib, tmp):
    proc = subprocess.run([sys.executable, __file__, "--child", lib, "--tmp", str(tmp)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib}: {proc.stderr[-3000:]}")
    return json.loads((Path(tmp) / f"{lib}.json").read_text())


def bench_side_by_side(X, ks, seeds, init_ks, seed, with_faiss, tmp, max_iter=None,
                       fit_only=False):
    """Fits, predict/transform and k-means++ of every library, each in its own process."""
    from pixelmeans import kmeans_plusplus
    from pixelmeans.cluster.kernels import labels_inertia

    tmp = Path(tmp)
    np.save(tmp / "X.npy", X)
    for k in ks:  # the same start for every library
        np.save(tmp / f"init{k}.npy", kmeans_plusplus(X, k, random_state=seed)[0])
    plan = dict(ks=ks, seeds=list(seeds), init_ks=init_ks, max_iter=max_iter, fit_only=fit_only)
    (tmp / "plan.json").write_text(json.dumps(plan))
    ours = run_library("pixelmeans", tmp)
    print("pixelmeans done", flush=True)
    plan["centers"] = {str(k): ours["fit"][str(k)]["centers"] for k in ks}
    (tmp / "plan.json").write_text(json.dumps(plan))
    sk = run_library("sklearn", tmp)
    print("scikit-learn done", flush=True)
    fa = run_library("faiss", tmp) if with_faiss else None
    if fa:
        print("faiss done", flush=True)

    rows = []
    for k in ks:
        o, s = ours["fit"][str(k)], sk["fit"][str(k)]
        row = dict(k=k, pixelmeans=o["fit"], sklearn_lloyd=s["lloyd"], sklearn_elkan=s["elkan"])
        best_sk = min(s["lloyd"]["seconds"], s["elkan"]["seconds"])
        row["speedup_vs_sklearn"] = best_sk / o["fit"]["seconds"]
        ref = s["lloyd"]["inertia"]
        row["inertia_rel_diff"] = (o["fit"]["inertia"] - ref) / ref
        if not fit_only:
            for what in ("predict", "transform"):
                row[what] = dict(pixelmeans=o[what], sklearn=s[what], ratio=s[what] / o[what])
            row["predict"]["same_labels_first_1000"] = float(
                np.mean(np.array(o["labels_head"]) == np.array(s["labels_head"])))
        if fa:
            f = fa["fit"][str(k)]
            row["faiss_20"] = dict(seconds=f["seconds"], steps=f["steps"], inertia=float(
                labels_inertia(X, np.asarray(f["centers"], dtype=np.float32))[1]))
            row["pixelmeans_20"] = o["fit20"]
            row["speedup_vs_faiss_20"] = f["seconds"] / o["fit20"]["seconds"]
        rows.append(row)

    inits = []
    for k in init_ks:
        oi, si = ours["init"][str(k)], sk["init"][str(k)]

        def potential(ids):
            return float(labels_inertia(X, np.asarray(X[np.asarray(ids)]))[1])

        op = [potential(i) for i in oi["ids"]]
        sp = [potential(i) for i in si["ids"]]
        inits.append(dict(k=k, seeds=len(oi["ids"]), trials=2 + int(np.log(k)),
                          pixelmeans_seconds=float(np.mean(oi["seconds"])),
                          sklearn_seconds=float(np.mean(si["seconds"])),
                          speedup=float(np.mean(si["seconds"]) / np.mean(oi["seconds"])),
                          pixelmeans_potential=float(np.mean(op)),
                          sklearn_potential=float(np.mean(sp)),
                          pixelmeans_potentials=op, sklearn_potentials=sp,
                          # where the draws part (not on float32 data), the means differ
                          # by sampling noise: the standard error says how much
                          difference_se=float(np.sqrt(np.var(op, ddof=1) / len(op)
                                                      + np.var(sp, ddof=1) / len(sp))),
                          same_draws=float(np.mean([a == b for a, b in
                                                    zip(oi["ids"], si["ids"])]))))
    return rows, inits


def bench_threads(X, k, seed):
    """Fit with 1 thread and with all: labels, centres and steps must be identical."""
    import numba

    from pixelmeans import KMeans

    results = {}
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(threads)
        t, km = timed(lambda: KMeans(k, random_state=seed).fit(X))
        results[threads] = (t, km)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    (t1, a), (tn, b) = results[min(results)], results[max(results)]
    return dict(k=k, threads=sorted(results), seconds=[t1, tn],
                identical=bool(np.array_equal(a.labels_, b.labels_)
                               and np.array_equal(a.cluster_centers_, b.cluster_centers_)
                               and a.n_iter_ == b.n_iter_ and a.inertia_ == b.inertia_))


_CHILD_MEMORY = textwrap.dedent("""
    import json, sys, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    X = np.load(sys.argv[1]); init = np.load(sys.argv[2]); lib = sys.argv[3]
    if lib == "pixelmeans":
        from pixelmeans import KMeans
        KMeans(len(init), init=init, n_init=1, max_iter=2).fit(X[:2000])  # compile first
        make = lambda: KMeans(len(init), init=init, n_init=1, tol=%g)
    else:
        from sklearn.cluster import KMeans
        make = lambda: KMeans(len(init), init=init, n_init=1, tol=%g, algorithm=lib)
    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    open("/proc/self/clear_refs", "w").write("5")  # reset the peak RSS
    before = status("VmRSS:")
    make().fit(X)
    print(json.dumps(dict(peak_above_start=status("VmHWM:") - before, data=X.nbytes)))
""" % (TOL, TOL))

_CHILD_COLD = textwrap.dedent("""
    import json, sys, time
    start = time.perf_counter()
    import numpy as np
    from pixelmeans import KMeans
    X = np.load(sys.argv[1])
    imported = time.perf_counter()
    KMeans(10, random_state=0).fit(X)
    first = time.perf_counter()
    KMeans(10, random_state=0).fit(X)
    second = time.perf_counter()
    print(json.dumps(dict(imports=imported - start, first_fit=first - imported,
                          second_fit=second - first)))
""")


def run_child(code, *args, env=None):
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_memory(X, k, seed, tmp):
    from pixelmeans import kmeans_plusplus

    xp, ip = Path(tmp) / "X.npy", Path(tmp) / f"init{k}.npy"
    if not xp.exists():
        np.save(xp, X)
    np.save(ip, kmeans_plusplus(X, k, random_state=seed)[0])
    out = {"k": k, "data_bytes": int(X.nbytes)}
    for lib in ("pixelmeans", "elkan"):  # (scikit-learn's lloyd: the same copy of X)
        r = run_child(_CHILD_MEMORY, xp, ip, lib)
        out[lib if lib == "pixelmeans" else f"sklearn_{lib}"] = int(r["peak_above_start"])
    return out


def bench_cold(X, tmp):
    xp = Path(tmp) / "X.npy"
    if not xp.exists():
        np.save(xp, X)
    cache = Path(tmp) / "numba-cache"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    cold = run_child(_CHILD_COLD, xp, env=env)
    cached = run_child(_CHILD_COLD, xp, env=env)
    return dict(k=10, empty_cache=cold, with_cache=cached)


def mb(b):
    return f"{b / 2**20:.0f} MiB"


def print_report(res):
    print(f"\npixelmeans KMeans benchmark, {res['date']}, {res['machine']['cpu']}, "
          f"{res['machine']['cores']} cores, n={res['n']}, d={res['d']}, tol={TOL}\n")
    what = (f"{res['max_iter']} steps (tol 0)" if res.get("max_iter") else "Fit to convergence")
    print(f"{what} from the same k-means++ start (seconds; steps; final inertia)")
    head = (f"{'k':>4} {'kernel':>8} {'pixelmeans':>16} {'sklearn lloyd':>16} "
            f"{'sklearn elkan':>16} {'speed-up':>9} {'inertia vs sk':>14}")
    print(head)
    for r in res["fit"]:
        p, sl, se = r["pixelmeans"], r["sklearn_lloyd"], r["sklearn_elkan"]
        print(f"{r['k']:>4} {p['kernel']:>8} {p['seconds']:>9.2f} ({p['steps']:>4}) "
              f"{sl['seconds']:>9.2f} ({sl['steps']:>4}) {se['seconds']:>9.2f} ({se['steps']:>4}) "
              f"{r['speedup_vs_sklearn']:>8.1f}x {r['inertia_rel_diff']:>14.1e}")
    print("   inertia: " + ", ".join(f"k={r['k']}: pixelmeans {r['pixelmeans']['inertia']:.7g}, "
                                     f"sklearn {r['sklearn_lloyd']['inertia']:.7g}"
                                     for r in res["fit"]))
    if res["fit"] and "faiss_20" in res["fit"][0]:
        print(f"\n{FAISS_STEPS} steps from the same start (faiss has no convergence test)")
        print(f"{'k':>4} {'faiss':>10} {'pixelmeans':>11} {'speed-up':>9} "
              f"{'faiss inertia':>14} {'pixelmeans inertia':>19}")
        for r in res["fit"]:
            f, o = r["faiss_20"], r["pixelmeans_20"]
            print(f"{r['k']:>4} {f['seconds']:>10.2f} {o['seconds']:>11.2f} "
                  f"{r['speedup_vs_faiss_20']:>8.1f}x {f['inertia']:>14.7g} {o['inertia']:>19.7g}")
    print("\npredict / transform of all rows (seconds, best of 3)")
    print(f"{'k':>4} {'predict':>8} {'sklearn':>8} {'ratio':>6} {'transform':>10} {'sklearn':>8} "
          f"{'ratio':>6}")
    for r in (r for r in res["fit"] if "predict" in r):
        p, t = r["predict"], r["transform"]
        print(f"{r['k']:>4} {p['pixelmeans']:>8.3f} {p['sklearn']:>8.3f} {p['ratio']:>5.1f}x "
              f"{t['pixelmeans']:>10.3f} {t['sklearn']:>8.3f} {t['ratio']:>5.1f}x")
    print("\nk-means++ initialisation (mean over seeds)")
    for r in res["init"]:
        print(f"  k={r['k']:>3} ({r['trials']} trials, {r['seeds']} seeds): pixelmeans "
              f"{r['pixelmeans_seconds']:.3f} s, sklearn {r['sklearn_seconds']:.3f} s, "
              f"speed-up {r['speedup']:.1f}x; mean potential {r['pixelmeans_potential']:.7g} vs "
              f"{r['sklearn_potential']:.7g} (difference {r['pixelmeans_potential'] - r['sklearn_potential']:+.4g}, "
              f"standard error {r['difference_se']:.4g}; same draws in {r['same_draws']:.0%} of seeds)")
    if res.get("memory"):
        print("\nPeak memory of one fit above the loaded data (data itself "
              f"{mb(res['memory'][0]['data_bytes'])})")
        for r in res["memory"]:
            print(f"  k={r['k']:>3}: pixelmeans {mb(r['pixelmeans'])}, sklearn elkan "
                  f"{mb(r['sklearn_elkan'])}")
    if res.get("threads"):
        t = res["threads"]
        print(f"\nThreads {t['threads']}: fit k={t['k']} (k-means++ included) "
              f"{t['seconds'][0]:.2f} s / {t['seconds'][1]:.2f} s; identical results: "
              f"{t['identical']}")
    if res.get("cold"):
        c = res["cold"]
        print(f"\nCold start, fit k=10 with k-means++ in a fresh process: empty numba cache "
              f"{c['empty_cache']['first_fit']:.1f} s (imports {c['empty_cache']['imports']:.1f} s), "
              f"with the cache {c['with_cache']['first_fit']:.2f} s (imports "
              f"{c['with_cache']['imports']:.1f} s), warm in-process {c['with_cache']['second_fit']:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="JSON file (default benchmarks/results/kmeans-<date>-<commit>.json)")
    parser.add_argument("--ks", default="10,100,256")
    parser.add_argument("--init-seeds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="10000 rows, 2 init seeds, no memory/cold-start runs (smoke test)")
    parser.add_argument("--no-faiss", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help="use only the first N rows (smoke test)")
    parser.add_argument("--no-subprocess", action="store_true",
                        help="skip the memory and cold-start runs")
    parser.add_argument("--dataset", default="mnist",
                        help="training images to use, e.g. infimnist:1000000 (default: mnist)")
    parser.add_argument("--fit-only", action="store_true",
                        help="only the side-by-side fits (no k-means++, threads, memory or "
                             "cold-start runs)")
    parser.add_argument("--max-iter", type=int,
                        help="every library runs exactly this many steps (tol 0) instead of "
                             "fitting to convergence")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.child:
        child_main(args.child, args.tmp)
        return 0

    import numba

    from pixelmeans import KMeans

    X = load_mnist(args.n or (10000 if args.quick else None), args.dataset)
    ks = [int(k) for k in args.ks.split(",")]
    with_faiss = not args.no_faiss
    if with_faiss:
        try:
            import faiss  # noqa: F401  (only whether it is there)
        except ImportError:
            print("faiss not installed: skipping it (pip install -e '.[bench]')")
            with_faiss = False
    res = dict(provenance(), dataset=args.dataset, n=int(X.shape[0]), d=int(X.shape[1]), tol=TOL,
               max_iter=args.max_iter)
    # numba's own thread count (the environment variable may be unset)
    res["machine"]["numba_threads"] = numba.config.NUMBA_NUM_THREADS
    KMeans(ks[0], random_state=0, max_iter=3).fit(X[:3000])  # compile before anything
    with tempfile.TemporaryDirectory() as tmp:
        seeds = range(2 if args.quick else args.init_seeds)
        res["fit"], res["init"] = bench_side_by_side(X, ks, seeds, [] if args.fit_only else [10, 100],
                                                     args.seed, with_faiss, tmp, args.max_iter,
                                                     args.fit_only)
        if not args.fit_only:
            res["threads"] = bench_threads(X, 100, args.seed)
        if not (args.quick or args.no_subprocess or args.fit_only):
            res["memory"] = [bench_memory(X, k, args.seed, tmp) for k in ks]
            res["cold"] = bench_cold(X, tmp)
    print_report(res)
    out = write_result(Path(args.out) if args.out else
                       result_name("kmeans", "-quick" if args.quick else ""), res)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

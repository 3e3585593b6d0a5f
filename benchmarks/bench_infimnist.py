"""InfiMNIST at scale: generate it, and fit k-means on it out of core, read from its store.

Two parts, each in a fresh process so that its peak resident memory (maxrss) is its own:

* ``generate``: ``pixelmeans fetch infimnist --n N`` into a scratch data folder, or
  with ``--keep`` into the data cache where ``fit`` reads it (the store must not exist
  there yet): wall time, images per second, the store's size on disk, peak memory.
* ``fit``: ``KMeans(k)`` on the first N images of the cached store (``pixelmeans fetch
  infimnist --n N`` first), read chunk by chunk from disk, uint8 throughout: the
  k-means++ start (on a sample, as for any data read from disk), ``--steps`` steps from
  it (tol 0; ``--no-steps`` skips them) and, unless ``--no-converge``, the fit to
  convergence (tol 1e-4, at most ``--max-iter`` steps, 300 as in scikit-learn) from the
  same start; steps, seconds, inertia, peak memory;
  train accuracy (majority label of each cluster) over the N images and test accuracy
  over MNIST's 10,000 test images.

Writes JSON (default ``benchmarks/results/infimnist-<date>-<commit>.json``) with the
commit, machine, library versions and command line (``provenance.py``).

    .venv/bin/python benchmarks/bench_infimnist.py fit --n 8100000 --k 256
    .venv/bin/python benchmarks/bench_infimnist.py generate --n 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from provenance import provenance, result_name, write_result

TOL = 1e-4


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def child_generate(n: int, data_dir: str) -> dict:
    from pixelmeans.data.infimnist import fetch_infimnist, store_path
    from pixelmeans.data.load import load_dataset

    train = load_dataset("mnist", split="train")  # from the regular cache, before the clock
    start = time.perf_counter()
    path = fetch_infimnist(lambda: train, n=n, data_dir=data_dir, echo=lambda line: None)
    seconds = time.perf_counter() - start
    assert path == store_path(n, 0, data_dir)
    return dict(n=n, seconds=seconds, images_per_second=n / seconds,
                store_bytes=_du(path), data_bytes=n * 784, maxrss_bytes=_maxrss_bytes())


def _accuracy(labels, truth, k):
    """Majority-label accuracy and the cluster -> label mapping."""
    table = np.zeros((k, 10), dtype=np.int64)
    np.add.at(table, (labels, truth), 1)
    return float(table.max(axis=1).sum() / len(truth)), table.argmax(axis=1)


def child_fit(n: int, k: int, steps: int, converge: bool, seed: int, max_iter: int) -> dict:
    from pixelmeans import KMeans
    from pixelmeans.cluster._rows import as_rows
    from pixelmeans.cluster.init import _kmeans_plusplus_start
    from pixelmeans.cluster.kernels import compute_dtype, data_shift
    from pixelmeans.data.infimnist import open_infimnist
    from pixelmeans.data.load import load_dataset

    images, labels = open_infimnist(n)
    X = as_rows(images)
    out = dict(n=n, k=k, read_rows=X.read_rows)
    KMeans(8, random_state=0, max_iter=3).fit(X.read(0, 4096))  # compile before the clock

    t = time.perf_counter()
    shift, var = data_shift(X, compute_dtype(X.dtype))[:2]
    rng = np.random.RandomState(seed)
    init = _kmeans_plusplus_start(X, k, np.ones(n), rng, shift)
    out["init_seconds"] = time.perf_counter() - t
    out["maxrss_after_init_bytes"] = _maxrss_bytes()

    def fit(max_iter, tol):
        # CPU seconds (all threads) beside wall seconds: on a shared machine the wall
        # time grows with the load, the CPU time much less. No callback: it would
        # make every step compute the exact inertia.
        t0, c0 = time.perf_counter(), time.process_time()
        km = KMeans(k, init=init, n_init=1, max_iter=max_iter, tol=tol).fit(X)
        record = dict(steps=int(km.n_iter_), seconds=time.perf_counter() - t0,
                      cpu_seconds=time.process_time() - c0, inertia=float(km.inertia_),
                      maxrss_bytes=_maxrss_bytes(), load_average=os.getloadavg())
        return km, record

    if steps:
        km, out["steps"] = fit(steps, 0.0)
    if converge:
        km, out["converged"] = fit(max_iter, TOL)
        # The fit stops once a step's center_shift is at most this (tol scaled by the
        # data's mean per-feature variance, as scikit-learn does).
        out["converged"].update(converged=bool(km.converged_), max_iter=max_iter, tol=TOL,
                                shift_threshold=float(np.mean(var) * TOL))
    truth = np.asarray(labels[:n]).astype(np.int64)
    out["train_accuracy"], mapping = _accuracy(km.labels_, truth, k)
    test = load_dataset("mnist", split="test")
    predicted = km.predict(test.images.reshape(len(test.images), -1))
    out["test_accuracy"] = float(np.mean(mapping[predicted] == test.labels))
    out["maxrss_bytes"] = _maxrss_bytes()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["generate", "fit"])
    parser.add_argument("--n", type=int, default=8_100_000)
    parser.add_argument("--k", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-converge", action="store_true")
    parser.add_argument("--no-steps", action="store_true", help="skip the fit of --steps steps")
    parser.add_argument("--max-iter", type=int, default=300,
                        help="step limit of the fit to convergence (default 300, scikit-learn's)")
    parser.add_argument("--keep", action="store_true",
                        help="generate into the data cache (for `fit`) instead of a scratch folder")
    parser.add_argument("--out", help="JSON file (default benchmarks/results/infimnist-<date>-<commit>.json)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        if args.part == "generate":
            res = child_generate(args.n, args.data_dir)
        else:
            steps = 0 if args.no_steps else args.steps
            res = child_fit(args.n, args.k, steps, not args.no_converge, args.seed, args.max_iter)
        print(json.dumps(res))
        return 0

    res = dict(provenance(), part=args.part)
    argv = [sys.executable, __file__, args.part, "--child", "--n", str(args.n), "--k", str(args.k),
            "--steps", str(args.steps), "--seed", str(args.seed), "--max-iter", str(args.max_iter)]
    argv += ["--no-converge"] * args.no_converge + ["--no-steps"] * args.no_steps
    with tempfile.TemporaryDirectory(dir=Path.home()) as scratch:
        if args.part == "generate" and not args.keep:
            argv += ["--data-dir", scratch]
        elif args.part == "generate":
            from pixelmeans.data.infimnist import store_path

            if store_path(args.n, args.seed).exists():
                print(f"{store_path(args.n, args.seed)} exists: nothing to generate", file=sys.stderr)
                return 2
        proc = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        return proc.returncode
    res[args.part] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(res[args.part], indent=2))
    out = write_result(Path(args.out) if args.out else result_name("infimnist", f"-{args.part}"), res)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())

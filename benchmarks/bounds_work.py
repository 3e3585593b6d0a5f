"""How much distance work Yinyang's bounds leave on InfiMNIST at k = 256, step by step.

The floor under any bound-based step is the distances its bounds cannot rule out.
This script measures that work in exact arithmetic, independent of any kernel's
speed: it runs Lloyd's steps (float64, full distance matrices) on the first ``--n``
InfiMNIST images from a k-means++ start and replays Yinyang's bookkeeping on the way
(upper bound plus one lower bound per group, moved by the centres' drift; the own
centre's distance tightens the upper bound; local filter per centre in the candidate
groups). Per step and number of groups it reports:

* ``active``: the fraction of points whose global test fails (they must be read);
* ``distances``: distances computed, as a fraction of ``n x k`` (a full pass);
* ``grouped``: the same if every candidate group were computed whole (one small
  gemm per group instead of one dot product per centre).

A kernel whose cost per distance equals a gemm's would need ``sum(distances)`` full
passes for the whole fit: that, times one full pass, is the best such a kernel can do.

Writes JSON (default ``benchmarks/results/bounds-work-<date>-<commit>.json``).

    .venv/bin/python benchmarks/bounds_work.py --n 20000 --steps 20 --groups 26,64
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from provenance import provenance, result_name, write_result


def lloyd_trajectory(X, centers, steps):
    """Centres after each of ``steps`` exact Lloyd steps (float64), the start first."""
    trajectory = [centers]
    for _ in range(steps):
        labels = distances(X, centers).argmin(1)
        new = centers.copy()
        for j in range(centers.shape[0]):
            members = labels == j
            if members.any():
                new[j] = X[members].mean(0)
        trajectory.append(new)
        centers = new
    return trajectory


def distances(X, centers):
    sq = (X ** 2).sum(1)[:, None] - 2.0 * X @ centers.T + (centers ** 2).sum(1)[None]
    return np.sqrt(np.maximum(sq, 0.0))


def replay(X, trajectory, group_of):
    """Per step after the first: active fraction, distance fraction, grouped fraction."""
    n, k = X.shape[0], trajectory[0].shape[0]
    G = int(group_of.max()) + 1
    sizes = np.bincount(group_of, minlength=G)
    rows = np.arange(n)

    def group_minima(D, labels):
        masked = D.copy()
        masked[rows, labels] = np.inf
        return np.stack([masked[:, group_of == g].min(1) for g in range(G)], 1)

    D = distances(X, trajectory[0])
    labels = D.argmin(1)
    upper = D[rows, labels]
    lower = group_minima(D, labels)
    out = []
    for t in range(1, len(trajectory)):
        drift = np.sqrt(((trajectory[t] - trajectory[t - 1]) ** 2).sum(1))
        gdrift = np.array([drift[group_of == g].max() for g in range(G)])
        D = distances(X, trajectory[t])
        upper = upper + drift[labels]
        old_lower = lower
        lower = lower - gdrift[None]
        active = upper >= lower.min(1)
        upper[active] = D[active, labels[active]]
        live = active & (upper >= lower.min(1))
        candidate = live[:, None] & (lower < upper[:, None])
        local = old_lower[:, group_of] - drift[None]
        computed = candidate[:, group_of] & (local <= upper[:, None])
        computed[rows, labels] = False
        new_labels = D.argmin(1)
        lower = np.where(candidate, group_minima(D, new_labels), lower)
        moved = new_labels != labels
        ga = group_of[labels]
        lower[moved, ga[moved]] = np.minimum(lower[moved, ga[moved]], D[moved, labels[moved]])
        upper = np.where(live, D[rows, new_labels], upper)
        labels = new_labels
        out.append(dict(step=t + 1, active=float(active.mean()), changed=float(moved.mean()),
                        distances=float((active.sum() + computed.sum()) / (n * k)),
                        grouped=float((active.sum() + (candidate * sizes[None]).sum()) / (n * k))))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--k", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--groups", default="26,64", help="numbers of groups, comma-separated")
    parser.add_argument("--out")
    args = parser.parse_args()

    from pixelmeans import kmeans_plusplus
    from pixelmeans.cluster.bounds import yinyang_groups
    from pixelmeans.data.infimnist import generate
    from pixelmeans.data.load import load_dataset

    source = load_dataset("mnist", split="train").images
    images = generate(np.arange(source.shape[0], source.shape[0] + args.n), source)
    X = images.reshape(args.n, -1).astype(np.float64)
    start = kmeans_plusplus(X.astype(np.float32), args.k, random_state=0)[0].astype(np.float64)
    trajectory = lloyd_trajectory(X, start, args.steps - 1)
    res = dict(provenance(), n=args.n, k=args.k, steps=args.steps,
               images="InfiMNIST copy 1 of the first n training digits", runs=[])
    for G in (int(g) for g in args.groups.split(",")):
        group_of = np.asarray(yinyang_groups(start.astype(np.float32), G)[0])
        per_step = replay(X, trajectory, group_of)
        run = dict(groups=int(group_of.max()) + 1, per_step=per_step,
                   full_passes=1.0 + sum(s["distances"] for s in per_step),
                   full_passes_grouped=1.0 + sum(s["grouped"] for s in per_step))
        res["runs"].append(run)
        print(f"G={run['groups']}: {run['full_passes']:.2f} full passes of distances over "
              f"{args.steps} steps ({run['full_passes_grouped']:.2f} with whole groups)")
    out = write_result(Path(args.out) if args.out else result_name("bounds-work"), res)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Spherical against ordinary k-means on the contrastive features.

The contrastive encoder's codes are rows of unit length, compared by cosine
similarity in training. For each seed: ``make_features("clr")`` (defaults) fitted on
all images of the data set (``load_dataset(name, split="all")``), then
``KMeans(10, n_init=N)`` on the codes, with ``spherical=False`` and ``spherical=True``
(centroids scaled to unit length after every update), from the same seed. Reports
Hungarian accuracy, purity, NMI, ARI, inertia, steps and seconds, written as JSON
(default ``benchmarks/results/spherical-<date>-<commit>.json``) with
``provenance.py``'s record.

    .venv/bin/python benchmarks/bench_spherical.py [--dataset mnist] [--seeds 0] [--n-init 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from provenance import provenance, result_name, write_result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n-init", type=int, default=10)
    parser.add_argument("--json", help="JSON file (default benchmarks/results/spherical-<date>-<commit>.json)")
    args = parser.parse_args()

    import numpy as np

    import pixelmeans
    from pixelmeans.evaluate import evaluate
    from pixelmeans.features import make_features

    ds = pixelmeans.load_dataset(args.dataset, split="all")
    X, y = ds.images, ds.labels
    rows = []
    for seed in args.seeds:
        start = time.perf_counter()
        Z = make_features("clr", random_state=seed, verbose=False).fit_transform(X)
        embed_s = time.perf_counter() - start
        norms = np.linalg.norm(Z.astype(np.float64), axis=1)
        print(f"seed {seed}: codes {Z.shape} in {embed_s:.0f} s, row norms "
              f"{norms.min():.6f}..{norms.max():.6f}", flush=True)
        for spherical in (False, True):
            start = time.perf_counter()
            km = pixelmeans.KMeans(10, n_init=args.n_init, random_state=seed,
                                   spherical=spherical).fit(Z)
            seconds = time.perf_counter() - start
            m = evaluate(km.labels_, y, n_clusters=10, n_classes=10)
            row = {"seed": seed, "spherical": spherical, "embed_seconds": embed_s,
                   "kmeans_seconds": seconds, "inertia": km.inertia_, "n_iter": km.n_iter_,
                   **{k: float(m[k]) for k in ("hungarian_accuracy", "purity", "nmi", "ari")}}
            rows.append(row)
            print(f"  spherical={spherical}: Hungarian {row['hungarian_accuracy']:.4f}, "
                  f"NMI {row['nmi']:.4f}, ARI {row['ari']:.4f}, inertia {km.inertia_:.6g}, "
                  f"{km.n_iter_} steps, {seconds:.1f} s", flush=True)
    written = write_result(Path(args.json) if args.json else result_name("spherical"),
                           dict(provenance(), dataset=args.dataset, n_init=args.n_init,
                                features="clr (defaults)", rows=rows))
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Learned features against pixels: k-means k=10 on all 70,000 images of a data set.

For each data set, seed and feature spec: fit the features on train+test
(``load_dataset(name, split="all")``), then ``pixelmeans.KMeans(10)`` on them, and
measure Hungarian accuracy, purity, NMI and ARI against the true labels (never used
to fit) with the embedding time, the k-means time and the wall time of the seed.
The project's aims (on a 2-core CPU): on MNIST a mean Hungarian accuracy of at least
0.98 and NMI of at least 0.94 in at most 600 s wall per seed; on Fashion-MNIST at least
0.68. Figures measured with it, with their commands, are in docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_features.py [--datasets mnist fashion-mnist]
        [--features pixels deskew+pixels hog+pixels pca autoencoder umap hog+umap ae+umap
                    deskew+ae+umap deskew+hog+ae+umap hog+clr+umap clr+umap] [--seeds 0 1 2]
        [--set key=value ...] [--out FILE]

Results are merged into the JSON file (default
``benchmarks/results/features-<date>-<commit>.json``) keyed by data set, features and
seed, so parts can be run separately; each run records its commit, machine, library
versions and command line (``provenance.py``). When both
``autoencoder`` and ``ae+umap`` are asked for and their autoencoders have the same
parameters, the autoencoder is trained once per seed: its codes give the
``autoencoder`` row and its training time counts in both rows' embedding time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from provenance import provenance, result_name
FEATURES = ("pixels", "deskew+pixels", "hog+pixels", "pca", "autoencoder", "umap", "hog+umap", "ae+umap",
            "deskew+ae+umap", "deskew+hog+ae+umap", "hog+clr+umap", "clr+umap")
TWO_STAGE = ("ae+umap", "clr+umap")  # an encoder, then UMAP of its codes: timed stage by stage


def parse_value(text: str):
    """``--set`` values: int, float, bool, None or a plain string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def metrics(pred: np.ndarray, y: np.ndarray) -> dict:
    """Hungarian accuracy, purity, NMI and ARI of one clustering (floats)."""
    from pixelmeans.evaluate import evaluate

    m = evaluate(pred, y, n_clusters=10, n_classes=10)
    return {k: m[k] for k in ("hungarian_accuracy", "purity", "nmi", "ari")}


def embed(specs, X, seed: int, overrides: dict, log=print) -> dict:
    """Fit each feature spec on X; returns {spec: (Z, seconds, params)}.

    ``autoencoder`` reuses the autoencoder of ``ae+umap`` when both are asked for with
    the same parameters (training it twice would only measure the same thing again).
    """
    from pixelmeans.features import make_features

    out, shared = {}, None
    for spec in specs:
        kw = dict(random_state=seed, verbose=False, **overrides)
        if spec.endswith(TWO_STAGE):
            t = make_features(spec, **kw)
            start = time.perf_counter()
            ae = t.autoencoder  # the two stages of AEUMAP.fit_transform, timed apart
            # (deskewing, if any, is the encoder's first step: it counts in its time)
            codes = ae.fit_transform(X)
            t_ae = time.perf_counter() - start
            log(f"  seed {seed}: encoder trained in {t_ae:.0f} s, final loss {ae.loss_curve_[-1]:.5f}")
            start = time.perf_counter()
            Z = t.umap.fit_transform(codes)
            t_um = time.perf_counter() - start
            log(f"  seed {seed}: umap of the codes in {t_um:.0f} s")
            out[spec] = (Z, t_ae + t_um, {"autoencoder": _params(ae), "umap": _params(t.umap),
                                         "autoencoder_seconds": t_ae, "umap_seconds": t_um,
                                         "final_loss": ae.loss_curve_[-1] if ae.loss_curve_ else None})
            if spec == "ae+umap":
                shared = (ae, codes, t_ae)
    for spec in specs:
        if spec.endswith(TWO_STAGE):
            continue
        t = make_features(spec, random_state=seed, verbose=False, **stage_overrides(spec, overrides))
        if spec == "autoencoder" and shared is not None and _params(shared[0]) == _params(t):
            out[spec] = (shared[1], shared[2], {"autoencoder": _params(shared[0]), "shared_with": "ae+umap"})
            continue
        start = time.perf_counter()
        Z = t.fit_transform(X)
        out[spec] = (Z, time.perf_counter() - start, _params(t))
    return out


def stage_overrides(spec: str, overrides: dict) -> dict:
    """The ``--set`` keys that the single-stage ``spec`` takes: ``ae_``/``umap_`` prefixes
    aim at autoencoder/umap (as in ``ae+umap``); other stages' keys are left out."""
    from pixelmeans.features import AutoencoderFeatures, UMAPFeatures

    cls = {"autoencoder": AutoencoderFeatures, "umap": UMAPFeatures}.get(spec)
    if cls is None:
        return {}
    prefix = "ae_" if spec == "autoencoder" else "umap_"
    names = set(cls().get_params(deep=False))
    out = {k: v for k, v in overrides.items() if k in names and not k.startswith(("ae_", "umap_"))}
    out.update({k[len(prefix):]: v for k, v in overrides.items() if k.startswith(prefix) and k[len(prefix):] in names})
    out.pop("n_components", None)  # the spec's default dimension, as in ae+umap
    return out


def _params(t) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in t.get_params(deep=False).items()
            if isinstance(v, (int, float, str, bool, tuple, type(None)))}


def run(dataset: str, specs, seeds, n_init: int, overrides: dict, log=print) -> list[dict]:
    """All rows of one data set: one dict per (features, seed)."""
    import pixelmeans

    ds = pixelmeans.load_dataset(dataset, split="all")
    X = ds.images.reshape(len(ds.images), -1)
    y = np.asarray(ds.labels)
    log(f"{dataset}: {X.shape[0]} images")
    rows = []
    for seed in seeds:
        seed_start = time.perf_counter()
        for spec, (Z, t_embed, params) in embed(specs, X, seed, overrides, log).items():
            start = time.perf_counter()
            km = pixelmeans.KMeans(n_clusters=10, n_init=n_init, random_state=seed).fit(Z)
            t_fit = time.perf_counter() - start
            row = {"dataset": dataset, "features": spec, "seed": seed, "n_samples": int(X.shape[0]),
                   "dim": int(Z.shape[1]), **metrics(km.labels_, y), "inertia": float(km.inertia_),
                   "embed_seconds": t_embed, "kmeans_seconds": t_fit, "wall_seconds": t_embed + t_fit,
                   "n_init": n_init, "params": params}
            rows.append(row)
            log(format_row(row))
        log(f"  seed {seed}: {time.perf_counter() - seed_start:.0f} s for all features")
    return rows


HEADER = (f"{'dataset':<14}{'features':<20}{'seed':>5}{'hungarian':>10}{'purity':>8}{'NMI':>8}{'ARI':>8}"
          f"{'embed s':>9}{'fit s':>7}{'wall s':>8}")


def format_row(r: dict) -> str:
    return (f"{r['dataset']:<14}{r['features']:<20}{r['seed']:>5}{r['hungarian_accuracy']:>10.4f}"
            f"{r['purity']:>8.4f}{r['nmi']:>8.4f}{r['ari']:>8.4f}{r['embed_seconds']:>9.1f}"
            f"{r['kmeans_seconds']:>7.1f}{r['wall_seconds']:>8.1f}")


def summarise(rows: list[dict]) -> list[str]:
    """Mean (and min..max over seeds) per data set and features."""
    lines = [f"{'dataset':<14}{'features':<20}{'seeds':>6}{'hungarian':>10}{'NMI':>8}{'ARI':>8}{'wall s':>8}"]
    keys = sorted({(r["dataset"], r["features"]) for r in rows},
                  key=lambda k: (k[0], FEATURES.index(k[1]) if k[1] in FEATURES else 99))
    for ds, feat in keys:
        sel = [r for r in rows if r["dataset"] == ds and r["features"] == feat]
        mean = {k: float(np.mean([r[k] for r in sel])) for k in ("hungarian_accuracy", "nmi", "ari", "wall_seconds")}
        lines.append(f"{ds:<14}{feat:<20}{len(sel):>6}{mean['hungarian_accuracy']:>10.4f}{mean['nmi']:>8.4f}"
                     f"{mean['ari']:>8.4f}{mean['wall_seconds']:>8.1f}")
    return lines


def merge(path: Path, rows: list[dict], meta: dict) -> list[dict]:
    """Add rows to the JSON file (replacing same data set/features/seed); atomic write.

    Every row carries ``meta`` (commit, machine, versions, command) as ``provenance``:
    a file merged from several runs keeps where each of its rows came from.
    """
    old = json.loads(path.read_text())["runs"] if path.exists() else []
    new_keys = {(r["dataset"], r["features"], r["seed"]) for r in rows}
    rows = [{**r, "provenance": meta} for r in rows]
    runs = [r for r in old if (r["dataset"], r["features"], r["seed"]) not in new_keys] + rows
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**meta, "runs": runs}, indent=1) + "\n")
    os.replace(tmp, path)
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist"])
    parser.add_argument("--features", nargs="+", default=list(FEATURES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n-init", type=int, default=10, help="k-means restarts (best inertia kept)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="feature parameters for make_features, e.g. epochs=20 umap_n_neighbors=30")
    parser.add_argument("--out", type=Path,
                        help="JSON file (default benchmarks/results/features-<date>-<commit>.json)")
    args = parser.parse_args(argv)
    unknown = set(args.features) - set(FEATURES)
    if unknown:
        parser.error(f"unknown features {sorted(unknown)}; choose from {FEATURES}")
    overrides = dict(kv.split("=", 1) for kv in args.set)
    overrides = {k: parse_value(v) for k, v in overrides.items()}
    out = args.out or result_name("features")
    warnings.filterwarnings("ignore", category=FutureWarning)
    import torch  # noqa: F401  (import time is not embedding time)
    import umap  # noqa: F401

    meta = provenance(sys.argv if argv is None else [sys.argv[0], *argv])
    print(HEADER, flush=True)
    rows = []
    for dataset in args.datasets:
        rows += run(dataset, args.features, args.seeds, args.n_init, overrides,
                    log=lambda s: print(s, flush=True))
        runs = merge(out, rows, meta)
    print("\nthis run:")
    print("\n".join(summarise(rows)))
    print(f"\nall runs in {out}:")
    print("\n".join(summarise(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

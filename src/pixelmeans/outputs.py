"""Where results go and what is written: the output-folder policy, summary.json, the
CSV files, the console table, and the comparison with sibling runs.

Files are written only through :mod:`pixelmeans.fileio` (temporary name, then rename);
a results folder carries a manifest, and only a folder whose manifest matches is ever
replaced.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
from pathlib import Path

import numpy as np

from pixelmeans.errors import InputError
from pixelmeans.fileio import clean_stale_temporaries, replace_refusal, write_json, write_text

SUMMARY_MARKER = "pixelmeans-results"


def features_tag(spec: str) -> str:
    """A folder-name suffix for a features spec: "" for pixels, "-pca50", "-aeumap", ..."""
    if spec == "pixels":
        return ""
    if "/" in spec or os.sep in spec or Path(spec).suffix:
        return f"-{Path(spec).stem}"
    return "-" + "".join(ch for ch in spec if ch.isalnum())


def default_out(config, suffix: str) -> Path:
    """``results/<data name>-<suffix><features tag>``, e.g. ``results/mnist-k10``."""
    name = Path(config.data).stem if config.data else config.dataset
    return Path("results") / f"{name}-{suffix}{features_tag(config.features)}"


def check_out(out, overwrite: bool, *, echo=print) -> None:
    """Refuse, before any work, an output folder we may not write or must not replace.

    ``out`` must be a new folder, an empty one, or (with ``overwrite``) a folder whose
    manifest shows that pixelmeans wrote everything in it (:func:`fileio.foreign_entries`):
    files a user put there are never deleted. Hidden working folders that a killed
    run left beside ``out`` are cleaned up first, and each is named on the console.
    """
    shown = out
    out = Path(os.path.abspath(out))
    cwd = Path.cwd()
    if out == cwd or out in cwd.parents:
        raise InputError(f"--out {shown}: is the current folder or one above it; expected a folder to create")
    if out.is_symlink():
        raise InputError(f"--out {shown}: is a symbolic link; expected a folder to create")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {shown}: is a file; expected a folder to create")
    probe = out.parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"--out {shown}: {probe} is not a writable folder")
    for line in clean_stale_temporaries(out):
        echo(line)
    if out.exists() and any(out.iterdir()):
        refusal = replace_refusal(out, overwrite)
        if refusal is not None:
            raise InputError(f"--out {shown}: {refusal}")


#: Optional libraries recorded in ``versions`` when installed, by distribution name.
#: Read from the installed metadata: importing torch alone takes seconds.
OPTIONAL_LIBRARIES = ("numba", "torch", "umap-learn")


def versions() -> dict[str, str]:
    """The versions a result depends on, and the machine: summary.json's ``versions``.

    Returns
    -------
    dict of str to str
        pixelmeans, Python and each library's version (the optional ones of
        :data:`OPTIONAL_LIBRARIES` only when installed), ``platform`` and ``cpu``
        (:func:`cpu_model`).
    """
    from importlib import metadata

    import matplotlib
    import scipy
    import sklearn

    import pixelmeans

    found = {
        "pixelmeans": pixelmeans.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "matplotlib": matplotlib.__version__,
    }
    for name in OPTIONAL_LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found | {"platform": platform.platform(), "cpu": cpu_model()}


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_mapping_csv(path: Path, mapping, sizes, purity, class_names) -> None:
    lines = ["cluster,majority_label,label_name,size,purity"]
    for j, (m, n, p) in enumerate(zip(mapping, sizes, purity)):
        name = class_names[m] if 0 <= m < len(class_names) else ""
        lines.append(f"{j},{m},{name},{n},{'' if np.isnan(p) else f'{p:.6f}'}")
    write_text(path, "\n".join(lines) + "\n")


def run_summary(result, out=None) -> dict:
    """Everything a run measured, as the plain dict written to summary.json.

    Parameters
    ----------
    result : pixelmeans.run.RunResult
    out : path-like or None
        The results folder it is written to (recorded in ``config.out``).
    """
    config, train, test, model = result.config, result.train, result.test, result.model
    h, w = result.image_shape
    k_out = model.cluster_centers_.shape[0]
    mapping, purity, sizes = result.mapping, result.purity, result.sizes
    return {
        "kind": SUMMARY_MARKER,
        "config": dataclasses.asdict(config) | {"k": result.k, "out": None if out is None else str(out)},
        "versions": versions(),
        "data": {
            "name": train.name,
            "n_train": int(train.images.shape[0]),
            "n_test": int(test.images.shape[0]) if test is not None else 0,
            "image_shape": [int(h), int(w)],
            "has_labels": train.labels is not None,
            "class_names": list(train.class_names),
        },
        "features": {"spec": config.features, "n_features": int(result.features.shape[1])},
        "init": result.init,
        "units": result.units,
        "warnings": list(result.warnings),
        "n_clusters": int(k_out),
        "inertia": float(model.inertia_),
        "n_iter": int(model.n_iter_),
        "converged": bool(model.converged_),
        "restarts": result.restarts,
        "metrics": result.metrics,
        "silhouette": _silhouette_summary(result.silhouette),
        "clusters": [
            {
                "cluster": j,
                "size": int(sizes[j]),
                "majority_label": int(mapping[j]) if mapping is not None else None,
                "label_name": (train.class_names[mapping[j]]
                               if mapping is not None and mapping[j] >= 0 else None),
                "purity": float(purity[j]) if purity is not None else None,
            }
            for j in range(k_out)
        ],
        "timings": dict(result.clock.stages),
    }


def _silhouette_summary(silhouette) -> dict | None:
    """Mean silhouette of the training sample, its size, and each cluster's mean there."""
    if silhouette is None:
        return None
    values, labels, _ = silhouette
    return {"mean": float(values.mean()), "sample_size": int(values.size),
            "per_cluster": {str(j): float(values[labels == j].mean()) for j in np.unique(labels)}}


def write_run_folder(result, out, *, overwrite=False, echo=print) -> Path:
    """Write a run's complete results folder (figures, CSV, summary.json, report.html).

    The folder is built under a temporary name and renamed into place at the end, so an
    interrupted write leaves nothing behind; ``overwrite`` follows :func:`check_out`.
    """
    from pixelmeans.centroids import write_pixel_centroids
    from pixelmeans.cluster.io import write_centroids
    from pixelmeans.fileio import atomic_directory, write_bytes
    from pixelmeans.report import write_run_report

    out = Path(out)
    check_out(out, overwrite, echo=echo)
    clock = result.clock
    centers = result.model.cluster_centers_
    with atomic_directory(out, overwrite=overwrite) as tmp:
        with clock.stage("figures"):
            figures = result.figures()
        with clock.stage("write"):
            for rel, data in figures.items():
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                write_bytes(tmp / rel, data)
            if result.config.centroid_units == "pixels":
                write_pixel_centroids(tmp / "centroids.csv", centers)
            else:
                write_centroids(tmp / "centroids.csv", centers)
            write_centroids(tmp / "centroids.npy", centers)
            if result.mapping is not None:
                write_mapping_csv(tmp / "mapping.csv", result.mapping, result.sizes, result.purity,
                                  result.train.class_names)
        summary = run_summary(result, out)
        with clock.stage("report"):
            comparison = compare_runs(out, summary)
            if len(comparison) > 1:
                summary["comparison"] = comparison
            write_run_report(tmp / "report.html", summary=summary, figures=figures)
        summary["timings"] = dict(clock.stages)
        write_json(tmp / "summary.json", summary)
    echo(results_table(summary))
    echo(f"Report: {out / 'report.html'}")
    return out


def results_table(summary: dict) -> str:
    """A short plain-text table of the numbers that matter."""
    rows = [("clusters", f"{summary['n_clusters']}"),
            ("inertia", f"{summary['inertia']:.5g}"),
            ("steps", f"{summary['n_iter']}")]
    for split, m in summary["metrics"].items():
        rows += [(f"{split} accuracy", f"{m['accuracy']:.4f}"),
                 (f"{split} Hungarian", f"{m['hungarian_accuracy']:.4f}"),
                 (f"{split} NMI", f"{m['nmi']:.4f}"),
                 (f"{split} ARI", f"{m['ari']:.4f}")]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def _field(tree, *keys, kind=dict):
    """``tree[k1][k2]...`` when every level is a dict and the leaf is of ``kind``, else None.

    A sibling's summary.json is another program's file as far as this run knows: a
    value of the wrong type is treated as missing, never trusted.
    """
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    if kind is float:
        return float(tree) if isinstance(tree, (int, float)) and not isinstance(tree, bool) else None
    return tree if isinstance(tree, kind) else None


def compare_runs(out: Path, summary: dict) -> list[dict]:
    """Rows comparing this run with earlier runs beside it on the same data and k.

    Reads the ``summary.json`` of sibling results folders that pixelmeans wrote; the
    current run comes first.
    """
    def row(s, folder):
        return {"features": _field(s, "features", "spec", kind=str),
                "train_accuracy": _field(s, "metrics", "train", "accuracy", kind=float),
                "test_accuracy": _field(s, "metrics", "test", "accuracy", kind=float),
                "hungarian_accuracy": _field(s, "metrics", "train", "hungarian_accuracy", kind=float),
                "nmi": _field(s, "metrics", "train", "nmi", kind=float),
                "time": ((_field(s, "timings", "features", kind=float) or 0)
                         + (_field(s, "timings", "fit", kind=float) or 0)),
                "folder": folder}

    rows = [row(summary, out.name)]
    parent = out.parent if out.parent.exists() else None
    for other in sorted(parent.iterdir()) if parent else []:
        if other.name == out.name or other.name.startswith(".") or not other.is_dir():
            continue
        try:
            s = json.loads((other / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (_field(s, "kind", kind=str) == SUMMARY_MARKER and s.get("command", "run") == "run"
                and _field(s, "data", "name", kind=str) == summary["data"]["name"]
                and s.get("n_clusters") == summary["n_clusters"]):
            rows.append(row(s, other.name))
    return rows

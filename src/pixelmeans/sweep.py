"""Sweep k and restarts: the table behind the elbow, accuracy-versus-k and stability.

Every (k, restart) cell is written to a hidden work folder beside the results folder
as soon as it ends, so ``--resume`` after a kill skips finished cells. The results
folder itself is written only at the end, complete or not at all.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pixelmeans import evaluate as ev
from pixelmeans.errors import InputError, MissingDependencyError
from pixelmeans.config import FitConfig
from pixelmeans.fileio import atomic_directory, write_bytes, write_text

__all__ = ["SweepConfig", "parse_k", "sweep", "SWEEP_COLUMNS"]

SWEEP_COLUMNS = (
    "k", "restart", "seed", "first_inertia", "inertia", "n_iter", "converged", "fit_time",
    "n_clusters_out", "train_accuracy", "test_accuracy", "hungarian_accuracy", "nmi", "best",
)
SILHOUETTE_SAMPLE = 5000
#: A sweep fits every k n_init times; more values than this is a typo, not a plan.
MAX_K_VALUES = 1000


@dataclass
class SweepConfig(FitConfig):
    """What ``pixelmeans sweep`` was asked to do (all of it goes into summary.json)."""

    k: list[int] = field(default_factory=lambda: [5, 7, 10, 12])
    resume: bool = False


_RANGE = re.compile(r"^(\d+):(\d+)(?::(log|\d+))?$")


def parse_k(specs) -> list[int]:
    """Parse k specifications: integers, ``a:b`` (every k), ``a:b:step`` or ``a:b:log``.

    ``a:b:log`` doubles from ``a`` up to ``b`` and always ends at ``b``
    (``2:256:log`` is 2, 4, 8, ..., 256).

    Returns
    -------
    list of int, sorted, without repeats
    """
    if isinstance(specs, (int, str)):
        specs = [specs]
    ks: set[int] = set()
    for spec in specs:
        text = str(spec).strip()
        if re.fullmatch(r"-?\d+", text):
            value = int(text)
            if value < 1:
                raise InputError(f"--k {text}: expected a number of clusters of at least 1")
            ks.add(value)
            continue
        m = _RANGE.match(text)
        if not m:
            raise InputError(f"--k {text}: expected an integer, a:b, a:b:step or a:b:log")
        lo, hi, step = int(m.group(1)), int(m.group(2)), m.group(3)
        if lo < 1 or hi < lo:
            raise InputError(f"--k {text}: expected 1 <= a <= b in a:b")
        if step == "log":
            value = lo
            while value < hi:
                ks.add(value)
                value *= 2
            ks.add(hi)
        else:
            stride = int(step) if step else 1
            if stride < 1:
                raise InputError(f"--k {text}: expected a step of at least 1")
            if (hi - lo) // stride + 1 + len(ks) > MAX_K_VALUES:
                raise InputError(f"--k {text}: expected at most {MAX_K_VALUES} values of k in one sweep")
            ks.update(range(lo, hi + 1, stride))
    if not ks:
        raise InputError("--k: expected at least one value")
    return sorted(ks)


def _cell_name(k: int, restart: int) -> str:
    return f"k{k:04d}-r{restart:02d}"


def _work_folder(out: Path) -> Path:
    return out.parent / f".{out.name}.partial"


def _fingerprint(config: SweepConfig, train, test) -> dict:
    """What a finished cell depends on: the settings, the content of the data (a hash of
    the images and labels, not their path) and of a saved embedding file. A resumed
    sweep must match all of it."""
    keep = ("dataset", "data", "max_iter", "tol", "init", "empty_clusters", "seed", "features",
            "feature_options")
    settings = {key: getattr(config, key) for key in keep}
    digest = hashlib.sha256()
    for ds in (train, test):
        for array in (None, None) if ds is None else (ds.images, ds.labels):
            if array is None:
                digest.update(b"-")
                continue
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(np.ascontiguousarray(array).data)
    settings["data_sha256"] = digest.hexdigest()
    if Path(config.features).is_file():
        settings["features_sha256"] = hashlib.sha256(Path(config.features).read_bytes()).hexdigest()
    if Path(config.init).is_file():
        settings["init_sha256"] = hashlib.sha256(Path(config.init).read_bytes()).hexdigest()
    return settings


def _prepare_work(work: Path, config: SweepConfig, fingerprint: dict, echo) -> None:
    marker = work / "config.json"
    if config.resume and marker.exists():
        try:
            previous = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            previous = None
        if previous != fingerprint:
            changed = (sorted(k for k in fingerprint if previous.get(k) != fingerprint[k])
                       if isinstance(previous, dict) else ["its record"])
            raise InputError(f"--resume: the unfinished sweep in {work} used other settings "
                             f"(changed: {', '.join(changed)}); run without --resume to start again")
        return
    if work.exists():
        import shutil

        echo(f"starting again: removing the unfinished sweep in {work} (--resume would continue it)")
        shutil.rmtree(work)
    (work / "cells").mkdir(parents=True)
    write_text(marker, json.dumps(fingerprint))


def _load_cell(work: Path, name: str):
    rec_path = work / "cells" / f"{name}.json"
    lab_path = work / "cells" / f"{name}.npz"
    if not (rec_path.exists() and lab_path.exists()):
        return None
    try:
        record = json.loads(rec_path.read_text())
        with np.load(lab_path, allow_pickle=False) as z:  # numpy's default, stated: cells are data
            arrays = {key: z[key] for key in z.files}
    except (ValueError, OSError):
        return None
    return record, arrays


def _save_cell(work: Path, name: str, record: dict, arrays: dict) -> None:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    # arrays first: a record without its arrays is never taken as finished
    write_bytes(work / "cells" / f"{name}.npz", buf.getvalue())
    write_text(work / "cells" / f"{name}.json", json.dumps(record))


def sweep(config: SweepConfig, *, echo=print, as_frame=False):
    """Fit every k in ``config.k`` ``config.n_init`` times and write the results folder.

    Parameters
    ----------
    config : SweepConfig
    echo : callable(str)
    as_frame : bool
        Return a pandas DataFrame instead of a list of dicts (pandas needed).

    Returns
    -------
    table : list of dict or pandas.DataFrame
        One row per (k, restart) with the columns of :data:`SWEEP_COLUMNS`.
    """
    from pixelmeans.config import check_fit_config
    from pixelmeans.features import make_features
    from pixelmeans.outputs import check_out, default_out
    from pixelmeans.run import load_splits
    from pixelmeans.train_features import train_features

    if as_frame:
        try:
            import pandas  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError("as_frame=True needs pandas: pip install pandas") from exc
    ks = parse_k(config.k)
    check_fit_config(config)
    out = Path(config.out) if config.out else default_out(config, "sweep")
    check_out(out, config.overwrite, echo=echo)
    started = time.perf_counter()
    train, test = load_splits(config)
    n = train.images.shape[0]
    if ks[-1] > n:
        raise InputError(f"--k {ks[-1]}: larger than the {n} images in the data")
    work = _work_folder(out)
    _prepare_work(work, config, _fingerprint(config, train, test), echo)

    transformer = make_features(config.features, random_state=config.seed, **config.feature_options)
    features = train_features(transformer, train.images)
    X_test = (transformer.transform(test.images.reshape(test.images.shape[0], -1))
              if test is not None else None)
    done = _run_cells(config, ks, work, features, X_test, train, test, echo)
    rows, per_k = _tables(config, ks, done, features, train)
    _write_sweep_folder(config, ks, out, rows, per_k, done, transformer, train, test,
                        wall_time=time.perf_counter() - started)
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    echo(_markdown(per_k, train.name, config))
    echo(f"Report: {out / 'report.html'}")
    if as_frame:
        import pandas as pd

        return pd.DataFrame(rows, columns=list(SWEEP_COLUMNS))
    return rows


def _run_cells(config, ks, work, features, X_test, train, test, echo) -> dict:
    """Fit every (k, restart) not finished yet, saving each as it ends; return them all."""
    from pixelmeans.progress import Progress, describe_restart, note_first_compile
    from pixelmeans.restarts import fit_restarts, restart_seeds

    cells = [(k, r) for k in ks for r in range(config.n_init)]
    done = {c: _load_cell(work, _cell_name(*c)) for c in cells}
    todo = [c for c in cells if done[c] is None]
    if config.resume and len(todo) < len(cells):
        echo(f"resuming: {len(cells) - len(todo)} of {len(cells)} cells already finished")
    if todo:
        note_first_compile()
    finished = len(cells) - len(todo)
    with Progress(len(cells), "sweep", "fit", initial=finished) as bar:
        for k, r in todo:
            seed = restart_seeds(config.seed + k, config.n_init)[r]
            bar.show(k=k, restart=r)
            model, (record,) = fit_restarts(
                features.data, k=k, n_init=1, seed=seed, init=config.init,
                max_iter=config.max_iter, tol=config.tol, empty_clusters=config.empty_clusters,
                scale=features.scale)
            record.update(k=k, restart=r, seed=seed)
            record.update(_cell_scores(model, k, train, test, X_test))
            arrays = {"labels": model.labels_.astype(np.int32),
                      "centers": np.asarray(model.cluster_centers_, dtype=np.float32)}
            _save_cell(work, _cell_name(k, r), record, arrays)
            done[(k, r)] = (record, arrays)
            finished += 1
            bar.step(f"fit {finished}/{len(cells)}, k={k} restart {r + 1}/{config.n_init}: "
                     f"{describe_restart(record)}")
    return done


def _cell_scores(model, k, train, test, X_test) -> dict:
    """Accuracy, Hungarian accuracy (k = number of classes only) and NMI of one fit."""
    if train.labels is None:
        return {}
    n_classes = len(train.class_names)
    k_out = model.cluster_centers_.shape[0]
    scores = {"train_accuracy": ev.accuracy(model.labels_, train.labels),
              "hungarian_accuracy": (ev.hungarian_accuracy(model.labels_, train.labels, k_out, n_classes)
                                     if k == n_classes else None),
              "nmi": ev.nmi(model.labels_, train.labels)}
    if X_test is not None and test.labels is not None:
        mapping = ev.cluster_label_mapping(model.labels_, train.labels, k_out, n_classes)
        scores["test_accuracy"] = ev.accuracy(model.predict(X_test), test.labels, mapping)
    return scores


def _tables(config, ks, done, features, train):
    """``(rows, per_k)``: one row per (k, restart), and one summary per k of its best."""
    rows, per_k = [], []
    for k in ks:
        group = [done[(k, r)] for r in range(config.n_init)]
        inertias = np.array([rec["inertia"] for rec, _ in group])
        best = _best_restart(group)
        for r, (rec, _) in enumerate(group):
            rows.append({col: rec.get(col) for col in SWEEP_COLUMNS} | {"best": r == best})
        partitions = [arr["labels"] for _, arr in group]
        stability = (float(np.mean([ev.ari(a, b) for a, b in itertools.combinations(partitions, 2)]))
                     if len(partitions) > 1 else float("nan"))
        best_rec, best_arr = group[best]
        entry = {
            "k": k,
            "best_restart": best,
            "inertia": float(inertias[best]),
            "inertia_mean": float(inertias.mean()),
            "inertia_std": float(inertias.std()),
            "inertia_spread": float((inertias.max() - inertias.min()) / inertias.min()),
            "stability_ari": stability,
            "silhouette": _silhouette(features, best_arr["labels"], config.seed),
            "fit_time_mean": float(np.mean([rec["fit_time"] for rec, _ in group])),
            "train_accuracy": best_rec.get("train_accuracy"),
            "test_accuracy": best_rec.get("test_accuracy"),
            "hungarian_accuracy": best_rec.get("hungarian_accuracy"),
            "nmi": best_rec.get("nmi"),
        }
        if train.labels is not None:
            entry["mapping"] = ev.cluster_label_mapping(
                best_arr["labels"], train.labels, best_arr["centers"].shape[0],
                len(train.class_names)).tolist()
        per_k.append(entry)
    return rows, per_k


def _write_sweep_folder(config, ks, out, rows, per_k, done, transformer, train, test, *, wall_time):
    from pixelmeans.fileio import write_json
    from pixelmeans.members import member_means
    from pixelmeans.outputs import SUMMARY_MARKER, versions
    from pixelmeans.report import write_sweep_report

    flat = train.images.reshape(len(train.images), -1)
    figures = _sweep_figures(per_k, done, config, transformer, flat, train.images.shape[1:], train,
                             member_means)
    summary = {
        "kind": SUMMARY_MARKER,
        "command": "sweep",
        "config": dataclasses.asdict(config) | {"k": ks, "out": str(out)},
        "versions": versions(),
        "data": {"name": train.name, "n_train": int(len(train.images)),
                 "n_test": int(test.images.shape[0]) if test is not None else 0,
                 "has_labels": train.labels is not None, "class_names": list(train.class_names)},
        "per_k": per_k,
        "knee": knee_of(per_k),
        "runs": rows,
        "wall_time": wall_time,
    }
    with atomic_directory(out, overwrite=config.overwrite) as tmp:
        write_text(tmp / "sweep.csv", _csv(rows))
        write_text(tmp / "sweep.md", _markdown(per_k, train.name, config))
        for rel, data in figures.items():
            write_bytes(tmp / rel, data)
        write_json(tmp / "summary.json", summary)
        write_sweep_report(tmp / "report.html", summary=summary, figures=figures)


def _best_restart(group) -> int:
    """Index of the best of one k's restarts, by the rule KMeans uses."""
    from pixelmeans.cluster.estimator import is_better_restart

    best = 0
    for r, (rec, arr) in enumerate(group[1:], start=1):
        if is_better_restart(rec["inertia"], arr["labels"], group[best][0]["inertia"], group[best][1]["labels"]):
            best = r
    return best


def knee_of(per_k):
    """The k at the knee of the elbow curve (None with fewer than three k)."""
    from pixelmeans import plots

    if len(per_k) < 3:
        return None
    return plots.knee_point([e["k"] for e in per_k], [e["inertia"] for e in per_k])


def _silhouette(features, labels, seed):
    """Mean silhouette on a fixed random sample (the full one is O(n^2)); NaN when the
    sample holds fewer than 2 clusters."""
    try:
        values = ev.sample_silhouettes(features, labels, sample_size=SILHOUETTE_SAMPLE,
                                       random_state=seed)[0]
    except InputError:
        return float("nan")
    return float(values.mean())


def _csv(rows) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(SWEEP_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: ("" if value is None else value) for key, value in row.items()})
    return buf.getvalue()


def _fmt(value, digits=4):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _markdown(per_k, name, config) -> str:
    lines = [f"k-means sweep on {name} ({config.features}), best of {config.n_init} restarts",
             "",
             "| k | inertia (best) | spread | train acc | test acc | Hungarian | NMI | stability (ARI) | silhouette |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for e in per_k:
        lines.append(
            f"| {e['k']} | {e['inertia']:.5g} | {100 * e['inertia_spread']:.2f}% | "
            f"{_fmt(e['train_accuracy'])} | {_fmt(e['test_accuracy'])} | "
            f"{_fmt(e['hungarian_accuracy'])} | {_fmt(e['nmi'])} | "
            f"{_fmt(e['stability_ari'], 3)} | {_fmt(e['silhouette'], 3)} |")
    return "\n".join(lines) + "\n"


def _sweep_figures(per_k, done, config, transformer, flat, shape, train, member_means):
    from pixelmeans import plots
    from pixelmeans.members import _is_pixels

    h, w = shape
    ks = [e["k"] for e in per_k]
    inertia = [e["inertia"] for e in per_k]
    knee = knee_of(per_k)
    files = {
        "elbow.png": plots.figure_png_bytes(plots.elbow_figure(
            ks, inertia, fit_time=[e["fit_time_mean"] for e in per_k], knee=knee)),
        "silhouette.png": plots.figure_png_bytes(plots.line_figure(
            ks, {"mean silhouette": [e["silhouette"] for e in per_k]},
            xlabel="k", ylabel="silhouette", title="Mean silhouette (random sample)")),
        "stability.png": plots.figure_png_bytes(plots.line_figure(
            ks, {"mean pairwise ARI": [e["stability_ari"] for e in per_k]},
            xlabel="k", ylabel="ARI between restarts", title="Stability across restarts")),
    }
    if per_k and per_k[0].get("train_accuracy") is not None:
        test = [e["test_accuracy"] for e in per_k]
        files["accuracy_vs_k.png"] = plots.figure_png_bytes(plots.accuracy_vs_k_figure(
            ks, [e["train_accuracy"] for e in per_k],
            test if all(t is not None for t in test) else None))
    for e in per_k:
        _, arr = done[(e["k"], e["best_restart"])]
        k_out = arr["centers"].shape[0]
        if _is_pixels(transformer):
            pictures = np.clip(arr["centers"], 0, 1)
        else:
            pictures = member_means(flat, arr["labels"].astype(np.int64), k_out)
        if "mapping" in e:
            names = train.class_names
            captions = [names[m] if m >= 0 else "-" for m in e["mapping"]]
        else:
            captions = None
        files[f"centroids_k{e['k']:03d}.png"] = plots.figure_png_bytes(plots.centroid_grid(
            pictures.reshape(k_out, h, w), captions, title=f"k={e['k']}: best restart"))
    return files

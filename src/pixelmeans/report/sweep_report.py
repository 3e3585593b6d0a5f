"""The report of ``pixelmeans sweep``: choosing k and judging restarts."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pixelmeans.report.blocks import data_description, key_value_table, pick
from pixelmeans.report.html import write_report
from pixelmeans.report.section import Section

_RUN_COLUMNS = ("k", "restart", "seed", "first_inertia", "inertia", "n_iter", "converged",
                "fit_time", "n_clusters_out", "train_accuracy", "test_accuracy",
                "hungarian_accuracy", "nmi", "best")


def sweep_sections(summary: Mapping[str, Any], figures: Mapping[str, bytes]) -> list[Section]:
    """The sections of a sweep report.

    Parameters
    ----------
    summary : mapping
        The sweep's ``summary.json`` (keys ``per_k``, ``runs``, ``knee``, ``config``,
        ``data``, ``versions``); missing keys leave their part out.
    figures : mapping of str to bytes
        ``elbow.png``, ``accuracy_vs_k.png``, ``silhouette.png``, ``stability.png``,
        ``centroids_k<k>.png``.

    Returns
    -------
    list of Section
    """
    per_k = summary.get("per_k") or []
    data = summary.get("data", {}) or {}
    has_labels = bool(data.get("has_labels", any(e.get("train_accuracy") is not None for e in per_k)))
    knee = summary.get("knee")
    sections = []

    knee_text = (f" The knee, the k after which more clusters buy little, is at k = {knee}."
                 if knee is not None else " No clear knee was found in this range of k.")
    sections.append(Section(
        "Inertia against k (the elbow)",
        "Inertia (the sum of squared distances of every image to its centroid) always falls "
        "as k grows, so the lowest is not the best. The best restart of each k is drawn as "
        "the line, every restart as a faint dot, and the mean fit time on the right axis."
        + knee_text,
        figures=pick(figures, "elbow.png", "Inertia and fit time against k.")))

    if has_labels:
        sections.append(Section(
            "Accuracy against k",
            "Majority-label accuracy (purity) of the best restart of each k, on the training "
            "split and, with the training split's mapping, on the test split. It grows with k: "
            "with more clusters each one can be purer.",
            figures=pick(figures, "accuracy_vs_k.png", "Train and test accuracy against k.")))
    else:
        sections.append(Section("Accuracy against k", "",
                                note="The data has no labels, so accuracy is left out."))

    sections.append(Section(
        "Silhouette and stability",
        "The silhouette compares each image's distance to its own cluster with the distance to "
        "the next one (from -1 to 1, higher is better separated), on a fixed random sample. "
        "Stability is the mean adjusted Rand index between the partitions of every pair of "
        "restarts: 1 means every restart found the same clusters.",
        figures=(pick(figures, "silhouette.png", "Mean silhouette against k.")
                 + pick(figures, "stability.png", "Agreement between restarts against k."))))

    if per_k:
        rows = [[e.get("k"), e.get("inertia"), e.get("inertia_spread"), e.get("train_accuracy"),
                 e.get("test_accuracy"), e.get("hungarian_accuracy"), e.get("nmi"),
                 e.get("stability_ari"), e.get("silhouette"), e.get("fit_time_mean")]
                for e in per_k]
        tables = [("Best restart of each k",
                   ["k", "inertia (best)", "spread", "train accuracy", "test accuracy",
                    "Hungarian accuracy", "NMI", "stability (ARI)", "silhouette", "mean fit time (s)"],
                   rows)]
        runs = summary.get("runs") or []
        if runs:
            tables.append(("Every restart", list(_RUN_COLUMNS),
                           [[r.get(c) for c in _RUN_COLUMNS] for r in runs]))
        sections.append(Section(
            "The table",
            "Spread is (largest - smallest inertia) / smallest over the restarts of a k. "
            "Hungarian accuracy is given where k equals the number of classes.",
            tables=tables))

    grids = sorted((int(m.group(1)), name) for name in figures
                   if (m := re.fullmatch(r"centroids_k(\d+)\.png", name)))
    if grids:
        sections.append(Section(
            "Centroids of the best restart for each k",
            "Each tile is a centroid" + (", captioned with its majority label." if has_labels else "."),
            figures=[(f"k = {k}", figures[name]) for k, name in grids]))

    tables = key_value_table("Configuration", summary.get("config"))
    tables += key_value_table("Versions", summary.get("versions"), ("package", "version"))
    if tables:
        sections.append(Section("Settings", "Every number in this report is also in summary.json "
                                "and sweep.csv.", tables=tables))
    return sections


def write_sweep_report(path: str | os.PathLike, *, summary: Mapping[str, Any],
                       figures: Mapping[str, bytes]) -> Path:
    """Write ``report.html`` of a ``pixelmeans sweep`` results folder.

    Parameters
    ----------
    path : path-like
        Destination (written atomically).
    summary : mapping
        What goes into the sweep's ``summary.json`` (see `sweep_sections`).
    figures : mapping of str to bytes
        Figure files by their relative path in the results folder.

    Returns
    -------
    pathlib.Path
    """
    data = summary.get("data", {}) or {}
    config = summary.get("config", {}) or {}
    per_k = summary.get("per_k") or []
    ks = [e.get("k") for e in per_k]
    tiles: list[tuple[str, Any]] = [("values of k", len(ks)),
                                    ("restarts per k", config.get("n_init")),
                                    ("knee", summary.get("knee"))]
    scored = [e for e in per_k if e.get("test_accuracy") is not None]
    if scored:
        best = max(scored, key=lambda e: e["test_accuracy"])
        tiles.append((f"best test accuracy (k = {best['k']})", best["test_accuracy"]))
    if summary.get("wall_time") is not None:
        tiles.append(("wall time (s)", summary["wall_time"]))
    span = f"k = {min(ks)} to {max(ks)}" if ks else "no k"
    return write_report(path, title=f"k-means sweep on {data.get('name', 'the data')}, {span}",
                        subtitle=data_description(data),
                        summary=[(k, v) for k, v in tiles if v is not None],
                        sections=sweep_sections(summary, figures))

"""The report of ``pixelmeans run``: sections built from summary.json and the figures."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pixelmeans.report.blocks import data_description, key_value_table, pick
from pixelmeans.report.html import write_report
from pixelmeans.report.section import Section

_CENTROIDS_TEXT = (
    "Each tile is one centroid: the average of the images in its cluster, what k-means "
    "thinks a typical member looks like. All tiles share one grey scale. {caption}"
)
_EVOLUTION_TEXT = (
    "The animation shows every centroid from its starting point (step 0) to the last step, "
    "in the same places as the grid above. Each step assigns every image to its nearest "
    "centroid, then moves each centroid to the mean of its images; the first few steps move "
    "them most. A grey tile with a cross is a centroid that lost all its images and was "
    "dropped."
)
_LABELS_TEXT = (
    "The labels were never used to fit; here they judge the result. Each cluster takes the "
    "most frequent true label among its members (its majority label); accuracy is the share "
    "of images whose cluster's majority label is their own label (purity). Test accuracy "
    "uses the mapping learned on the training split. Hungarian accuracy allows each label "
    "to be used by one cluster only. Homogeneity is 1 when every cluster holds one label, "
    "completeness 1 when every label lies in one cluster, and the V-measure is their harmonic "
    "mean (the same number as NMI); AMI and ARI are corrected for the agreement chance alone "
    "would give (0 for random clusters). In the matrix, each row is a cluster (sorted by "
    "majority label), the colour is the share of the cluster with each true label, and the "
    "numbers are counts."
)
_SHAPE_TEXT = (
    "How well the clusters are separated in the space k-means worked in, without the labels. "
    "An image's silhouette compares its mean distance to the other members of its cluster "
    "(a) with its mean distance to the members of the nearest other cluster (b): (b - a) / "
    "max(a, b), near 1 when it sits well inside its cluster, below 0 when it is closer to "
    "another one. Each band is one cluster, its images sorted by silhouette; the dashed line "
    "is the mean. The distance map places the centroids so that their distances on the page "
    "follow their distances in the feature space (multidimensional scaling); each circle's "
    "area is its cluster's size. The maps show a sample of the images in two dimensions, "
    "coloured by cluster and by true label: PCA keeps the two directions in which the images "
    "vary most, UMAP (when umap-learn is installed, on part of PCA's sample) keeps each "
    "image's nearest neighbours near it."
)
_MEMBERS_TEXT = (
    "For each centroid: the real images closest to it (what it stands for) and the members "
    "farthest from it (what ended up there anyway: odd writing, other classes, mistakes). "
    "Blank tiles mean the cluster had fewer members."
)
_LEARNED_TEXT = (
    "k-means ran on learned features, not on pixels: each image was first mapped to a short "
    "code, and images whose codes are close were clustered together. The centroid tiles above "
    "are the mean pixels of each cluster's members. With an autoencoder, its decoder also "
    "turns each cluster's mean code back into an image, and its reconstructions show how much "
    "of each image the code keeps. The maps in the section above show the codes in two "
    "dimensions: well separated islands of one colour are what makes clusters match labels."
)
_COMPARISON_TEXT = (
    "Every run on the same data with the same number of clusters found beside this one "
    "(the results folder's siblings), one row per run, so features can be compared."
)
_WARNING_TEXT = (
    "This run ended in a state k-means rarely reaches from sensible starting centroids; "
    "its figures and numbers below are those of that state."
)
_NO_LABELS = "The data has no labels, so the accuracy figures and the confusion matrix are left out."


def _steps(figures: Mapping[str, bytes]) -> list[str]:
    """The step frames' names in step order (by the number in the name: step999 < step1000)."""
    def number(name: str) -> tuple[int, str]:
        digits = re.findall(r"\d+", name)
        return (int(digits[-1]) if digits else -1, name)

    return sorted((name for name in figures if re.fullmatch(r"steps/[^/]+\.png", name)), key=number)


def _still_width(png: bytes) -> int | None:
    """Natural width of a frame, capped so that two fit side by side."""
    from pixelmeans.report.embed import sniff

    width = sniff(png)[1]
    return min(width, 520) if width else None


# (summary.json key, column header) of the agreement table, in its order
_METRIC_COLUMNS = (("accuracy", "accuracy"), ("purity", "purity"), ("hungarian_accuracy", "Hungarian accuracy"),
                   ("homogeneity", "homogeneity"), ("completeness", "completeness"), ("v_measure", "V-measure"),
                   ("nmi", "NMI"), ("ami", "AMI"), ("ari", "ARI"), ("n_samples", "images"))


def _metric_rows(metrics: Mapping[str, Mapping[str, Any]]) -> list[list[Any]]:
    return [[split, *(m.get(key) for key, _ in _METRIC_COLUMNS)] for split, m in metrics.items()]


def _shape_section(summary: Mapping[str, Any], figures: Mapping[str, bytes]) -> Section | None:
    """Silhouettes, the centroid distance map and the 2-D maps, where they were drawn."""
    silhouette = summary.get("silhouette") or {}
    sample = (f"Silhouettes of {silhouette['sample_size']:,} training images (a fixed random sample), "
              f"cluster by cluster; mean {silhouette.get('mean', float('nan')):.3f}."
              if silhouette.get("sample_size") else "Silhouettes of a sample of training images, cluster by cluster.")
    shown = (pick(figures, "silhouette.png", sample)
             + pick(figures, "intercluster.png", "The centroids placed by their distances; area: cluster size.")
             + pick(figures, "embedding.png", "PCA map of a sample of the features, by cluster and by label.")
             + pick(figures, "embedding_umap.png", "UMAP map of part of that sample, by cluster and by label."))
    maps = (summary.get("config") or {}).get("map")
    note = {"pca": "The UMAP map was not drawn (--map pca).",
            "none": "The 2-D maps were not drawn (--map none)."}.get(maps)
    return Section("How the clusters lie", _SHAPE_TEXT, figures=shown, note=note) if shown else None


def run_sections(summary: Mapping[str, Any], figures: Mapping[str, bytes]) -> list[Section]:
    """The sections of a run report.

    Parameters
    ----------
    summary : mapping
        The content of ``summary.json`` as ``pixelmeans.outputs.run_summary`` builds it (keys
        ``data``, ``config``, ``metrics``, ``clusters``, ``restarts``, ``timings``,
        ``versions``...); missing keys leave their part out.
    figures : mapping of str to bytes
        Figure files by their path in the results folder (``centroids.png``,
        ``evolution.gif``, ``steps/step000.png``, ``confusion.png``, ``silhouette.png``,
        ``intercluster.png``, ``embedding.png``, ``embedding_umap.png``, ``members.png``...).

    Returns
    -------
    list of Section
    """
    data = summary.get("data", {}) or {}
    config = summary.get("config", {}) or {}
    metrics = summary.get("metrics", {}) or {}
    has_labels = bool(data.get("has_labels", bool(metrics)))
    sections: list[Section] = []
    warnings = summary.get("warnings") or []
    if warnings:
        sections.append(Section("Warning", _WARNING_TEXT, note=" ".join(warnings)))

    caption = ("The caption under each tile gives its majority label, its purity (the share of "
               "members with that label) and its size." if has_labels else
               "The caption under each tile gives its number and size.")
    sections.append(Section(
        "Centroids", _CENTROIDS_TEXT.format(caption=caption),
        figures=pick(figures, "centroids.png", "All centroids, on one grey scale."),
        note=None if has_labels else _NO_LABELS))

    steps = _steps(figures)
    evo = pick(figures, "evolution.gif", "The centroids step by step (animated).")
    stills = []
    if steps:  # side by side at their own size, to compare start and end
        stills.append((f"First frame: the initial centroids ({config.get('init', 'init')}).",
                       figures[steps[0]], _still_width(figures[steps[0]])))
        if len(steps) > 1:
            stills.append(("Last frame: the final centroids.", figures[steps[-1]],
                           _still_width(figures[steps[-1]])))
    note = None
    if not evo:
        if any(name.startswith("init/") for name in figures):
            note = "The step animation was not made (it was switched off with --no-animation)."
        elif config.get("features", "pixels") != "pixels":
            note = ("The centroids live in a learned feature space, not in pixels, so they are "
                    "shown as the mean image of their members and there is no step animation.")
        else:
            note = "No step history was recorded, so there is no animation."
    sections.append(Section("How the centroids moved", _EVOLUTION_TEXT,
                            figures=evo + stills, note=note))

    if has_labels:
        tables = []
        if metrics:
            tables.append(("Agreement with the true labels",
                           ["split", *(header for _, header in _METRIC_COLUMNS)],
                           _metric_rows(metrics)))
        clusters = summary.get("clusters") or []
        if clusters:
            tables.append(("Clusters: majority label, size and purity",
                           ["cluster", "majority label", "size", "purity"],
                           [[c.get("cluster"), c.get("label_name", c.get("majority_label")),
                             c.get("size"), c.get("purity")] for c in clusters]))
        sections.append(Section("Clusters against the labels", _LABELS_TEXT,
                                figures=pick(figures, "confusion.png",
                                             "Clusters (rows) against true labels (columns)."),
                                tables=tables))
    else:
        sections.append(Section("Clusters against the labels", "", note=_NO_LABELS))

    shape = _shape_section(summary, figures)
    if shape is not None:
        sections.append(shape)

    learned = (pick(figures, "decoded.png",
                    "Decoded centroids: each cluster's mean code passed through the decoder.")
               + pick(figures, "reconstructions.png",
                      "Training images (left of each pair) and the autoencoder's reconstruction (right)."))
    if learned:
        sections.append(Section("The learned features", _LEARNED_TEXT, figures=learned))

    comparison = summary.get("comparison") or []
    if comparison:
        sections.append(Section(
            "Features compared", _COMPARISON_TEXT,
            tables=[("Runs on the same data and k in this results folder",
                     ["features", "train accuracy", "test accuracy", "Hungarian (train)",
                      "NMI (train)", "features + fit time (s)", "folder"],
                     [[c.get("features"), c.get("train_accuracy"), c.get("test_accuracy"),
                       c.get("hungarian_accuracy"), c.get("nmi"), c.get("time"),
                       c.get("folder")] for c in comparison])]))

    sections.append(Section("What each cluster stands for", _MEMBERS_TEXT,
                            figures=pick(figures, "members.png",
                                         "Each centroid, its nearest images and its farthest members.")))

    tables = []
    restarts = summary.get("restarts") or []
    if restarts:
        best = min(range(len(restarts)), key=lambda i: restarts[i].get("inertia", float("inf")))
        tables.append(("Restarts: the one with the lowest inertia is kept",
                       ["restart", "seed", "inertia after step 1", "final inertia", "steps",
                        "converged", "fit time (s)", "kept"],
                       [[r.get("restart", i), None if r.get("seed") is None else str(r["seed"]), r.get("first_inertia"), r.get("inertia"),
                         r.get("n_iter"), r.get("converged"), r.get("fit_time"), i == best]
                        for i, r in enumerate(restarts)]))
    timings = summary.get("timings") or {}
    if timings:
        tables.append(("Where the time went", ["stage", "seconds"],
                       [[k, v] for k, v in timings.items()]))
    tables += key_value_table("Configuration", config)
    tables += key_value_table("Versions", summary.get("versions"), ("package", "version"))
    sections.append(Section(
        "Restarts, settings and timings",
        "k-means was started several times from different random centroids; only the run "
        "with the lowest inertia (sum of squared distances of every image to its centroid) "
        "is kept. Every number here is also in summary.json.",
        tables=tables))
    return sections


def run_summary_tiles(summary: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The headline numbers shown under the title."""
    metrics = summary.get("metrics", {}) or {}
    tiles: list[tuple[str, Any]] = [
        ("clusters", summary.get("n_clusters")),
        ("inertia", summary.get("inertia")),
        ("steps", summary.get("n_iter")),
        ("converged", summary.get("converged")),
    ]
    for split in ("train", "test"):
        if split in metrics:
            tiles.append((f"{split} accuracy", metrics[split].get("accuracy")))
    if "train" in metrics:
        tiles.append(("Hungarian accuracy (train)", metrics["train"].get("hungarian_accuracy")))
        tiles.append(("NMI (train)", metrics["train"].get("nmi")))
    tiles.append(("mean silhouette", (summary.get("silhouette") or {}).get("mean")))
    return [(k, v) for k, v in tiles if v is not None]


def write_run_report(path: str | os.PathLike, *, summary: Mapping[str, Any],
                     figures: Mapping[str, bytes]) -> Path:
    """Write ``report.html`` of a ``pixelmeans run`` results folder.

    Parameters
    ----------
    path : path-like
        Destination (written atomically).
    summary : mapping
        What goes into ``summary.json`` (see `run_sections`).
    figures : mapping of str to bytes
        Figure files by their relative path in the results folder.

    Returns
    -------
    pathlib.Path
    """
    data = summary.get("data", {}) or {}
    config = summary.get("config", {}) or {}
    k = summary.get("n_clusters", config.get("k"))
    title = f"k-means on {data.get('name', 'the data')}, k = {k}"
    sub = data_description(data)
    if config:
        sub += (f"; features: {config.get('features', 'pixels')}; best of "
                f"{config.get('n_init', 1)} restart{'s' if config.get('n_init', 1) != 1 else ''}")
    return write_report(path, title=title, subtitle=sub, summary=run_summary_tiles(summary),
                        sections=run_sections(summary, figures))

"""Helpers for the report tests (imported by name: tests/ folders are not packages)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

from pixelmeans import plots

VOID = {"meta", "img", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}


class TagBalance(HTMLParser):
    """Collects tags; ``problems`` lists unbalanced ones."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(html: str) -> TagBalance:
    p = TagBalance()
    p.feed(html)
    p.close()
    p.problems += [f"<{t}> never closed" for t in p.stack]
    return p


def digits(k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = rng.random((k, 28, 28), dtype=np.float32) * 0.2
    for i in range(k):
        out[i, 6:22, 6 + i % 14:10 + i % 14] += 0.8
    return out


def run_figures(k: int = 10, animation: bool = True, labels: bool = True) -> dict[str, bytes]:
    """The figure files of a small run, made by the real plot functions (as pixelmeans.figures does)."""
    cents = digits(k)
    caps = [f"{i % 10} · 0.83 · n={100 + i}" for i in range(k)]
    files = {"centroids.png": plots.figure_png_bytes(plots.centroid_grid(cents, caps), dpi=60)}
    for j in range(k):
        files[f"final/centroid{j:03d}.png"] = plots.image_png(cents[j])
        files[f"init/centroid{j:03d}.png"] = plots.image_png(cents[j] * 0.5)
    if animation:
        frames = [cents.reshape(k, -1) * (0.5 + t / 8) for t in range(5)]
        ids = [np.arange(k)] * 4 + [np.delete(np.arange(k), 1)]
        frames[-1] = np.delete(frames[-1], 1, axis=0)
        images = plots.evolution_frames(frames, ids, shape=(28, 28))
        files["evolution.gif"] = plots.gif_bytes(images, 200)
        for i, im in enumerate(images):
            files[f"steps/step{i:03d}.png"] = plots.pil_png_bytes(im)
    if labels:
        m = np.random.default_rng(0).integers(0, 30, (k, 10))
        m[np.arange(k), np.arange(k) % 10] += 500
        files["confusion.png"] = plots.figure_png_bytes(plots.confusion_figure(m), dpi=60)
    rng = np.random.default_rng(1)
    clusters = np.arange(300) % k
    values = np.clip(rng.normal(0.2, 0.15, 300), -1, 1)
    files["silhouette.png"] = plots.figure_png_bytes(plots.silhouette_figure(values, clusters), dpi=60)
    files["intercluster.png"] = plots.figure_png_bytes(plots.intercluster_distance_figure(
        cents.reshape(k, -1), np.full(k, 100) + np.arange(k)), dpi=60)
    xy = rng.normal(size=(300, 2)) + clusters[:, None]
    files["embedding.png"] = plots.figure_png_bytes(plots.embedding_figure(
        xy, clusters, clusters % 10 if labels else None), dpi=60)
    files["embedding_umap.png"] = plots.figure_png_bytes(plots.embedding_figure(
        xy[:100] * 3, clusters[:100], clusters[:100] % 10 if labels else None, title="UMAP"), dpi=60)
    near = [digits(8, seed=j) for j in range(k)]
    far = [digits(j % 9, seed=j) for j in range(k)]
    files["members.png"] = plots.figure_png_bytes(plots.members_figure(cents, near, far, caps), dpi=60)
    return files


def run_summary(k: int = 10, labels: bool = True, name: str = "mnist") -> dict:
    """A summary shaped like the one pixelmeans.outputs.run_summary builds."""
    metrics = {}
    if labels:
        metrics = {"train": {"accuracy": 0.5912, "purity": 0.5912, "hungarian_accuracy": 0.5345,
                             "homogeneity": 0.4876, "completeness": 0.5091, "v_measure": 0.4981,
                             "nmi": 0.4981, "ami": 0.4979, "ari": 0.3657, "n_samples": 60000},
                   "test": {"accuracy": 0.5951, "purity": 0.6012, "hungarian_accuracy": 0.5401,
                            "homogeneity": 0.4903, "completeness": 0.5125, "v_measure": 0.5012,
                            "nmi": 0.5012, "ami": 0.4998, "ari": 0.3701, "n_samples": 10000}}
    return {
        "kind": "pixelmeans-results",
        "config": {"dataset": name, "k": k, "n_init": 5, "max_iter": 300, "init": "k-means++",
                   "empty_clusters": "relocate", "seed": 0, "features": "pixels", "animation": True},
        "versions": {"pixelmeans": "0.1.0", "numpy": np.__version__},
        "data": {"name": name, "n_train": 60000, "n_test": 10000, "image_shape": [28, 28],
                 "has_labels": labels, "class_names": [str(i) for i in range(10)]},
        "n_clusters": k, "inertia": 2353117.25, "n_iter": 42, "converged": True,
        "restarts": [{"restart": r, "seed": 1234567 + r, "inertia": 2353117.25 + 1000 * r,
                      "first_inertia": 3.1e6, "n_iter": 40 + r, "converged": True,
                      "fit_time": 1.5, "n_clusters_out": k} for r in range(5)],
        "metrics": metrics,
        "silhouette": {"mean": 0.0621, "sample_size": 5000, "per_cluster": {str(j): 0.06 for j in range(k)}},
        "clusters": [{"cluster": j, "size": 6000 + j, "majority_label": j % 10 if labels else None,
                      "label_name": str(j % 10) if labels else None,
                      "purity": 0.8 if labels else None} for j in range(k)],
        "timings": {"load": 0.4, "fit": 12.0, "evaluate": 1.0, "figures": 2.5},
    }


def sweep_inputs(ks=(5, 7, 10, 12), labels: bool = True) -> tuple[dict, dict[str, bytes]]:
    """Summary and figures shaped like those of pixelmeans.sweep."""
    ks = list(ks)
    inertia = [3e6 / (1 + k / 10) for k in ks]
    per_k = []
    for i, k in enumerate(ks):
        per_k.append({"k": k, "best_restart": 0, "inertia": inertia[i], "inertia_mean": inertia[i] * 1.01,
                      "inertia_std": 1000.0, "inertia_spread": 0.012, "stability_ari": 0.8,
                      "silhouette": 0.06, "fit_time_mean": 2.0 + k / 10,
                      "train_accuracy": 0.45 + k / 100 if labels else None,
                      "test_accuracy": 0.46 + k / 100 if labels else None,
                      "hungarian_accuracy": 0.53 if labels and k == 10 else None,
                      "nmi": 0.5 if labels else None})
    knee = plots.knee_point(ks, inertia)
    figures = {
        "elbow.png": plots.figure_png_bytes(plots.elbow_figure(ks, inertia, [e["fit_time_mean"] for e in per_k], knee), dpi=60),
        "silhouette.png": plots.figure_png_bytes(plots.line_figure(ks, {"mean silhouette": [0.06] * len(ks)}), dpi=60),
        "stability.png": plots.figure_png_bytes(plots.line_figure(ks, {"mean pairwise ARI": [0.8] * len(ks)}), dpi=60),
    }
    if labels:
        figures["accuracy_vs_k.png"] = plots.figure_png_bytes(plots.accuracy_vs_k_figure(
            ks, [e["train_accuracy"] for e in per_k], [e["test_accuracy"] for e in per_k]), dpi=60)
    for k in ks:
        figures[f"centroids_k{k:03d}.png"] = plots.figure_png_bytes(plots.centroid_grid(digits(k)), dpi=60)
    runs = [{"k": k, "restart": r, "seed": r, "first_inertia": 4e6, "inertia": inertia[i], "n_iter": 30,
             "converged": True, "fit_time": 2.0, "n_clusters_out": k, "train_accuracy": 0.5,
             "test_accuracy": 0.5, "hungarian_accuracy": None, "nmi": 0.5, "best": r == 0}
            for i, k in enumerate(ks) for r in range(5)]
    summary = {"kind": "pixelmeans-results", "command": "sweep",
               "config": {"dataset": "mnist", "k": ks, "n_init": 5, "seed": 0, "features": "pixels"},
               "versions": {"pixelmeans": "0.1.0"},
               "data": {"name": "mnist", "n_train": 60000, "n_test": 10000, "has_labels": labels,
                        "class_names": [str(i) for i in range(10)]},
               "per_k": per_k, "knee": knee, "runs": runs, "wall_time": 123.4}
    return summary, figures


# ---------------------------------------------------------------- the browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--mute-audio", "--hide-scrollbars"]

# Runs before the page's Content-Security-Policy <meta> (so the policy does not block it),
# records every policy violation, and on load writes what it found into the DOM.
PROBE = """<script>
(function () {
  var violations = [];
  document.addEventListener('securitypolicyviolation', function (e) {
    violations.push(e.violatedDirective + ' ' + e.blockedURI);
  });
  window.addEventListener('load', function () {
    var imgs = Array.prototype.slice.call(document.images);
    var result = {
      total: imgs.length,
      loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
      broken: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                  .map(function (i) { return i.alt || i.src.slice(0, 40); }),
      shown: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0 && i.offsetWidth > 0; })
                 .map(function (i) { return i.alt; }),
      headers: Array.prototype.slice.call(document.querySelectorAll('th'))
                 .map(function (th) { return th.textContent.trim(); }),
      headings: Array.prototype.slice.call(document.querySelectorAll('h2'))
                  .map(function (h) { return h.textContent.trim(); }),
      violations: violations,
      overflowing: document.documentElement.scrollWidth > window.innerWidth + 1
    };
    var pre = document.createElement('pre');
    pre.id = 'pm-probe';
    pre.textContent = JSON.stringify(result);
    document.body.appendChild(pre);
  });
})();
</script>
"""


def chromium() -> str | None:
    """Debian's chromium: on PATH or at /usr/bin/chromium."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def check_in_browser(exe: str, html_path: Path, work: Path) -> dict:
    """Open a copy of ``html_path`` (with the probe added) in headless chromium; return the probe's findings."""
    html = html_path.read_text(encoding="utf-8")
    assert "<head>\n" in html
    probed = work / f"probe-{html_path.name}"
    probed.write_text(html.replace("<head>\n", "<head>\n" + PROBE, 1), encoding="utf-8")
    profile = work / "chromium-profile"
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1366,900",
           "--virtual-time-budget=10000", "--dump-dom", probed.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="pm-probe">(.*?)</pre>', proc.stdout, re.S)
    assert m, (f"chromium gave no probe result (exit {proc.returncode}); "
               f"stderr tail: {proc.stderr[-1500:]}")
    import html as html_lib

    return json.loads(html_lib.unescape(m.group(1)))

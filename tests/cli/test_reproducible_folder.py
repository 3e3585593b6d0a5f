"""The main job's results folder is the same, byte for byte, at a fixed seed.

Two `pixelmeans run` of the same data and seed, one in this process and one in a fresh
process with another hash seed, must write the same files with the same bytes; only
what measures the run itself may differ: the timings (``summary.json``'s ``timings``
and each restart's ``fit_time``, and the report's cells that show them), the library
versions, and the manifest's digests of those two files.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from pixelmeans.cli import main

RUN = ["run", "--k", "10", "--n-init", "2", "--seed", "3", "--map", "pca", "--out", "res"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _without_run_measures(summary: dict) -> dict:
    summary = {k: v for k, v in summary.items() if k not in ("timings", "versions")}
    summary["restarts"] = [{k: v for k, v in r.items() if k != "fit_time"} for r in summary["restarts"]]
    return summary


def _timings(summary: dict) -> list[float]:
    return [*summary["timings"].values(), *(r["fit_time"] for r in summary["restarts"])]


def _shows_a_timing(cell: str, timings: list[float]) -> bool:
    """Whether a table cell is one of the run's timings as the report rounds it."""
    try:
        shown = float(cell.replace(",", ""))
    except ValueError:
        return False
    return any(abs(shown - t) <= max(1e-3 * abs(t), 1e-4) for t in timings)


def test_same_seed_writes_the_same_folder(digits_csv, tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    # the same relative --out in two places: the folder records the --out it was given
    monkeypatch.chdir(first)
    assert main([*RUN, "--data", str(digits_csv)]) == 0
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "pixelmeans", "-q", *RUN, "--data", str(digits_csv)],
                   cwd=second, env=env, check=True, capture_output=True)

    a, b = _files(first / "res"), _files(second / "res")
    assert sorted(a) == sorted(b)
    assert len(a) > 20 and "evolution.gif" in a and "centroids.npy" in a
    measured = {"summary.json", "report.html", "manifest.json"}
    differing = sorted(name for name in a if a[name] != b[name] and name not in measured)
    assert differing == []

    summary_a, summary_b = json.loads(a["summary.json"]), json.loads(b["summary.json"])
    assert _without_run_measures(summary_a) == _without_run_measures(summary_b)

    # the report: the same markup, and where a cell differs, both cells show timings
    cells_a = re.split(r"(<[^>]*>)", a["report.html"].decode())
    cells_b = re.split(r"(<[^>]*>)", b["report.html"].decode())
    assert len(cells_a) == len(cells_b)
    changed = [(x, y) for x, y in zip(cells_a, cells_b) if x != y]
    assert all(_shows_a_timing(x, _timings(summary_a)) and _shows_a_timing(y, _timings(summary_b))
               for x, y in changed), changed[:5]

    listed_a = json.loads(a["manifest.json"])["files"]
    listed_b = json.loads(b["manifest.json"])["files"]
    assert sorted(listed_a) == sorted(name for name in a if name != "manifest.json")
    assert {k: v for k, v in listed_a.items() if k not in measured} == \
        {k: v for k, v in listed_b.items() if k not in measured}

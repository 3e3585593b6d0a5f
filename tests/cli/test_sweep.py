"""`pixelmeans sweep`: the table, resume after a kill, k specifications."""

import csv
import json
import signal
import subprocess
import sys
import time

import pytest

from pixelmeans.cli import main
from pixelmeans.sweep import SWEEP_COLUMNS, SweepConfig, parse_k, sweep


@pytest.mark.parametrize("spec, ks", [
    (["5", "7", "10", "12"], [5, 7, 10, 12]),
    (["2:256:log"], [2, 4, 8, 16, 32, 64, 128, 256]),
    (["3:20:log"], [3, 6, 12, 20]),
    (["2:6"], [2, 3, 4, 5, 6]),
    (["2:10:4", "3"], [2, 3, 6, 10]),
])
def test_parse_k(spec, ks):
    assert parse_k(spec) == ks


@pytest.mark.parametrize("spec", ["0", "-3", "a", "5:2", "2:10:0", "2:10:lin", "1.5", ":4"])
def test_bad_k_specs_are_clear_errors(spec, capsys):
    assert main(["sweep", "--k", spec]) == 2
    err = capsys.readouterr().err
    assert "--k" in err and len(err.strip().splitlines()) == 1


def test_k_above_the_number_of_samples(digits_csv, tmp_path, capsys):
    assert main(["sweep", "--data", str(digits_csv), "--k", "3", "2000", "--out",
                 str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "2000" in err and "larger than" in err
    assert not (tmp_path / "s").exists()


@pytest.fixture(scope="module")
def small_sweep(digits_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweeps") / "s"
    rows = sweep(SweepConfig(data=str(digits_csv), k=[3, 6, 10, 14], n_init=3, seed=1,
                             out=str(out)), echo=lambda *_: None)
    return out, rows


def test_table_has_a_row_per_cell_and_every_column(small_sweep):
    out, rows = small_sweep
    assert len(rows) == 12
    assert all(set(row) == set(SWEEP_COLUMNS) for row in rows)
    with open(out / "sweep.csv") as fh:
        table = list(csv.DictReader(fh))
    assert tuple(table[0]) == SWEEP_COLUMNS and len(table) == 12
    for k in (3, 6, 10, 14):
        group = [r for r in rows if r["k"] == k]
        best = [r for r in group if r["best"]]
        assert len(best) == 1 and best[0]["inertia"] == min(r["inertia"] for r in group)
        assert all(r["first_inertia"] >= r["inertia"] for r in group)
    ten = [r for r in rows if r["k"] == 10]
    assert all(r["hungarian_accuracy"] is not None for r in ten)
    assert all(r["hungarian_accuracy"] is None for r in rows if r["k"] != 10)
    best_acc = [max(r["train_accuracy"] for r in rows if r["k"] == k and r["best"])
                for k in (3, 6, 10, 14)]
    assert best_acc[-1] > best_acc[0]


def test_outputs_and_summary(small_sweep):
    out, _ = small_sweep
    for name in ["sweep.csv", "sweep.md", "elbow.png", "accuracy_vs_k.png", "silhouette.png",
                 "stability.png", "summary.json", "report.html", "centroids_k010.png"]:
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert [e["k"] for e in summary["per_k"]] == [3, 6, 10, 14]
    for e in summary["per_k"]:
        assert -1 <= e["stability_ari"] <= 1 and -1 <= e["silhouette"] <= 1
        assert e["inertia_spread"] >= 0
    assert summary["knee"] in (3, 6, 10, 14, None)
    assert "| 10 |" in (out / "sweep.md").read_text()
    assert not (out.parent / f".{out.name}.partial").exists()


def test_same_seed_same_table(small_sweep, digits_csv, tmp_path):
    _, rows = small_sweep
    again = sweep(SweepConfig(data=str(digits_csv), k=[3, 6, 10, 14], n_init=3, seed=1,
                              out=str(tmp_path / "again")), echo=lambda *_: None)
    drop = ("fit_time",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in rows] == \
           [{k: v for k, v in r.items() if k not in drop} for r in again]


def test_resume_after_a_kill_skips_finished_cells(digits_csv, tmp_path):
    out = tmp_path / "s"
    work = tmp_path / ".s.partial" / "cells"
    cmd = [sys.executable, "-m", "pixelmeans", "sweep", "--data", str(digits_csv),
           "--k", "2", "3", "4", "5", "6", "7", "8", "--n-init", "3", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None and len(list(work.glob("*.json"))) < 3:
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in work.glob("*.json")}
    assert 3 <= len(finished) < 21 and not out.exists()

    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"resuming: {len(finished)} of 21 cells already finished" in done.stdout
    assert len(list(csv.DictReader(open(out / "sweep.csv")))) == 21
    assert not work.parent.exists()

    fresh = tmp_path / "fresh"
    subprocess.run(cmd[:-1] + [str(fresh)], capture_output=True, check=True, timeout=600)
    a = list(csv.DictReader(open(out / "sweep.csv")))
    b = list(csv.DictReader(open(fresh / "sweep.csv")))
    assert [(r["k"], r["inertia"]) for r in a] == [(r["k"], r["inertia"]) for r in b]


def test_resume_with_other_settings_is_refused(digits_csv, tmp_path, capsys):
    from pixelmeans.fileio import write_text

    work = tmp_path / ".s.partial"
    (work / "cells").mkdir(parents=True)
    write_text(work / "config.json", json.dumps({"seed": 99}))
    rc = main(["sweep", "--data", str(digits_csv), "--k", "3", "--out", str(tmp_path / "s"),
               "--resume"])
    assert rc == 2 and "other settings" in capsys.readouterr().err

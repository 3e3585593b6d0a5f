"""What ``--out``, ``--overwrite`` and ``--resume`` may touch: only what pixelmeans wrote,
checked before any work; leftovers of killed runs are cleaned up and named."""

import json
import os
import subprocess
import sys

import pytest

from pixelmeans.cli import main

FAST = ("--k", 3, "--n-init", 1, "--no-animation")


def run_cli(*args):
    return main(["run", "--map", "pca", *map(str, args)])  # UMAP's map: tests/cli/test_run.py


def sweep_cli(*args):
    return main(["sweep", *map(str, args)])


def one_line_error(capsys, *words):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("pixelmeans: error:"), err
    for word in words:
        assert word in err, err
    return err


def tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture()
def small_csv(digits_csv, tmp_path):
    """300 digits in a CSV of their own, so a test can change the file."""
    path = tmp_path / "small.csv"
    path.write_text("\n".join(digits_csv.read_text().splitlines()[:300]) + "\n")
    return path


def test_a_folder_with_a_copied_summary_is_not_replaced(small_csv, tmp_path, capsys):
    first = tmp_path / "first"
    assert run_cli("--data", small_csv, *FAST, "--out", first) == 0
    mine = tmp_path / "mine"
    (mine / "thesis").mkdir(parents=True)
    (mine / "thesis" / "chapter1.tex").write_text("precious")
    (mine / "summary.json").write_bytes((first / "summary.json").read_bytes())
    before = tree(mine)
    capsys.readouterr()
    assert run_cli("--data", small_csv, *FAST, "--out", mine, "--overwrite") == 2
    one_line_error(capsys, "did not write")
    assert tree(mine) == before
    assert (mine / "thesis" / "chapter1.tex").read_text() == "precious"


def test_a_file_added_to_a_results_folder_blocks_overwrite(small_csv, tmp_path, capsys):
    out = tmp_path / "res"
    assert run_cli("--data", small_csv, *FAST, "--out", out) == 0
    (out / "my-notes.txt").write_text("keep me")
    capsys.readouterr()
    assert run_cli("--data", small_csv, *FAST, "--out", out, "--overwrite") == 2
    one_line_error(capsys, "my-notes.txt", "did not write")
    assert (out / "my-notes.txt").read_text() == "keep me"


def test_a_changed_file_blocks_overwrite(small_csv, tmp_path, capsys):
    out = tmp_path / "res"
    assert run_cli("--data", small_csv, *FAST, "--out", out) == 0
    (out / "mapping.csv").write_text("edited by hand\n")
    capsys.readouterr()
    assert run_cli("--data", small_csv, *FAST, "--out", out, "--overwrite") == 2
    one_line_error(capsys, "mapping.csv")
    assert (out / "mapping.csv").read_text() == "edited by hand\n"


def test_overwrite_replaces_exactly_what_the_manifest_lists(small_csv, tmp_path):
    out = tmp_path / "res"
    assert run_cli("--data", small_csv, *FAST, "--out", out) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == set(tree(out)) - {"manifest.json", "final", "init"}
    assert run_cli("--data", small_csv, *FAST, "--seed", 5, "--out", out, "--overwrite") == 0
    assert json.loads((out / "summary.json").read_text())["config"]["seed"] == 5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_resume_refuses_changed_data_under_the_same_path(small_csv, tmp_path, capsys, monkeypatch):
    import pixelmeans.sweep as sweep_module

    save = sweep_module._save_cell

    def save_then_die(*a, **kw):
        save(*a, **kw)
        raise KeyboardInterrupt

    out = tmp_path / "sw"
    args = ("--data", small_csv, "--k", 2, 3, "--n-init", 1, "--out", out)
    monkeypatch.setattr(sweep_module, "_save_cell", save_then_die)
    assert sweep_cli(*args) == 130  # killed after its first cell
    monkeypatch.setattr(sweep_module, "_save_cell", save)
    assert len(list((tmp_path / ".sw.partial" / "cells").glob("*.json"))) == 1
    rows = small_csv.read_text().splitlines()
    small_csv.write_text("\n".join(rows[::-1]) + "\n")  # same path and size, other content
    capsys.readouterr()
    assert sweep_cli(*args, "--resume") == 2
    one_line_error(capsys, "--resume", "data_sha256")
    small_csv.write_text("\n".join(rows[:200]) + "\n")  # fewer images
    assert sweep_cli(*args, "--resume") == 2
    one_line_error(capsys, "--resume", "data_sha256")
    assert sweep_cli(*args) == 0  # without --resume it starts again, and says so
    assert "starting again" in capsys.readouterr().out
    assert not (tmp_path / ".sw.partial").exists()


def test_killed_run_leftovers_are_removed_and_named(small_csv, tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".res.tmp-{dead}-abc123"
    (stale / "final").mkdir(parents=True)
    (stale / "final" / "centroid000.png").write_bytes(b"half")
    alive = tmp_path / f".res.tmp-{os.getppid()}-xyz"
    alive.mkdir()
    unknown = tmp_path / ".res.tmp-legacy"
    unknown.mkdir()
    assert run_cli("--data", small_csv, *FAST, "--out", tmp_path / "res") == 0
    out = capsys.readouterr().out
    assert f"removed {stale}" in out
    assert not stale.exists()
    assert alive.exists() and unknown.exists()  # not provably stale: kept


def test_killed_replacement_is_restored(small_csv, tmp_path, capsys):
    out = tmp_path / "res"
    assert run_cli("--data", small_csv, *FAST, "--out", out) == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    parked = tmp_path / f".res.old-{dead}-q1"
    os.replace(out, parked)  # as if killed between the two renames of --overwrite
    assert run_cli("--data", small_csv, *FAST, "--out", out, "--overwrite") == 0
    assert "restored" in capsys.readouterr().out
    assert not parked.exists() and (out / "summary.json").is_file()


def test_sigkill_leaves_nothing_the_next_run_does_not_clean(small_csv, tmp_path):
    out = tmp_path / "res"
    code = ("import os, signal, sys\n"
            "import pixelmeans.figures as e\n"
            "def die(result):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
            "e.run_figures = die\n"
            f"from pixelmeans.cli import main\nmain(['run', '--data', {str(small_csv)!r}, '--k', '3', "
            f"'--n-init', '1', '--out', {str(out)!r}])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == -9
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".res.tmp-")]
    assert len(leftovers) == 1
    assert run_cli("--data", small_csv, *FAST, "--out", out) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".res.")]


def test_failed_run_removes_the_parents_it_created(small_csv, tmp_path, monkeypatch):
    import pixelmeans.figures as figures

    def broken(result):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(figures, "run_figures", broken)
    with pytest.raises(RuntimeError):
        run_cli("--data", small_csv, *FAST, "--out", tmp_path / "a" / "b" / "res")
    assert list(tmp_path.iterdir()) == [small_csv]


@pytest.mark.parametrize("bad", [("--seed", -1), ("--init", "nope"), ("--tol", "nan"), ("--k", 0),
                                 ("--features", "pixles")])
def test_sweep_with_bad_options_creates_nothing(small_csv, tmp_path, capsys, bad):
    args = ["--data", small_csv, "--k", 2, 3, "--n-init", 1, "--out", tmp_path / "sw"]
    if bad[0] == "--k":
        args[2:5] = ["--k", 0]
        bad = ()
    assert sweep_cli(*args, *bad) == 2
    one_line_error(capsys)
    assert list(tmp_path.iterdir()) == [small_csv]


def test_out_is_checked_before_the_data_is_read(tmp_path, capsys, monkeypatch):
    import pixelmeans.run as run_module

    def never(config):
        raise AssertionError("data loaded before --out was checked")

    monkeypatch.setattr(run_module, "load_splits", never)
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "nowhere")
    assert run_cli("--dataset", "mnist", *FAST, "--out", dangling) == 2
    one_line_error(capsys, "symbolic link")
    empty_here = tmp_path / "empty-cwd"
    empty_here.mkdir()
    monkeypatch.chdir(empty_here)
    for extra in ((), ("--overwrite",)):
        assert run_cli("--dataset", "mnist", *FAST, "--out", ".", *extra) == 2
        one_line_error(capsys, "current folder")
    assert run_cli("--dataset", "mnist", *FAST, "--seed", -1, "--out", tmp_path / "x") == 2
    one_line_error(capsys, "--seed")


def test_an_existing_empty_folder_is_filled(small_csv, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert run_cli("--data", small_csv, *FAST, "--out", out) == 0
    assert (out / "report.html").is_file()


def test_class_names_with_dollar_signs_and_a_list_summary_beside(tmp_path, capsys):
    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    from pixelmeans.data.images import write_png_folder

    names = ["$x$", "a$b", "$\\foo$", "$^$", "_{}^"]
    data = tmp_path / "money"
    write_png_folder(data, ds.images[:200], ds.labels[:200] % 5, names)
    (tmp_path / "res-list").mkdir()
    (tmp_path / "res-list" / "summary.json").write_text("[1, 2, 3]")
    (tmp_path / "res-odd").mkdir()
    (tmp_path / "res-odd" / "summary.json").write_text(json.dumps(
        {"kind": "pixelmeans-results", "data": {"name": "money"}, "n_clusters": 5,
         "metrics": ["x"], "features": "pixels", "timings": {"fit": "slow"}}))
    assert run_cli("--data", data, "--k", 5, "--n-init", 1, "--no-animation",
                   "--out", tmp_path / "res") == 0
    summary = json.loads((tmp_path / "res" / "summary.json").read_text())
    assert "$x$" in summary["data"]["class_names"]


def test_sweep_refuses_an_absurd_k_range_at_once(tmp_path, capsys):
    assert sweep_cli("--dataset", "mnist", "--k", "1:200000000", "--out", tmp_path / "s") == 2
    one_line_error(capsys, "--k")
    assert sweep_cli("--dataset", "mnist", "--seed", -1, "--out", tmp_path / "s") == 2
    one_line_error(capsys, "--seed")


def test_a_non_utf8_file_name_is_one_line_or_a_run(small_csv, tmp_path):
    odd = os.fsdecode(bytes(tmp_path) + b"/caf\xe9.csv")
    os.replace(small_csv, odd)
    proc = subprocess.run([sys.executable, "-m", "pixelmeans", "run", "--data", odd, "--k", "3",
                           "--n-init", "1", "--no-animation", "--map", "pca",
                           "--out", str(tmp_path / "res")],
                          capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    missing = os.fsdecode(bytes(tmp_path) + b"/gone\xff.csv")
    proc = subprocess.run([sys.executable, "-m", "pixelmeans", "run", "--data", missing,
                           "--out", str(tmp_path / "r2")], capture_output=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr

"""Messages while a run works: a bar on a terminal, log lines off one, -v/-q."""

import json
import logging
import re
import subprocess
import sys

import numpy as np
import pytest

from pixelmeans.cli import build_parser
from pixelmeans.progress import COMPILE_NOTE, Progress, kernels_compiled, note_first_compile

RESTART_LINE = re.compile(r"^restart (\d)/2: inertia [0-9.e+]+, \d+ steps, \d+\.\d s$", re.M)
STEP_LINE = re.compile(r"^restart (\d)/2, step (\d+): (?:initial centroids|inertia [0-9.e+]+, "
                       r"[\d,]+ points changed), \d+\.\d\d s$", re.M)


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory):
    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    rows = np.column_stack([ds.labels[:300], ds.images[:300].reshape(300, -1)]).astype(np.int64)
    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    np.savetxt(path, rows, fmt="%d", delimiter=",")
    return path


def _run_to_files(tmp_path, csv, *options):
    """`pixelmeans run` in a fresh process, stdout and stderr redirected to files."""
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    cmd = [sys.executable, "-m", "pixelmeans", "run", "--data", str(csv), "--k", "5", "--n-init", "2",
           "--no-animation", "--map", "pca", "--out", str(tmp_path / "res"), *options]
    with open(out, "w") as fo, open(err, "w") as fe:
        rc = subprocess.run(cmd, stdout=fo, stderr=fe, cwd=tmp_path, timeout=300).returncode
    return rc, out.read_text(), err.read_text()


def test_off_a_terminal_each_restart_and_each_step_is_a_log_line(tiny_csv, tmp_path):
    rc, out, err = _run_to_files(tmp_path, tiny_csv)
    assert rc == 0, err
    assert [m.group(1) for m in RESTART_LINE.finditer(err)] == ["1", "2"], err
    assert "\r" not in err  # no bar was drawn into the file
    assert kernels_compiled()  # that run compiled the kernels into numba's cache, or found them there
    summary = json.loads((tmp_path / "res" / "summary.json").read_text())
    assert {"numba", "torch", "umap-learn", "cpu"} <= set(summary["versions"])
    # A line per step of each restart, step 0 being the initial centroids, before the
    # restart's own line
    steps = [(int(m.group(1)), int(m.group(2))) for m in STEP_LINE.finditer(err)]
    expected = [(r["restart"] + 1, t) for r in summary["restarts"] for t in range(r["n_iter"] + 1)]
    assert steps == expected, err
    assert err.index("restart 1/2: inertia") < err.index("restart 2/2, step 0")


def test_quiet_silences_the_progress_lines(tiny_csv, tmp_path):
    rc, out, err = _run_to_files(tmp_path, tiny_csv, "-q")
    assert rc == 0, err
    assert err == ""
    assert "converged" in out  # -q is about log messages, not the run's own output


@pytest.mark.parametrize("argv, verbose, quiet", [
    (["-v", "run"], 1, 0), (["run", "-v", "-v"], 2, 0), (["-q", "sweep"], 0, 1),
    (["evaluate", "--quiet", "--centroids", "c", "--data", "d"], 0, 1), (["datasets", "-q"], 0, 1),
    (["fetch", "mnist", "--verbose"], 1, 0), (["-q", "embed", "--features", "pca", "--out", "f"], 0, 1),
])
def test_verbose_and_quiet_are_accepted_before_and_after_the_subcommand(argv, verbose, quiet):
    args = build_parser().parse_args(argv)
    assert (args.verbose, args.quiet) == (verbose, quiet)


def test_progress_logs_a_line_per_step_when_no_bar_is_drawn(caplog):
    caplog.set_level(logging.INFO, logger="pixelmeans")
    with Progress(2, "test", "step") as bar:  # pytest's stderr is not a terminal
        bar.step("first", x=1)
        bar.step("second")
    assert [r.getMessage() for r in caplog.records] == ["first", "second"]


def test_the_compile_note_is_said_only_when_nothing_is_cached(caplog, monkeypatch):
    import pixelmeans.progress as progress

    caplog.set_level(logging.INFO, logger="pixelmeans")
    monkeypatch.setattr(progress, "kernels_compiled", lambda: True)
    note_first_compile()
    assert caplog.records == []
    monkeypatch.setattr(progress, "kernels_compiled", lambda: False)
    note_first_compile()
    assert [r.getMessage() for r in caplog.records] == [COMPILE_NOTE]


def test_an_empty_numba_cache_is_seen_as_a_first_run(tmp_path):
    probe = "from pixelmeans.progress import kernels_compiled; print(kernels_compiled())"
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "empty-cache"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"

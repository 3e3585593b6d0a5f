"""`pixelmeans run` end to end on small real data: the folder, the numbers, the refusals."""

import json
import logging
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pixelmeans.cli import main


def run_cli(*args):
    """``pixelmeans run`` in this process, without UMAP's map unless ``--map`` asks again
    (its import and compilation would cost the suite about 11 s a process; one test draws it)."""
    return main(["run", "--map", "pca", *map(str, args)])


@pytest.fixture(scope="module")
def small_run(digits_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    rc = run_cli("--data", digits_csv, "--k", 10, "--n-init", 2, "--seed", 3, "--out", out)
    assert rc == 0
    return out


def test_run_writes_the_complete_folder(small_run):
    out = small_run
    for name in ["centroids.png", "evolution.gif", "confusion.png", "mapping.csv", "members.png",
                 "centroids.csv", "centroids.npy", "summary.json", "report.html"]:
        assert (out / name).is_file(), name
    assert len(list((out / "init").glob("*.png"))) == 10
    assert len(list((out / "final").glob("*.png"))) == 10
    assert len(list((out / "steps").glob("*.png"))) >= 2
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_summary_numbers_agree_with_the_files(small_run, digits_csv):
    from pixelmeans import evaluate as ev
    from pixelmeans import load_path, read_centroids

    summary = json.loads((small_run / "summary.json").read_text())
    centers = read_centroids(small_run / "centroids.csv")
    np.testing.assert_allclose(centers, np.load(small_run / "centroids.npy"), rtol=1e-6)
    data = load_path(digits_csv)
    X = data.images.reshape(len(data.images), -1).astype(np.float32) / 255
    d = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
    labels = d.argmin(1)
    assert summary["inertia"] == pytest.approx(d.min(1).sum(), rel=1e-4)
    train = summary["metrics"]["train"]
    assert train["accuracy"] == pytest.approx(ev.accuracy(labels, data.labels), abs=1e-3)
    assert 0.45 < train["accuracy"] <= 1
    assert train["ami"] == pytest.approx(ev.ami(labels, data.labels), abs=1e-3)
    assert train["v_measure"] == pytest.approx(ev.v_measure(labels, data.labels), abs=1e-3)
    assert len(summary["clusters"]) == 10
    assert sum(c["size"] for c in summary["clusters"]) == 1500
    assert len(summary["restarts"]) == 2
    assert set(summary["timings"]) >= {"load", "fit", "evaluate", "figures"}
    mapping = (small_run / "mapping.csv").read_text().splitlines()
    assert mapping[0] == "cluster,majority_label,label_name,size,purity" and len(mapping) == 11
    for split in summary["metrics"]:  # train here (this data has no test part); test is measured alike
        assert {"homogeneity", "completeness", "v_measure", "nmi", "ami", "ari"} <= set(summary["metrics"][split])
    # 1500 images: all of them are in the silhouette sample, so its mean is scikit-learn's score
    from sklearn.metrics import silhouette_score

    silhouette = summary["silhouette"]
    assert silhouette["sample_size"] == 1500
    assert silhouette["mean"] == pytest.approx(silhouette_score(X, labels), abs=1e-4)
    assert len(silhouette["per_cluster"]) == 10


def test_pixel_runs_draw_the_cluster_shape_figures(small_run):
    from PIL import Image

    for name in ("silhouette.png", "intercluster.png", "embedding.png"):
        with Image.open(small_run / name) as im:
            assert im.width > 300 and im.height > 200, name
    # --map pca (run_cli's): PCA's map only, and the report says why there is no other
    assert not (small_run / "embedding_umap.png").exists()
    html = (small_run / "report.html").read_text(encoding="utf-8")
    assert "How the clusters lie" in html and "AMI" in html and "V-measure" in html
    assert "Silhouettes of 1,500 training images (a fixed random sample)" in html
    assert "The UMAP map was not drawn (--map pca)." in html


@pytest.fixture(scope="module")
def few_digits(tmp_path_factory):
    """300 labelled MNIST digits (the bundled test split) as a keras-style NPZ."""
    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    path = tmp_path_factory.mktemp("few") / "few.npz"
    np.savez(path, x_train=ds.images[:300], y_train=ds.labels[:300])
    return path


MAP_RUN = ("--k", 5, "--n-init", 1, "--no-animation")


def test_a_pixel_run_draws_the_umap_map_when_umap_learn_is_installed(few_digits, tmp_path):
    from PIL import Image

    pytest.importorskip("umap")
    out = tmp_path / "umap"
    assert run_cli("--data", few_digits, *MAP_RUN, "--map", "pca+umap", "--out", out) == 0
    for name in ("embedding.png", "embedding_umap.png"):
        with Image.open(out / name) as im:
            assert im.width > 300 and im.height > 200, name
    assert (out / "embedding_umap.png").read_bytes() != (out / "embedding.png").read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert "embedding_umap.png" in json.dumps(manifest)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "UMAP map of part of that sample, by cluster and by label." in html
    assert "not drawn" not in html
    assert json.loads((out / "summary.json").read_text())["config"]["map"] == "pca+umap"


@pytest.mark.parametrize("maps, drawn", [("pca", {"embedding.png"}), ("none", set())])
def test_map_option_leaves_the_maps_out(few_digits, tmp_path, maps, drawn):
    out = tmp_path / maps
    assert run_cli("--data", few_digits, *MAP_RUN, "--map", maps, "--out", out) == 0
    assert {p.name for p in out.glob("embedding*.png")} == drawn
    assert json.loads((out / "summary.json").read_text())["config"]["map"] == maps
    assert "not drawn (--map " + maps + ")" in (out / "report.html").read_text(encoding="utf-8")


def test_without_umap_learn_a_run_has_the_pca_map_only_and_says_nothing(few_digits, tmp_path,
                                                                       monkeypatch, capsys, caplog):
    from pixelmeans.figures import map_figures

    monkeypatch.setitem(sys.modules, "umap", None)  # `import umap` now fails, as when not installed
    out = tmp_path / "no-umap"
    assert run_cli("--data", few_digits, *MAP_RUN, "--map", "pca+umap", "--out", out) == 0
    assert {p.name for p in out.glob("embedding*.png")} == {"embedding.png"}
    console = capsys.readouterr()
    text = (console.out + console.err).lower()
    assert "umap-learn" not in text and "warning" not in text and "error" not in text
    assert "not drawn" not in (out / "report.html").read_text(encoding="utf-8")
    # left out because the import failed, which only the debug log says
    X = np.random.default_rng(0).random((40, 5), dtype=np.float32)
    with caplog.at_level(logging.DEBUG, logger="pixelmeans.figures"):
        files = map_figures(X, labels=np.arange(40) % 3, true_labels=None, class_names=None,
                            seed=0, umap=True)
    assert set(files) == {"embedding.png"}
    assert [r.levelno for r in caplog.records if "no UMAP map" in r.getMessage()] == [logging.DEBUG]


def test_an_unknown_map_is_an_input_error_before_any_work():
    from pixelmeans.config import RunConfig
    from pixelmeans.errors import InputError
    from pixelmeans.run import compute_run

    with pytest.raises(InputError, match=r"^--map umap: expected pca\+umap, pca, none$"):
        compute_run(RunConfig(map="umap"), check_output=False)  # before MNIST is read


def test_same_seed_same_result(small_run, digits_csv, tmp_path):
    rc = run_cli("--data", digits_csv, "--k", 10, "--n-init", 2, "--seed", 3,
                 "--out", tmp_path / "again", "--no-animation")
    assert rc == 0
    np.testing.assert_array_equal(np.load(small_run / "centroids.npy"),
                                  np.load(tmp_path / "again" / "centroids.npy"))
    assert not (tmp_path / "again" / "evolution.gif").exists()


def test_refuses_non_empty_out_and_never_deletes_user_files(digits_csv, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    assert run_cli("--data", digits_csv, "--k", 3, "--n-init", 1, "--out", out) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert run_cli("--data", digits_csv, "--k", 3, "--n-init", 1, "--out", out, "--overwrite") == 2
    err = capsys.readouterr().err
    assert "did not write" in err and len(err.strip().splitlines()) == 1
    assert (out / "notes.txt").read_text() == "precious"


def test_overwrite_replaces_a_pixelmeans_folder(digits_csv, tmp_path):
    out = tmp_path / "res"
    args = ("--data", digits_csv, "--k", 4, "--n-init", 1, "--no-animation", "--out", out)
    assert run_cli(*args) == 0
    assert run_cli(*args) == 2
    assert run_cli(*args, "--seed", 9, "--overwrite") == 0
    assert json.loads((out / "summary.json").read_text())["config"]["seed"] == 9


@pytest.mark.parametrize("args, words", [
    (("--k", 5000), "larger than"),
    (("--k", 0), "at least 1"),
    (("--init", "nope.csv"), "--init"),
    (("--n-init", 0), "--n-init"),
])
def test_bad_arguments_are_one_line_exit_2(digits_csv, tmp_path, capsys, args, words):
    rc = run_cli("--data", digits_csv, "--out", tmp_path / "x", *args)
    err = capsys.readouterr().err
    assert rc == 2
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_init_file_of_wrong_shape(digits_csv, tmp_path, capsys):
    bad = tmp_path / "init.csv"
    bad.write_text("\n".join(",".join(["0.5"] * 10) for _ in range(10)) + "\n")
    rc = run_cli("--data", digits_csv, "--k", 10, "--init", bad, "--out", tmp_path / "x")
    err = capsys.readouterr().err
    assert rc == 2 and "init" in err.lower() and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_unlabelled_images_get_centroids_but_no_label_figures(tmp_path):
    from PIL import Image

    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i in range(300):
        Image.fromarray(ds.images[i]).save(folder / f"img{i:04d}.png")
    out = tmp_path / "out"
    assert run_cli("--data", folder, "--k", 6, "--n-init", 1, "--out", out) == 0
    assert (out / "centroids.png").exists() and (out / "members.png").exists()
    assert (out / "evolution.gif").exists()
    assert not (out / "confusion.png").exists() and not (out / "mapping.csv").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"] == {} and summary["data"]["has_labels"] is False
    assert "no labels" in (out / "report.html").read_text().lower()


def _interrupt_when(cmd, ready, tmp_path, sig=signal.SIGINT, timeout=120):
    # A shell starts background jobs with SIGINT ignored, and the child would inherit that;
    # the run is meant to be a foreground one that a user interrupts, whoever starts pytest.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not ready():
        time.sleep(0.005)
    if proc.poll() is None:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_killed_while_writing_leaves_no_partial_folder(tmp_path, sig):
    out = tmp_path / "res"
    cmd = [sys.executable, "-m", "pixelmeans", "run", "--dataset", "mnist", "--k", "10",
           "--n-init", "1", "--out", str(out)]
    # The test split only (bundled, offline) via PIXELMEANS_DATA set to an empty cache
    # would still fetch train; use the bundled split as a user file instead.
    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    npz = tmp_path / "test.npz"
    np.savez(npz, x_train=ds.images, y_train=ds.labels)
    cmd = [sys.executable, "-m", "pixelmeans", "run", "--data", str(npz), "--k", "10",
           "--n-init", "1", "--out", str(out)]

    def writing():
        return any(p.name.startswith(".res.tmp-") for p in tmp_path.iterdir())

    # A run can finish between seeing its temporary folder and the signal landing (a
    # loaded machine): that attempt tested nothing, so it is cleaned up and retried.
    for _ in range(3):
        rc, _, err = _interrupt_when(cmd, writing, tmp_path, sig)
        if rc != 0:
            break
        shutil.rmtree(out)
    assert rc == 130, err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["test.npz"]
    assert "interrupted" in err


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_written_report_opens_in_chromium_with_every_image(small_run, tmp_path):
    sys.path.insert(0, str(Path(__file__).parents[1] / "report"))
    import re

    from report_helpers import check_in_browser, chromium

    exe = chromium()
    assert exe, "Debian's chromium is missing: run `make browser`"
    html = (small_run / "report.html").read_text(encoding="utf-8")
    expected = len(re.findall(r"<img\b", html))
    assert expected >= 5
    found = check_in_browser(exe, small_run / "report.html", tmp_path)
    assert found["violations"] == [] and found["broken"] == []
    assert found["total"] == found["loaded"] == expected
    from test_report_browser import assert_shape_pieces_shown

    assert_shape_pieces_shown(found, umap=False)  # small_run: --map pca


@pytest.mark.parametrize("init", ["k-means||", "random-points"])
def test_named_initialisations_run(digits_csv, tmp_path, init):
    out = tmp_path / "res"
    assert run_cli("--data", digits_csv, "--k", 4, "--n-init", 1, "--init", init,
                   "--no-animation", "--out", out) == 0
    assert json.loads((out / "summary.json").read_text())["config"]["init"] == init


def test_the_folder_is_the_one_this_code_has_always_written(small_run):
    """The numbers and files of a fixed run, recorded from the code before its orchestration
    was split into run, outputs and figures: a refactor must not change them.

    Recorded again when pixel runs began to fit k-means on the uint8 images (pixels / 255
    before): the same partition (mapping.csv, 28 steps), centroids and inertia
    (55333.72352722501 before) different in their last digits."""
    import hashlib

    def sha(name):
        return hashlib.sha256((small_run / name).read_bytes()).hexdigest()

    assert sha("centroids.npy") == "4b0687e6ea2c1130e50017f34999dcaff5bd967f82c697af30aca2ff0ce367bd"
    assert sha("centroids.csv") == "683226f75e7b0409d7e9527daa633390da8ffc20cad6524acaff43041f539b3a"
    assert sha("mapping.csv") == "b1ad031e2da97d5237609f0820cbe52307ab27cd905840354599f4be54541a83"
    summary = json.loads((small_run / "summary.json").read_text())
    assert summary["inertia"] == 55333.71702914061 and summary["n_iter"] == 28


def test_a_result_draws_itself_and_saves_the_same_folder(small_run, digits_csv, tmp_path):
    from matplotlib.figure import Figure

    from pixelmeans.config import RunConfig
    from pixelmeans.run import compute_run

    result = compute_run(RunConfig(data=str(digits_csv), k=10, n_init=2, seed=3, map="pca"),
                         echo=lambda _: None, check_output=False)
    for fig in (result.plot_centroids(), result.plot_confusion(), result.plot_members(),
                result.plot_silhouette(), result.plot_intercluster()):
        assert isinstance(fig, Figure)
    assert result.summary()["inertia"] == json.loads((small_run / "summary.json").read_text())["inertia"]
    out = result.save(tmp_path / "saved", echo=lambda _: None)
    for name in ("centroids.npy", "mapping.csv", "centroids.png", "members.png", "evolution.gif",
                 "silhouette.png", "intercluster.png", "embedding.png"):
        assert (out / name).read_bytes() == (small_run / name).read_bytes(), name


def test_set_passes_feature_parameters_and_refuses_unknown_ones(digits_csv, tmp_path, capsys):
    out = tmp_path / "pca"
    assert run_cli("--data", digits_csv, "--k", 4, "--n-init", 1, "--no-animation", "--features", "pca",
                   "--set", "n_components=7", "--out", out) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["features"]["n_features"] == 7
    assert summary["config"]["feature_options"] == {"n_components": 7}
    capsys.readouterr()
    assert run_cli("--data", digits_csv, "--features", "pca", "--set", "no_such_knob=1",
                   "--out", tmp_path / "x") == 2
    err = capsys.readouterr().err
    assert "no_such_knob" in err and len(err.strip().splitlines()) == 1
    assert run_cli("--data", digits_csv, "--set", "novalue", "--out", tmp_path / "y") == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_debug_is_accepted_after_the_subcommand(digits_csv, tmp_path):
    with pytest.raises(Exception):
        main(["run", "--debug", "--data", str(digits_csv), "--k", "0", "--out", str(tmp_path / "d")])

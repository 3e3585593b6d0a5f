"""`pixelmeans run` on an InfiMNIST store: the training images stay on disk, read chunk
by chunk, and the folder is the one the same images give in memory."""

import json

import pytest

from pixelmeans.cli import main

ARGS = ["--dataset", "infimnist:1000", "--k", "8", "--n-init", "2", "--seed", "1", "--max-iter", "15"]
#: Files whose bytes hold times (summary.json, the report) or hashes of those (the manifest).
TIMED = {"summary.json", "report.html", "manifest.json"}


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _comparable(summary):
    summary = dict(summary, timings=None, config=dict(summary["config"], out=None))
    summary["restarts"] = [{k: v for k, v in r.items() if k != "fit_time"} for r in summary["restarts"]]
    return summary


def test_a_store_run_reads_the_images_from_disk_and_gives_the_in_memory_folder(
        infimnist_home, tmp_path, monkeypatch, capsys):
    from pixelmeans import run as run_module
    from pixelmeans.data import infimnist

    monkeypatch.setenv("PIXELMEANS_DATA", str(infimnist_home))
    # 1 MB said to be available: too little for the 1,000 images in memory (0.8 MB, and
    # 3.9 MB with their float32 features), which a pixel run never holds.
    with monkeypatch.context() as little:
        little.setattr(infimnist, "_available_memory", lambda: 10**6)
        assert main(["run", *ARGS, "--out", str(tmp_path / "disk" / "run")]) == 0
    assert "read from disk chunk by chunk" in capsys.readouterr().out

    # The same images read into memory first.
    load_splits = run_module.load_splits
    monkeypatch.setattr(run_module, "load_splits", lambda config, in_memory=True: load_splits(config))
    assert main(["run", *ARGS, "--out", str(tmp_path / "memory" / "run")]) == 0
    assert "read from disk" not in capsys.readouterr().out

    # Apart, so that neither run is compared with the other in its report.
    disk, memory = _files(tmp_path / "disk" / "run"), _files(tmp_path / "memory" / "run")
    assert disk.keys() == memory.keys()
    for name in ("centroids.png", "members.png", "confusion.png", "silhouette.png",
                 "intercluster.png", "embedding.png", "evolution.gif", "centroids.npy",
                 "centroids.csv", "mapping.csv", "report.html", "final/centroid007.png",
                 "init/centroid000.png"):
        assert name in disk, name
    assert [n for n in disk if n not in TIMED and disk[n] != memory[n]] == []
    summary = json.loads(disk["summary.json"])
    assert _comparable(summary) == _comparable(json.loads(memory["summary.json"]))
    assert summary["data"]["n_train"] == 1000 and summary["features"]["n_features"] == 784
    assert summary["metrics"]["train"]["n_samples"] == 1000
    assert summary["metrics"]["test"]["n_samples"] == 10000
    assert summary["silhouette"]["sample_size"] == 1000


def test_learned_features_read_the_store_into_memory_or_say_what_to_do(
        infimnist_home, tmp_path, monkeypatch, capsys):
    from pixelmeans.data import infimnist

    monkeypatch.setenv("PIXELMEANS_DATA", str(infimnist_home))
    pca = ["--features", "pca", "--set", "n_components=5", "--no-animation"]
    assert main(["run", *ARGS, *pca, "--out", str(tmp_path / "pca")]) == 0
    summary = json.loads((tmp_path / "pca" / "summary.json").read_text())
    assert summary["features"]["n_features"] == 5 and summary["data"]["n_train"] == 1000
    capsys.readouterr()
    monkeypatch.setattr(infimnist, "_available_memory", lambda: 10**6)
    assert main(["run", *ARGS, *pca, "--out", str(tmp_path / "refused")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "infimnist:1000" in err and "--features pixels" in err
    assert not (tmp_path / "refused").exists()

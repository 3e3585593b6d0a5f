"""The classic k-means assignment, end to end: letters CSV, random 0..255 init, drop, analysis.

The reference below is the assignment's loop in plain NumPy (no pixelmeans code):
assign every image to its nearest centroid, drop the centroids that got no image,
move each centroid to the mean of its images, stop when the centroids no longer
change. ``pixelmeans run`` and ``pixelmeans evaluate`` must give its answer whatever
the units of the init file (0..255 or [0, 1]) and whether it has a key column.
"""

import json
import re
import warnings

import numpy as np
import pytest

from pixelmeans.cli import main

N_IMAGES = 2000
K = 12
LETTERS = np.array(list("ABCDEFGHIJ"))


# ---------------------------------------------------------------- the reference


def course_kmeans(X, centers):
    """The assignment's loop; returns (final centroids, steps)."""
    steps = 0
    while True:
        d = np.stack([((X - c) ** 2).sum(axis=1) for c in centers], axis=1)
        nearest = d.argmin(axis=1)
        alive = np.flatnonzero(np.bincount(nearest, minlength=len(centers)))
        new = np.stack([X[nearest == j].mean(axis=0) for j in alive])
        steps += 1
        if new.shape == centers.shape and np.array_equal(new, centers):
            return new, steps
        centers = new


def course_accuracy(X, centers, labels):
    """The assignment's analysis.py: majority label of each centroid's members."""
    d = np.stack([((X - c) ** 2).sum(axis=1) for c in centers], axis=1)
    nearest = d.argmin(axis=1)
    right = 0
    for j in range(len(centers)):
        members = labels[nearest == j]
        if members.size:
            right += np.bincount(members).max()
    return right / len(labels)


# ---------------------------------------------------------------- the scenario


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    images = ds.images[:N_IMAGES].reshape(N_IMAGES, -1)
    labels = ds.labels[:N_IMAGES]
    folder = tmp_path_factory.mktemp("course")
    data = folder / "letters.csv"
    data.write_text("".join(f"{LETTERS[lab]},{','.join(map(str, row))}\n"
                            for lab, row in zip(labels, images.tolist())))
    init = np.random.default_rng(0).integers(0, 256, size=(K, images.shape[1]))
    X = images / 255.0
    final, steps = course_kmeans(X, init / 255.0)
    return {"folder": folder, "data": data, "init": init, "X": X, "labels": labels,
            "final": final, "steps": steps,
            "accuracy": course_accuracy(X, final, labels)}


def write_init(path, values, keys):
    lines = []
    for i, row in enumerate(values):
        fields = [repr(float(v)) if isinstance(v, float) else str(v) for v in row.tolist()]
        lines.append(",".join(([f"centroid{i}"] if keys else []) + fields))
    path.write_text("\n".join(lines) + "\n")
    return path


def init_file(course, units, keys, suffix):
    values = course["init"] if units == "pixels" else course["init"] / 255.0
    path = course["folder"] / f"init-{units}-{'keys' if keys else 'plain'}{suffix}"
    if suffix == ".npy":
        np.save(path, values)
        return path
    return write_init(path, values, keys)


def run_quietly(*args):
    """``pixelmeans run`` with every RuntimeWarning (numpy's cast warnings) as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return main(["run", "--map", "pca", *map(str, args)])


def test_the_reference_drops_a_centroid(course):
    # the scenario is the assignment's: some centroid loses all its points
    assert len(course["final"]) < K
    assert course["steps"] > 3


@pytest.mark.parametrize("units,keys,suffix", [
    ("pixels", True, ".csv"), ("pixels", False, ".csv"), ("features", True, ".csv"),
    ("features", False, ".csv"), ("pixels", False, ".npy"),
])
def test_run_gives_the_assignments_answer(course, tmp_path, capsys, units, keys, suffix):
    init = init_file(course, units, keys, suffix)
    out = tmp_path / "run"
    rc = run_quietly("--data", course["data"], "--k", K, "--init", init, "--empty-clusters", "drop",
                     "--tol", 0, "--n-init", 1, "--no-animation", "--out", out)
    console = capsys.readouterr().out
    assert rc == 0
    assert f"K-means converged after {course['steps']} steps." in console
    n_dropped = K - len(course["final"])
    assert f"{n_dropped} of the {K} centroids lost all their images and were dropped" in console
    assumed = ("in pixel units (0..255" if units == "pixels" else "in the features' units ([0, 1]")
    assert assumed in console
    final = np.load(out / "centroids.npy")
    assert final.shape == course["final"].shape
    np.testing.assert_allclose(final, course["final"], atol=1e-6)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_clusters"] == len(course["final"]) and summary["n_iter"] == course["steps"]
    assert summary["init"] == {"file": str(init), "units": units}
    assert summary["units"]["centroids.csv"].startswith("features")
    assert not summary["warnings"] and "warning" not in console.lower()
    assert len(list((out / "init").glob("*.png"))) == K
    assert len(list((out / "final").glob("*.png"))) == len(course["final"])


@pytest.fixture(scope="module")
def course_run(course, tmp_path_factory):
    """The course's run with the CSV written in pixel units, as the course writes it."""
    init = init_file(course, "pixels", True, ".csv")
    out = tmp_path_factory.mktemp("runs") / "course"
    rc = run_quietly("--data", course["data"], "--k", K, "--init", init, "--empty-clusters", "drop",
                     "--tol", 0, "--n-init", 1, "--no-animation", "--centroid-units", "pixels",
                     "--out", out)
    assert rc == 0
    return out


def test_centroids_csv_in_pixel_units_with_keys(course, course_run):
    lines = (course_run / "centroids.csv").read_text().splitlines()
    assert len(lines) == len(course["final"])
    assert [line.split(",", 1)[0] for line in lines] == [f"centroid{i}" for i in range(len(lines))]
    values = np.array([[float(v) for v in line.split(",")[1:]] for line in lines])
    np.testing.assert_allclose(values / 255, course["final"], atol=1e-6)
    units = json.loads((course_run / "summary.json").read_text())["units"]
    assert units["centroids.csv"].startswith("pixels") and units["centroids.npy"].startswith("features")
    assert {"init/", "final/", "steps/"} <= set(units)


@pytest.mark.parametrize("name", ["centroids.csv", "centroids.npy"])
def test_evaluate_reproduces_the_analysis(course, course_run, capsys, name):
    rc = main(["evaluate", "--centroids", str(course_run / name), "--data", str(course["data"])])
    console = capsys.readouterr().out
    assert rc == 0
    overall = re.search(r"accuracy ([0-9.]+)", console)
    assert float(overall.group(1)) == pytest.approx(course["accuracy"], abs=5e-5)
    # one line per centroid: its majority letter, members and accuracy
    rows = re.findall(r"^\s*centroid(\d+)\s+([A-J-])\s+(\d+)\s", console, flags=re.M)
    assert len(rows) == len(course["final"])
    assert sum(int(n) for _, _, n in rows) == N_IMAGES
    assert not list(course_run.parent.glob("*.json"))  # nothing written without --out


def test_evaluate_writes_json_or_csv_only_when_asked(course, course_run, tmp_path, capsys):
    target = tmp_path / "analysis.json"
    assert main(["evaluate", "--centroids", str(course_run / "centroids.csv"),
                 "--data", str(course["data"]), "--out", str(target)]) == 0
    result = json.loads(target.read_text())
    assert result["accuracy"] == pytest.approx(course["accuracy"], abs=1e-12)
    assert result["centroids_units"] == "pixels"
    assert sum(c["size"] for c in result["clusters"]) == N_IMAGES
    assert {c["majority_label"] for c in result["clusters"]} <= set(LETTERS)
    target = tmp_path / "analysis.csv"
    assert main(["evaluate", "--centroids", str(course_run / "centroids.npy"),
                 "--data", str(course["data"]), "--out", str(target)]) == 0
    lines = target.read_text().splitlines()
    assert lines[0] == "centroid,majority_label,size,accuracy"
    assert len(lines) == 1 + len(course["final"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_collapsed_run_says_so(course, tmp_path, capsys):
    # 11 white centroids and one black one: every image is nearest the black one
    values = np.ones((K, course["X"].shape[1]))
    values[0] = 0
    init = write_init(tmp_path / "white.csv", values, keys=True)
    out = tmp_path / "run"
    assert run_quietly("--data", course["data"], "--k", K, "--init", init, "--empty-clusters",
                       "drop", "--tol", 0, "--n-init", 1, "--no-animation", "--out", out) == 0
    console = capsys.readouterr().out
    assert "warning: 11 of the 12 centroids were dropped" in console
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["warnings"]) == 1 and "units" in summary["warnings"][0]
    assert "11 of the 12 centroids were dropped" in (out / "report.html").read_text()


@pytest.mark.parametrize("content,words", [
    ("negative", "negative"),
    ("above", "above 255"),
    ("nan", "NaN"),
    ("narrow", "783 values per centroid"),
])
def test_init_files_in_neither_unit_are_refused(course, tmp_path, capsys, content, words):
    values = course["init"].astype(float)
    if content == "negative":
        values[3, 5] = -1
    elif content == "above":
        values[3, 5] = 256
    elif content == "nan":
        values[3, 5] = np.nan
    else:
        values = values[:, 1:]
    init = write_init(tmp_path / "init.csv", values, keys=True)
    rc = main(["run", "--data", str(course["data"]), "--k", str(K), "--init", str(init),
               "--n-init", "1", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2 and words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_evaluate_refuses_centroids_of_other_images(course, tmp_path, capsys):
    narrow = write_init(tmp_path / "c.csv", course["init"][:, :100], keys=True)
    assert main(["evaluate", "--centroids", str(narrow), "--data", str(course["data"])]) == 2
    err = capsys.readouterr().err
    assert "100 values per centroid" in err and len(err.strip().splitlines()) == 1

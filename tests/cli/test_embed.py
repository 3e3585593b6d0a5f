"""`pixelmeans embed` and `run --features`: a saved embedding is reused as it was fitted."""

import json

import numpy as np

from pixelmeans.cli import main


def test_embed_then_run_with_the_saved_features(digits_csv, tmp_path, capsys):
    saved = tmp_path / "pca10.pmfeat"
    assert main(["embed", "--features", "pca:10", "--data", str(digits_csv), "--seed", "4", "--out", str(saved)]) == 0
    assert saved.is_file()
    assert main(["embed", "--features", "pca:10", "--data", str(digits_csv), "--seed", "4", "--out", str(saved)]) == 2
    assert "--overwrite" in capsys.readouterr().err

    frozen, fresh = tmp_path / "frozen", tmp_path / "fresh"
    common = ["--data", str(digits_csv), "--k", "10", "--n-init", "1", "--seed", "4"]
    assert main(["run", *common, "--features", str(saved), "--out", str(frozen)]) == 0
    assert main(["run", *common, "--features", "pca:10", "--out", str(fresh)]) == 0
    a = json.loads((frozen / "summary.json").read_text())
    b = json.loads((fresh / "summary.json").read_text())
    assert a["features"]["n_features"] == 10
    assert a["inertia"] == b["inertia"]
    np.testing.assert_array_equal(np.load(frozen / "centroids.npy"), np.load(fresh / "centroids.npy"))
    # learned features: centroids are member means, plus a 2-D map; no pixel animation
    for name in ("centroids.png", "embedding.png", "members.png"):
        assert (frozen / name).is_file()
    assert not (frozen / "evolution.gif").exists()
    # both runs sit side by side: the second report compares them
    assert len(b["comparison"]) == 2
    assert "Features compared" in (fresh / "report.html").read_text()


def test_bad_features_spec_is_one_line(digits_csv, tmp_path, capsys):
    rc = main(["run", "--data", str(digits_csv), "--features", "pca:0", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 2 and "features" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_decoded_centroids_only_when_the_autoencoder_decodes_images(digits_csv, tmp_path):
    import pytest

    pytest.importorskip("torch")
    few = tmp_path / "few.csv"  # 300 digits: 30 epochs of the default autoencoder in seconds
    few.write_text("".join(digits_csv.read_text().splitlines(keepends=True)[:300]))
    common = ["--data", str(few), "--k", "10", "--n-init", "1", "--seed", "0"]
    for spec, images_out in (("autoencoder:4", True), ("deskew+hog+autoencoder:4", False)):
        saved, out = tmp_path / f"{spec}.pmfeat", tmp_path / spec
        assert main(["embed", "--features", spec, "--data", str(few), "--out", str(saved)]) == 0
        assert main(["run", *common, "--features", str(saved), "--out", str(out)]) == 0
        for name in ("centroids.png", "members.png", "embedding.png", "report.html"):
            assert (out / name).is_file()
        # a hog autoencoder decodes to descriptors: there is no image to show
        assert (out / "decoded.png").is_file() is images_out
        assert (out / "reconstructions.png").is_file() is images_out


def test_overwrite_never_replaces_a_file_pixelmeans_did_not_save(tmp_path, capsys):
    from pixelmeans.cli import main

    mine = tmp_path / "thesis.pdf"
    mine.write_bytes(b"%PDF precious")
    rc = main(["embed", "--features", "pca:5", "--dataset", "mnist", "--out", str(mine), "--overwrite"])
    assert rc == 2
    assert "not a features file" in capsys.readouterr().err
    assert mine.read_bytes() == b"%PDF precious"

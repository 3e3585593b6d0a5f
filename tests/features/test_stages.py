"""Deskew and HOG as Pipeline stages: their transformers, the pixel-unit check, saving."""

import copy
import io
import json
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.pipeline import Pipeline, make_pipeline

from pixelmeans.centroids import has_pixel_units
from pixelmeans.errors import InputError
from pixelmeans.features import (HOG, Deskew, PCAFeatures, PixelFeatures, load_features, make_features,
                                 save_features)
from pixelmeans.features import io as features_io
from pixelmeans.features.deskew import deskew
from pixelmeans.features.hog import hog
from pixelmeans.members import _is_pixels


def test_deskew_stage_keeps_dtype_and_layout(tiny):
    images = tiny.reshape(-1, 28, 28)
    t = Deskew().fit(images)
    assert t.n_features_in_ == 784 and t.image_shape_ == (28, 28)
    out = t.transform(images)
    assert out.dtype == np.uint8 and out.shape == tiny.shape  # flattened, as every transformer's output
    assert_array_equal(out, deskew(images).reshape(tiny.shape))
    assert_array_equal(t.transform(tiny), out)
    assert Deskew().fit_transform(tiny.astype(np.float32) / 255).dtype == np.float32
    assert list(t.get_feature_names_out()[:2]) == ["x0", "x1"]
    with pytest.raises(InputError, match="784"):
        t.transform(tiny[:, :100])


def test_hog_stage_reads_the_shape_it_was_fitted_on():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 24, 32), dtype=np.uint8)
    t = HOG().fit(images)
    # flattened non-square images after fitting on 3-D ones: the fitted (h, w) is used
    assert_array_equal(t.transform(images.reshape(5, -1)), hog(images))
    assert t.transform(images).dtype == np.float32
    names = t.get_feature_names_out()
    assert len(names) == t.transform(images).shape[1] and names[0] == "hog0"
    with pytest.raises(InputError, match="not a square"):
        HOG().fit(images.reshape(5, -1))
    assert HOG(image_shape=(24, 32)).fit(images.reshape(5, -1)).image_shape_ == (24, 32)
    with pytest.raises(InputError, match="too small"):
        HOG().fit(np.zeros((2, 6, 6), np.uint8))
    with pytest.raises(InputError, match="cell"):
        HOG(cell=0).fit(images)


def test_pipeline_equals_the_functions(tiny):
    t = make_pipeline(Deskew(), HOG(), PixelFeatures())
    assert_array_equal(t.fit_transform(tiny), hog(deskew(tiny)))


@pytest.mark.parametrize("spec, pixel_units", [
    ("pixels", True), ("deskew+pixels", True), ("hog+pixels", False), ("deskew+hog+pixels", False),
    ("pca", False), ("deskew+pca", False),
])
def test_pixel_units_of_pipelines(spec, pixel_units):
    t = make_features(spec)
    assert has_pixel_units(t) is pixel_units
    assert _is_pixels(t) is pixel_units


def test_flags_are_no_longer_parameters():
    with pytest.raises(InputError, match="write deskew\\+ or hog\\+ in front"):
        make_features("pca", deskew=True)
    with pytest.raises(InputError, match="contradicts"):
        make_features("hog+clr", hog=False)
    assert make_features("hog+clr").hog  # described inside the training loop: an option, not a stage
    assert type(make_features("deskew+hog+clr")[0]) is Deskew


@pytest.fixture()
def saved_pipeline(tmp_path, tiny):
    t = make_features("deskew+hog+pca:4").fit(tiny)
    path = tmp_path / "p.pmfeat"
    save_features(t, path)
    return t, path


def test_pipeline_round_trip(saved_pipeline, tiny):
    t, path = saved_pipeline
    u = load_features(path)
    assert isinstance(u, Pipeline) and [name for name, _ in u.steps] == ["deskew", "hog", "pcafeatures"]
    assert_array_equal(u.transform(tiny), t.transform(tiny))
    frozen = make_features(str(path))
    assert_array_equal(frozen.fit_transform(tiny), t.transform(tiny))


def _rewrite(path, out, edit):
    with zipfile.ZipFile(path) as zf:
        meta, arrays = json.loads(zf.read("meta.json")), zf.read("arrays.npz")
    edit(meta)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("meta.json", json.dumps(meta))
        zf.writestr("arrays.npz", arrays)
    out.write_bytes(buf.getvalue())
    return out


def _steps(meta):
    return meta["transformer"]["steps"]


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["transformer"].update(memory="x"), r"exactly \['class', 'steps'\]"),
    (lambda m: m["transformer"].update(steps=[]), "1 to 8 steps"),
    (lambda m: m["transformer"].update(steps=_steps(m) * 3), "1 to 8 steps"),
    (lambda m: _steps(m).__setitem__(0, ["deskew"]), r"\[name, transformer\] pair"),
    (lambda m: _steps(m)[0].__setitem__(0, "a__b"), "plain name"),
    (lambda m: _steps(m)[0].__setitem__(0, 3), "plain name"),
    (lambda m: _steps(m)[1].__setitem__(0, "deskew"), "names must differ"),
    (lambda m: _steps(m).reverse(), "only Deskew and HOG"),
    (lambda m: _steps(m).pop(1), "widths"),
    (lambda m: _steps(m)[0].__setitem__(1, copy.deepcopy(m["transformer"])), "entry must hold exactly"),
    (lambda m: _steps(m)[1][1]["state"].update(image_shape_={"array": "pcafeatures/mean_"}), "does not fit"),
    (lambda m: _steps(m)[0][1]["params"].update(image_shape={"tuple": [4, 4]}), "does not fit"),
])
def test_broken_pipeline_entries_are_one_line_input_errors(tmp_path, saved_pipeline, edit, message):
    path = _rewrite(saved_pipeline[1], tmp_path / "bad.pmfeat", edit)
    with pytest.raises(InputError, match=message) as info:
        load_features(path)
    assert "\n" not in str(info.value)


def test_a_pipeline_with_other_stages_in_front_is_not_saved(tmp_path, tiny):
    t = make_pipeline(PCAFeatures(5), PixelFeatures()).fit(tiny)
    with pytest.raises(InputError, match="only Deskew and HOG"):
        save_features(t, tmp_path / "x.pmfeat")
    assert not (tmp_path / "x.pmfeat").exists()


def _as_version_2(meta, **flags):
    """The tree of a saved PCAFeatures as format 2 wrote it: with deskew and hog options."""
    meta["version"] = 2
    meta["transformer"]["params"].update({"deskew": False, "hog": False, **flags})


def test_version_2_files_load_when_their_flags_are_off(tmp_path, tiny):
    t = PCAFeatures(4).fit(tiny)
    save_features(t, tmp_path / "p.pmfeat")
    old = _rewrite(tmp_path / "p.pmfeat", tmp_path / "old.pmfeat", _as_version_2)
    assert_array_equal(load_features(old).transform(tiny), t.transform(tiny))
    on = _rewrite(tmp_path / "p.pmfeat", tmp_path / "on.pmfeat", lambda m: _as_version_2(m, hog=True))
    with pytest.raises(InputError, match="version 2 with hog on .*fit and save the features again"):
        load_features(on)
    assert features_io.VERSION == 3

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

import pixelmeans
from pixelmeans.errors import InputError
from pixelmeans.features import PCAFeatures, PixelFeatures, load_features, save_features


def test_pixels_scale_and_shapes(tiny):
    f = PixelFeatures().fit(tiny)
    Z = f.transform(tiny)
    assert Z.dtype == np.float32 and Z.shape == tiny.shape
    np.testing.assert_allclose(Z, tiny / 255.0, rtol=1e-6)
    # (n, h, w) and float input are accepted; floats are taken as already scaled
    assert f.transform(tiny.reshape(-1, 28, 28)).shape == (400, 784)
    np.testing.assert_array_equal(f.transform(Z), Z)
    with pytest.raises(InputError):
        f.transform(tiny[:, :100])
    # other integer dtypes are intensities out of 255 too; text is refused
    np.testing.assert_array_equal(f.transform(tiny.astype(np.int32)), Z)
    with pytest.raises(ValueError):
        f.transform(np.full(tiny.shape, "a"))


def test_pca(tiny):
    f = PCAFeatures(8, random_state=0)
    Z = f.fit_transform(tiny)
    assert Z.dtype == np.float32 and Z.shape == (400, 8)
    np.testing.assert_allclose(f.transform(tiny), Z, atol=1e-4)
    np.testing.assert_allclose(f.transform(tiny.astype(np.float32) / 255), Z, atol=1e-4)
    assert f.inverse_transform(Z).shape == (400, 784)
    assert f.get_params() == {"n_components": 8, "whiten": False, "random_state": 0}
    with pytest.raises(InputError):
        PCAFeatures(0).fit(tiny)


def test_pca_in_pipeline_with_kmeans(tiny):
    pipe = make_pipeline(PCAFeatures(10), pixelmeans.KMeans(n_clusters=5, random_state=0))
    labels = pipe.fit_predict(tiny)
    assert labels.shape == (400,) and len(np.unique(labels)) == 5


def test_save_load_pca_and_pixels(tmp_path, tiny):
    for f in (PCAFeatures(6).fit(tiny), PixelFeatures().fit(tiny)):
        path = tmp_path / f"{type(f).__name__}.pmfeat"
        save_features(f, path)
        g = load_features(path)
        assert type(g) is type(f) and g.get_params() == f.get_params()
        np.testing.assert_array_equal(g.transform(tiny), f.transform(tiny))


def test_save_refuses_unfitted_and_load_refuses_junk(tmp_path):
    with pytest.raises(InputError, match="unfitted"):
        save_features(PCAFeatures(3), tmp_path / "x")
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a saved"):
        load_features(junk)

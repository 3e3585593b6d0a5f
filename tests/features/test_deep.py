"""Autoencoder, UMAP and AE+UMAP (need the [deep] extra)."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

torch = pytest.importorskip("torch")
pytest.importorskip("umap")

import pixelmeans  # noqa: E402
from pixelmeans.evaluate import hungarian_accuracy, nmi  # noqa: E402
from pixelmeans.features import (  # noqa: E402
    AEUMAP, AutoencoderFeatures, UMAPFeatures, decoded_centroids, embedding_2d, load_features,
    make_features, reconstructions, save_features,
)

AE_FAST = dict(epochs=1, batch_size=64, verbose=False, hidden=(64, 64, 128))


@pytest.fixture(scope="module")
def fitted_ae(tiny):
    return AutoencoderFeatures(n_components=4, random_state=0, **AE_FAST).fit(tiny)


def test_autoencoder_shapes_and_params(fitted_ae, tiny):
    Z = fitted_ae.transform(tiny)
    assert Z.dtype == np.float32 and Z.shape == (400, 4)
    assert len(fitted_ae.loss_curve_) == 1 and np.isfinite(fitted_ae.loss_curve_[0])
    X = fitted_ae.decode(Z[:7])
    assert X.dtype == np.float32 and X.shape == (7, 784) and X.min() >= 0 and X.max() <= 1
    assert clone(fitted_ae).get_params() == fitted_ae.get_params()
    # uint8 and the same pixels as floats in [0, 1] give the same codes
    np.testing.assert_allclose(fitted_ae.transform(tiny.astype(np.float32) / 255), Z, atol=1e-5)


def test_autoencoder_fixed_seed_gives_identical_codes(fitted_ae, tiny):
    again = AutoencoderFeatures(n_components=4, random_state=0, **AE_FAST).fit(tiny)
    np.testing.assert_array_equal(again.transform(tiny), fitted_ae.transform(tiny))
    other = AutoencoderFeatures(n_components=4, random_state=1, **AE_FAST).fit(tiny)
    assert not np.array_equal(other.transform(tiny), fitted_ae.transform(tiny))


def test_fit_leaves_torch_global_state_alone(tiny):
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    AutoencoderFeatures(n_components=2, random_state=5, n_threads=1, **AE_FAST).fit(tiny[:100])
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()


def test_conv_variant_and_denoising(tiny):
    ae = AutoencoderFeatures(n_components=3, arch="conv", hidden=(4, 8, 8), epochs=1, noise=0.2,
                             verbose=False, random_state=0).fit(tiny.reshape(-1, 28, 28))
    Z = ae.transform(tiny)
    assert Z.shape == (400, 3) and Z.dtype == np.float32
    assert ae.decode(Z[:2]).shape == (2, 784)
    with pytest.raises(pixelmeans.InputError, match="square"):
        AutoencoderFeatures(arch="conv", epochs=1, verbose=False).fit(tiny[:, :780])


def test_progress_bar_shows_the_loss(tiny, capsys):
    AutoencoderFeatures(n_components=2, random_state=0, **{**AE_FAST, "verbose": True}).fit(tiny[:100])
    err = capsys.readouterr().err
    assert "autoencoder" in err and "loss=" in err


def test_autoencoder_saved_and_reloaded_gives_identical_codes(fitted_ae, tiny, tmp_path):
    path = tmp_path / "ae.pmfeat"
    save_features(fitted_ae, path)
    ae = load_features(path)
    assert ae.get_params() == fitted_ae.get_params()
    Z = fitted_ae.transform(tiny)
    np.testing.assert_array_equal(ae.transform(tiny), Z)
    np.testing.assert_array_equal(ae.decode(Z[:5]), fitted_ae.decode(Z[:5]))
    assert ae.loss_curve_ == fitted_ae.loss_curve_


def test_ae_umap_saved_and_reloaded_gives_identical_codes(tiny, tmp_path):
    t = make_features("ae+umap:3", random_state=0, n_neighbors=10, ae_n_components=4, **AE_FAST)
    Z = t.fit_transform(tiny[:300])
    assert Z.shape == (300, 3) and Z.dtype == np.float32
    new = tiny[300:]
    before = t.transform(new)
    path = tmp_path / "aeumap.pmfeat"
    save_features(t, path)
    loaded = load_features(path)
    assert isinstance(loaded, AEUMAP) and isinstance(loaded.umap_, UMAPFeatures)
    np.testing.assert_array_equal(loaded.codes(new), t.codes(new))
    np.testing.assert_array_equal(loaded.transform(new), before)
    frozen = make_features(str(path))
    np.testing.assert_array_equal(frozen.fit_transform(new), before)


def test_pipeline_one_epoch_beats_pixels(mnist_small):
    """The issue's check: a few thousand images, one epoch, k-means; better than pixels.

    One epoch of 6000 images is 47 steps at the default batch of 128: the autoencoder
    then still reconstructs little more than the mean image and its codes are worse
    than pixels. Batches of 16 make the same single pass 375 Adam steps, enough to learn
    the coarse shapes; the rest of the recipe (augmentation, cosine schedule, UMAP) is
    the default one.
    """
    X, y = mnist_small
    X = X.reshape(len(X), -1)
    base = make_pipeline(make_features("pixels"), pixelmeans.KMeans(n_clusters=10, n_init=3, random_state=0))
    deep = make_pipeline(
        make_features("ae+umap", epochs=1, batch_size=16, random_state=0, verbose=False),
        pixelmeans.KMeans(n_clusters=10, n_init=3, random_state=0),
    )
    p_base, p_deep = base.fit_predict(X), deep.fit_predict(X)
    h_base, h_deep = hungarian_accuracy(p_base, y), hungarian_accuracy(p_deep, y)
    n_base, n_deep = nmi(p_base, y), nmi(p_deep, y)
    print(f"pixels: hungarian {h_base:.3f} nmi {n_base:.3f}; ae+umap 1 epoch: {h_deep:.3f} {n_deep:.3f}")
    assert n_deep > n_base + 0.05
    assert h_deep > h_base


def test_arrays_for_plots(fitted_ae, tiny):
    orig, recon = reconstructions(fitted_ae, tiny.reshape(-1, 28, 28), n=6, random_state=0)
    assert orig.shape == recon.shape == (6, 28, 28)
    assert orig.dtype == recon.dtype == np.float32 and orig.max() <= 1
    labels = np.arange(400) % 3
    cents = decoded_centroids(fitted_ae, tiny, labels, n_clusters=4)
    assert cents.shape == (4, 784) and np.isnan(cents[3]).all() and np.isfinite(cents[:3]).all()
    Z = fitted_ae.transform(tiny)
    for method in ("pca", "umap"):
        E = embedding_2d(Z, random_state=0, method=method)
        assert E.shape == (400, 2) and E.dtype == np.float32
    np.testing.assert_array_equal(embedding_2d(Z, method="umap", random_state=0), E)
    with pytest.raises(pixelmeans.InputError):
        reconstructions(UMAPFeatures(), tiny)


def test_augmentation_without_moves_is_the_identity(tiny):
    from pixelmeans.features.autoencoder import _augment

    xb = torch.from_numpy(tiny[:8].astype(np.float32) / 255)
    out = _augment(torch, xb, (28, 28), 0, 0.0, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, xb, atol=1e-5, rtol=0)
    moved = _augment(torch, xb, (28, 28), 3, 10.0, torch.Generator().manual_seed(0))
    assert moved.shape == xb.shape and not torch.allclose(moved, xb)


def test_augmentation_takes_the_shape_of_3d_input(tiny, tmp_path):
    imgs = np.ascontiguousarray(tiny.reshape(-1, 28, 28)[:100, :, :20])  # 28 x 20: not square
    ae = AutoencoderFeatures(n_components=2, shift=2, rotation=5.0, random_state=0, **AE_FAST).fit(imgs)
    assert ae.image_shape_ == (28, 20)
    save_features(ae, tmp_path / "ae.pmfeat")
    np.testing.assert_array_equal(load_features(tmp_path / "ae.pmfeat").transform(imgs), ae.transform(imgs))
    flat = imgs.reshape(100, -1)
    with pytest.raises(pixelmeans.InputError, match="square"):
        AutoencoderFeatures(**AE_FAST).fit(flat)  # augmentation needs the image shape
    assert AutoencoderFeatures(n_components=2, shift=0, rotation=0, **AE_FAST).fit_transform(flat).shape == (100, 2)


def test_autoencoder_of_hog_descriptors(tiny, tmp_path):
    from pixelmeans.features.hog import hog

    ae = make_features("hog+autoencoder:3", random_state=0, **AE_FAST).fit(tiny)
    assert ae[-1]._augmentation() == (0, 0.0)  # descriptors are not images to move
    Z = ae.transform(tiny.reshape(-1, 28, 28))
    assert Z.shape == (400, 3) and ae[-1].n_features_in_ == 1296
    # the same codes as an autoencoder handed the descriptors themselves
    plain = AutoencoderFeatures(n_components=3, random_state=0, shift=0, rotation=0, **AE_FAST).fit(hog(tiny))
    np.testing.assert_array_equal(plain.transform(hog(tiny)), Z)
    assert ae[-1].decode(Z[:2]).shape == (2, 1296)
    save_features(ae, tmp_path / "hog.pmfeat")
    np.testing.assert_array_equal(load_features(tmp_path / "hog.pmfeat").transform(tiny), Z)
    # no images come out of it, so nothing to draw (the run skips those figures)
    for draw in (lambda: reconstructions(ae, tiny), lambda: decoded_centroids(ae, tiny, np.zeros(400, int))):
        with pytest.raises(pixelmeans.InputError, match="hog descriptors"):
            draw()
    for bad in (dict(arch="conv", hidden=(4, 8, 8)), dict(shift=2), dict(ae_rotation=5.0)):
        with pytest.raises(pixelmeans.InputError, match="not images"):
            make_features("hog+ae+umap" if "ae_rotation" in bad else "hog+autoencoder", epochs=1, **bad)

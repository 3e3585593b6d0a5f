"""The contrastive encoder (clr, clr+umap): needs the [deep] extra."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

torch = pytest.importorskip("torch")
pytest.importorskip("umap")

import pixelmeans  # noqa: E402
from pixelmeans.evaluate import hungarian_accuracy, nmi  # noqa: E402
from pixelmeans.features import (  # noqa: E402
    AEUMAP, ContrastiveFeatures, decoded_centroids, load_features, make_features, save_features,
)
from pixelmeans.features.contrastive import _move, _nt_xent  # noqa: E402

FAST = dict(epochs=1, batch_size=64, hidden=(64, 32), n_components=16, projection_dim=8, verbose=False)
STILL = dict(scale=(1.0, 1.0), rotation=0.0, translate=0.0, flip=False, erase=0.0, dim=1.0)


@pytest.fixture(scope="module")
def fitted(tiny):
    return ContrastiveFeatures(random_state=0, **FAST).fit(tiny)


def test_features_are_unit_float32_rows(fitted, tiny):
    E = fitted.transform(tiny)
    assert E.dtype == np.float32 and E.shape == (400, 16)
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, rtol=1e-5)
    assert len(fitted.loss_curve_) == 1 and np.isfinite(fitted.loss_curve_[0])
    assert clone(fitted).get_params() == fitted.get_params()
    # uint8 pixels and the same pixels as floats in [0, 1], flat or as images: same features
    np.testing.assert_allclose(fitted.transform(tiny.astype(np.float32) / 255), E, atol=1e-5)
    np.testing.assert_array_equal(fitted.transform(tiny.reshape(-1, 28, 28)), E)


def test_fixed_seed_gives_identical_features(fitted, tiny):
    again = ContrastiveFeatures(random_state=0, **FAST).fit(tiny)
    np.testing.assert_array_equal(again.transform(tiny), fitted.transform(tiny))
    other = ContrastiveFeatures(random_state=1, **FAST).fit(tiny)
    assert not np.array_equal(other.transform(tiny), fitted.transform(tiny))


def test_training_lowers_the_loss(tiny):
    t = ContrastiveFeatures(random_state=0, **{**FAST, "epochs": 4}).fit(tiny)
    assert t.loss_curve_[-1] < t.loss_curve_[0]


def test_hog_input_and_saved_reload_give_identical_features(tiny, tmp_path):
    t = ContrastiveFeatures(hog=True, random_state=0, **FAST).fit(tiny)
    assert t.module_["encoder"][0].in_features == 1296  # descriptors, not 784 pixels
    path = tmp_path / "clr.pmfeat"
    save_features(t, path)
    loaded = load_features(path)
    assert isinstance(loaded, ContrastiveFeatures) and loaded.get_params() == t.get_params()
    np.testing.assert_array_equal(loaded.transform(tiny), t.transform(tiny))
    assert loaded.loss_curve_ == t.loss_curve_


def test_conv_encoder_reads_images_and_reloads_identically(tiny, tmp_path):
    t = ContrastiveFeatures(arch="conv", random_state=0, **FAST).fit(tiny)
    convs = [m for m in t.module_["encoder"] if type(m).__name__ == "Conv2d"]
    assert [c.in_channels for c in convs] == [1, 16]  # the images themselves, one channel
    E = t.transform(tiny)
    assert E.shape == (400, 16) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, rtol=1e-5)
    again = ContrastiveFeatures(arch="conv", random_state=0, **FAST).fit(tiny)
    np.testing.assert_array_equal(again.transform(tiny), E)
    mlp = ContrastiveFeatures(random_state=0, **FAST).fit(tiny)
    assert not np.allclose(mlp.transform(tiny), E)
    path = tmp_path / "conv.pmfeat"
    save_features(t, path)
    loaded = load_features(path)
    assert loaded.get_params()["arch"] == "conv"
    np.testing.assert_array_equal(loaded.transform(tiny), E)


def test_clr_umap_saved_and_reloaded_gives_identical_features(tiny, tmp_path):
    stage = {k: v for k, v in FAST.items() if k != "n_components"}  # n_components is UMAP's D here
    t = make_features("hog+clr+umap:3", random_state=0, n_neighbors=10, clr_n_components=16, **stage)
    assert isinstance(t, AEUMAP) and isinstance(t.autoencoder, ContrastiveFeatures)
    assert t.autoencoder.hog and "hog" not in t.umap.get_params() and t.autoencoder.n_components == 16
    Z = t.fit_transform(tiny[:300])
    assert Z.shape == (300, 3) and Z.dtype == np.float32
    new = tiny[300:]
    before = t.transform(new)
    path = tmp_path / "clrumap.pmfeat"
    save_features(t, path)
    loaded = load_features(path)
    np.testing.assert_array_equal(loaded.codes(new), t.codes(new))
    np.testing.assert_array_equal(loaded.transform(new), before)
    with pytest.raises(pixelmeans.InputError, match="no fitted autoencoder"):
        decoded_centroids(t, tiny[:300], np.zeros(300, np.int64), 1)  # a contrastive encoder draws nothing


def test_views_without_moves_are_the_images(tiny):
    img = torch.from_numpy(tiny[:20].reshape(20, 1, 28, 28).astype(np.float32) / 255)
    gen = torch.Generator().manual_seed(0)
    np.testing.assert_allclose(_move(torch, img, gen, **STILL).numpy(), img.numpy(), atol=1e-5)  # bilinear sampling rounds
    # mirroring only: every view is the image or its left-right mirror, and both occur
    out = _move(torch, img, gen, **{**STILL, "flip": True}).numpy()
    same = np.all(np.abs(out - img.numpy()) < 1e-5, axis=(1, 2, 3))
    mirrored = np.all(np.abs(out - img.numpy()[..., ::-1]) < 1e-5, axis=(1, 2, 3))
    assert np.all(same | mirrored) and same.any() and mirrored.any()


def test_gamma_views_are_powers_of_the_image(tiny):
    img = torch.from_numpy(tiny[:20].reshape(20, 1, 28, 28).astype(np.float32) / 255)
    out = _move(torch, img, torch.Generator().manual_seed(0), **{**STILL, "gamma": 2.0}).numpy()
    # the same draws without the power: the image after (identity) resampling
    x = _move(torch, img, torch.Generator().manual_seed(0), **STILL).numpy()
    # every pixel lies between the image squared and its square root; blank stays blank
    assert np.all(out >= x ** 2 - 1e-5) and np.all(out <= np.sqrt(x) + 1e-5)
    assert np.all(out[x == 0] == 0)
    # one power per view: log(out) / log(x) is the same over a view's grey pixels
    grey = (x > 0.05) & (x < 0.95)
    powers = [np.log(np.clip(o[g], 1e-12, None)) / np.log(v[g]) for o, v, g in zip(out, x, grey)]
    assert all(np.ptp(p) < 1e-3 for p in powers)
    assert len({round(float(np.median(p)), 3) for p in powers}) > 10  # and the powers differ


def test_views_stay_images_in_range(tiny):
    img = torch.from_numpy(tiny[:50].reshape(50, 1, 28, 28).astype(np.float32) / 255)
    moves = dict(scale=(0.8, 1.15), rotation=12.0, translate=0.2, flip=True, erase=1.0, dim=0.7)
    out = _move(torch, img, torch.Generator().manual_seed(0), **moves)
    assert out.shape == img.shape and float(out.min()) >= 0 and float(out.max()) <= 1
    assert not torch.allclose(out, img)
    # every view got a blank square (erase=1): ink turned to 0 somewhere
    assert int(((img > 0.5) & (out == 0)).sum()) > 0


def test_nt_xent_against_a_direct_sum():
    gen = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(6, 4, generator=gen), torch.randn(6, 4, generator=gen)
    z = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    tau, total = 0.3, 0.0
    for i in range(12):
        j = (i + 6) % 12
        others = sum(float(torch.exp(z[i] @ z[m] / tau)) for m in range(12) if m != i)
        total += -np.log(float(torch.exp(z[i] @ z[j] / tau)) / others)
    assert float(_nt_xent(torch, z1, z2, tau)) == pytest.approx(total / 12, rel=1e-5)
    # views that agree score far lower than views that do not
    assert float(_nt_xent(torch, z1, z1, 0.1)) < float(_nt_xent(torch, z1, z2, 0.1))


@pytest.mark.parametrize("kw, what", [
    (dict(temperature=0), "temperature"), (dict(scale=(1.2, 0.8)), "scale"),
    (dict(batch_size=1), "batch_size"), (dict(dim=1.5), "dim"), (dict(n_components=0), "n_components"),
    (dict(gamma=0.5), "gamma"), (dict(arch="resnet"), "arch"), (dict(arch="conv", hog=True), "hog"),
])
def test_bad_parameters(tiny, kw, what):
    with pytest.raises(pixelmeans.InputError, match=what):
        ContrastiveFeatures(**{**FAST, **kw}).fit(tiny[:100])


def test_pipeline_one_epoch_beats_pixels(mnist_small):
    """The issue's check for this recipe: 3000 images, one epoch, UMAP, k-means."""
    X, y = mnist_small
    X = X[:3000].reshape(3000, -1)
    y = y[:3000]
    base = make_pipeline(make_features("pixels"), pixelmeans.KMeans(n_clusters=10, n_init=3, random_state=0))
    deep = make_pipeline(make_features("hog+clr+umap", epochs=1, batch_size=128, random_state=0, verbose=False),
                         pixelmeans.KMeans(n_clusters=10, n_init=3, random_state=0))
    p_base, p_deep = base.fit_predict(X), deep.fit_predict(X)
    h_base, h_deep = hungarian_accuracy(p_base, y), hungarian_accuracy(p_deep, y)
    n_base, n_deep = nmi(p_base, y), nmi(p_deep, y)
    print(f"pixels: hungarian {h_base:.3f} nmi {n_base:.3f}; hog+clr+umap 1 epoch: {h_deep:.3f} {n_deep:.3f}")
    assert n_deep > n_base + 0.05
    assert h_deep > h_base

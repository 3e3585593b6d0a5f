import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import Pipeline

from pixelmeans.errors import InputError
from pixelmeans.features import AEUMAP, Deskew, PCAFeatures, PixelFeatures, make_features
from pixelmeans.features.deskew import deskew


def slanted_bar(h=28, w=28, slope=0.4, col=12):
    """A one-pixel-wide stroke x = col + slope * (y - h/2) on rows 4..h-5, uint8."""
    img = np.zeros((h, w), np.uint8)
    for y in range(4, h - 4):
        img[y, int(round(col + slope * (y - h / 2)))] = 255
    return img


def moments(img):
    a = img.astype(np.float64)
    ys, xs = np.mgrid[:a.shape[0], :a.shape[1]]
    m = a.sum()
    cy, cx = (a * ys).sum() / m, (a * xs).sum() / m
    cov = (a * (ys - cy) * (xs - cx)).sum() / m
    return cy, cx, cov


def test_a_slanted_stroke_stands_upright_in_the_centre():
    img = slanted_bar()
    assert abs(moments(img)[2]) > 5  # slanted to begin with
    out = deskew(img[None])[0]
    cy, cx, cov = moments(out)
    assert abs(cov) < 0.1 * abs(moments(img)[2])
    assert cy == pytest.approx(13.5, abs=0.3) and cx == pytest.approx(13.5, abs=0.3)
    # nearly all the ink sits in two columns
    col_ink = out.sum(axis=0).astype(float)
    assert np.sort(col_ink)[-2:].sum() > 0.9 * col_ink.sum()


def test_dtypes_and_shapes_are_kept(mnist_small):
    X = mnist_small[0][:50]
    a = deskew(X)
    assert a.dtype == np.uint8 and a.shape == X.shape
    b = deskew(X.reshape(50, -1))
    assert b.shape == (50, 784)
    assert_array_equal(a.reshape(50, -1), b)
    c = deskew(X.astype(np.float32) / 255)
    assert c.dtype == np.float32 and c.shape == X.shape
    # uint8 output is the float result rounded
    assert np.abs(c * 255 - a).max() <= 0.5 + 1e-3


def test_blank_images_are_left_alone_and_deskewing_twice_changes_little(mnist_small):
    X = mnist_small[0][:200].copy()
    X[7] = 0
    once = deskew(X)
    assert_array_equal(once[7], 0)
    twice = deskew(once)
    changed = np.abs(twice.astype(int) - once.astype(int)).mean()
    moved = np.abs(once.astype(int) - X.astype(int)).mean()
    assert changed < 0.35 * moved


def test_nearest_neighbours_agree_on_more_digits_after_deskewing(mnist_small):
    # what deskewing is for: 1-NN label agreement among 2000 real test digits rises
    X, y = mnist_small[0][:2000], mnist_small[1][:2000]

    def one_nn_accuracy(A):
        A = A.reshape(len(A), -1).astype(np.float32)
        sq = (A * A).sum(1)
        d = sq[:, None] + sq[None, :] - 2 * A @ A.T
        np.fill_diagonal(d, np.inf)
        return float((y[d.argmin(1)] == y).mean())

    raw, desk = one_nn_accuracy(X), one_nn_accuracy(deskew(X))
    assert desk > raw + 0.01, (raw, desk)


def test_non_square_flat_images_need_their_shape():
    X = np.zeros((3, 6), np.uint8)
    X[:, 2] = 200
    with pytest.raises(InputError, match="not a square image"):
        deskew(X)
    assert deskew(X, image_shape=(2, 3)).shape == (3, 6)
    with pytest.raises(InputError, match="does not fit"):
        deskew(X, image_shape=(4, 3))
    with pytest.raises(InputError, match="uint8 or float"):
        deskew(X.astype(np.int32))


def test_deskew_prefix_on_specs(tiny):
    t = make_features("deskew+pixels")
    assert isinstance(t, Pipeline) and [type(s) for _, s in t.steps] == [Deskew, PixelFeatures]
    assert_allclose(t.fit_transform(tiny), deskew(tiny).astype(np.float32) / 255, atol=1e-7)
    p = make_features("deskew+pca:5")
    assert type(p[-1]) is PCAFeatures and p[-1].n_components == 5
    assert_allclose(p.fit(tiny).transform(tiny),
                    PCAFeatures(5).fit(deskew(tiny)).transform(deskew(tiny)), atol=1e-5)
    ae = make_features("deskew+ae+umap")
    assert type(ae[0]) is Deskew and type(ae[-1]) is AEUMAP  # UMAP reads codes, not pixels
    # deskewed images are already centred and upright: the autoencoder does not move them
    assert ae[-1].autoencoder._augmentation() == (0, 0.0)
    assert make_features("deskew+autoencoder", shift=2)[-1]._augmentation() == (2, 0.0)
    for bad in ("deskew+", "deskew+foo", "deskew+deskew+pixels"):
        with pytest.raises(InputError, match="unknown"):
            make_features(bad)
    with pytest.raises(InputError, match="contradicts"):
        make_features("deskew+pixels", deskew=False)


def test_a_saved_deskewing_embedding_deskews_when_reloaded(tmp_path, tiny):
    from pixelmeans.features import load_features, save_features

    t = make_features("deskew+pca:5").fit(tiny)
    save_features(t, tmp_path / "d.pmfeat")
    u = load_features(tmp_path / "d.pmfeat")
    assert isinstance(u, Pipeline) and type(u[0]) is Deskew
    assert_array_equal(u.transform(tiny), t.transform(tiny))


def test_autoencoder_augments_raw_images_but_not_deskewed_ones():
    from pixelmeans.features import AutoencoderFeatures

    assert AutoencoderFeatures()._augmentation() == (3, 10.0)
    assert AutoencoderFeatures(rotation=0)._augmentation() == (3, 0.0)


@pytest.mark.parametrize("shape", ["flat", "images"])
def test_autoencoder_fit_transform_is_fit_then_transform(tiny, shape):
    # fit_transform deskews the pixels once for both steps: same codes.
    pytest.importorskip("torch")
    from sklearn.base import clone

    from pixelmeans.features import AutoencoderFeatures

    X = tiny if shape == "flat" else tiny.reshape(-1, 28, 28)
    ae = make_features("deskew+autoencoder:4", hidden=(32,), epochs=1, random_state=0, verbose=False)
    codes = clone(ae).fit_transform(X)
    assert_array_equal(codes, clone(ae).fit(X).transform(X))
    assert codes.shape == (len(X), 4) and codes.dtype == np.float32

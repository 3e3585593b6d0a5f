import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pixelmeans.errors import InputError
from pixelmeans.features import AEUMAP, HOG, Deskew, PCAFeatures, PixelFeatures, make_features
from pixelmeans.features.hog import hog, hog_size


def reference_hog(images, cell=4, bins=9, block=2, clip=0.2):
    """The descriptor written out plainly in float64 numpy, to check the kernel against."""
    imgs = images.astype(np.float64) / 255.0
    n, h, w = imgs.shape
    gx, gy = np.zeros_like(imgs), np.zeros_like(imgs)
    gx[:, :, 1:-1] = imgs[:, :, 2:] - imgs[:, :, :-2]
    gy[:, 1:-1, :] = imgs[:, 2:, :] - imgs[:, :-2, :]
    mag = np.hypot(gx, gy)
    pos = np.mod(np.arctan2(gy, gx), np.pi) / np.pi * bins
    lo = np.floor(pos)
    frac = pos - lo
    lo = lo.astype(int) % bins
    nh, nw = h // cell, w // cell
    cells = np.zeros((n, nh, nw, bins))
    for y in range(nh * cell):
        for x in range(nw * cell):
            for i in range(n):
                cells[i, y // cell, x // cell, lo[i, y, x]] += mag[i, y, x] * (1 - frac[i, y, x])
                cells[i, y // cell, x // cell, (lo[i, y, x] + 1) % bins] += mag[i, y, x] * frac[i, y, x]
    parts = []
    for by in range(nh - block + 1):
        for bx in range(nw - block + 1):
            v = cells[:, by:by + block, bx:bx + block].reshape(n, -1)
            v = v / np.sqrt((v * v).sum(1, keepdims=True) + 1e-6)
            parts.append(np.minimum(v, clip) / clip)
    return np.concatenate(parts, axis=1)


def test_matches_a_plain_reference(mnist_small):
    X = mnist_small[0][:20]
    assert_allclose(hog(X), reference_hog(X), atol=1e-5)
    # a non-square size whose sides are not multiples of the cell
    rng = np.random.default_rng(0)
    odd = rng.integers(0, 256, (3, 18, 23), dtype=np.uint8)
    out = hog(odd.reshape(3, -1), image_shape=(18, 23))
    assert out.shape == (3, hog_size((18, 23))) == (3, 3 * 4 * 36)
    assert_allclose(out, reference_hog(odd), atol=1e-5)


def test_shape_dtype_range_and_layouts(mnist_small):
    X = mnist_small[0][:50]
    out = hog(X)
    assert out.dtype == np.float32 and out.shape == (50, 1296)
    assert out.min() >= 0 and out.max() <= 1 and out.max() == 1  # clipped entries reach 1
    assert_array_equal(hog(X.reshape(50, -1)), out)
    assert_allclose(hog(X.astype(np.float32) / 255), out, atol=1e-6)
    assert_array_equal(hog(np.zeros((2, 28, 28), np.uint8)), 0)  # blank images have no edges


def test_edge_directions_land_in_their_bins():
    img = np.zeros((1, 28, 28), np.uint8)
    img[0, :, 14:] = 255  # a vertical edge: the gradient points along x, direction 0
    cells = hog(img, block=1, clip=1.0).reshape(7, 7, 9)
    assert cells[:, 3, 0].min() > 0.99 and cells[:, 3, 1:].max() < 1e-6
    assert_array_equal(np.delete(cells, 3, axis=1), 0)
    # a horizontal edge: 90 degrees, halfway between bins 4 and 5
    cells = hog(img.transpose(0, 2, 1), block=1, clip=1.0).reshape(7, 7, 9)
    assert_allclose(cells[3, :, 4], cells[3, :, 5], rtol=1e-6)
    assert cells[3, :, 4].min() > 0.7


def test_contrast_does_not_matter(mnist_small):
    X = mnist_small[0][:20].astype(np.float32) / 255
    assert_allclose(hog(0.5 * X), hog(X), atol=2e-3)


def test_edges_make_better_neighbours_than_pixels(mnist_small):
    """Why hog exists: on MNIST its nearest neighbours share the label more often."""
    X, y = mnist_small

    def agreement(Z):
        sq = (Z * Z).sum(1)
        d = sq[:, None] - 2 * Z @ Z.T + sq[None]
        np.fill_diagonal(d, np.inf)
        return (y[np.argmin(d, axis=1)] == y).mean()

    pixels = agreement(X.reshape(len(X), -1).astype(np.float32) / 255)
    edges = agreement(hog(X))
    print(f"1-NN label agreement, {len(X)} images: pixels {pixels:.4f}, hog {edges:.4f}")
    assert edges > pixels + 0.01


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 28, 28), np.int32), "dtype"),
    (np.zeros((2, 5, 5), np.uint8), "too small"),
    (np.zeros((2, 30), np.uint8), "not a square"),
    (np.zeros(7, np.uint8), "shape"),
])
def test_bad_input(bad, match):
    with pytest.raises(InputError, match=match):
        hog(bad)


def test_spec_prefixes(tiny):
    t = make_features("deskew+hog+ae+umap", epochs=1)
    assert [type(s) for _, s in t.steps] == [Deskew, HOG, AEUMAP]  # the UMAP stage reads codes
    p = make_features("hog+pca:5")
    assert [type(s) for _, s in p.steps] == [HOG, PCAFeatures] and p[-1].n_components == 5
    assert p.fit_transform(tiny).shape == (400, 5)
    f = make_features("hog+pixels")
    assert [type(s) for _, s in f.steps] == [HOG, PixelFeatures] and f.fit(tiny)[-1].n_features_in_ == 1296
    assert_array_equal(f.transform(tiny), hog(tiny))
    for bad in ("hog+deskew+pixels", "hog+hog+pixels", "hog+", "hog+foo"):
        with pytest.raises(InputError):
            make_features(bad)
    with pytest.raises(InputError, match="contradicts"):
        make_features("hog+pixels", hog=False)

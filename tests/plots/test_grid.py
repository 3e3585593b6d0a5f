import numpy as np
import pytest

from pixelmeans.errors import InputError
from pixelmeans.plots import centroid_grid, figure_png_bytes, grid_columns, image_png
from pixelmeans.plots.layout import BLANK, GUTTER, Grid
from pixelmeans.plots.scale import unit_range

from plot_helpers import blobs, open_image


@pytest.mark.parametrize("n, cols", [(1, 1), (2, 2), (3, 3), (5, 5), (6, 6), (7, 4), (10, 5),
                                     (12, 6), (30, 10), (256, 16)])
def test_grid_columns(n, cols):
    assert grid_columns(n) == cols


def test_grid_columns_rejects_zero():
    with pytest.raises(ValueError):
        grid_columns(0)


@pytest.mark.parametrize("k", [1, 10, 256])
def test_centroid_grid_renders_any_k(k):
    caps = [f"{i % 10} · 0.83 · n=6123" for i in range(k)]
    fig = centroid_grid(blobs(k), caps, title=f"k={k}")
    png = figure_png_bytes(fig, dpi=60)
    im = open_image(png)
    assert im.format == "PNG"
    w_in, h_in = fig.get_size_inches()
    assert abs(im.size[0] - w_in * 60) <= 1 and abs(im.size[1] - h_in * 60) <= 1
    # one image for all tiles, one caption per tile (+ the title)
    assert len(fig.axes) == 1 and len(fig.axes[0].images) == 1
    assert len(fig.axes[0].texts) == k
    assert 1 <= w_in <= 12


def test_centroid_grid_blank_tile_for_dropped_centroid():
    imgs = blobs(10)
    imgs[3] = np.nan
    fig = centroid_grid(imgs)
    mosaic = fig.axes[0].images[0].get_array()
    grid = Grid.for_tiles(10, 28, 28, ncols=5, gap=(mosaic.shape[1] - 5 * 28) // 6)
    r, c = grid.origin(3)
    assert (np.asarray(mosaic[r:r + 28, c:c + 28]) == BLANK).all()
    r, c = grid.origin(2)
    assert (np.asarray(mosaic[r:r + 28, c:c + 28]) != BLANK).any()


def test_centroid_grid_uses_one_grey_scale_for_all_tiles():
    imgs = np.stack([np.full((4, 4), 0.0), np.full((4, 4), 5.0), np.full((4, 4), 10.0)])
    mosaic = np.asarray(centroid_grid(imgs).axes[0].images[0].get_array())
    values = sorted(set(np.unique(mosaic).tolist()) - {GUTTER})
    assert values == [0, 128]  # 0 → black, 5 → middle grey, 10 → white (= gutter colour)


def test_centroid_grid_checks_input():
    with pytest.raises(InputError, match="captions"):
        centroid_grid(blobs(3), ["a", "b"])
    with pytest.raises(InputError, match=r"\(k, h, w\)"):
        centroid_grid(np.zeros((2, 3, 4, 5)))


def test_long_captions_wrap_at_separators():
    fig = centroid_grid(blobs(16), ["T-shirt/top · 0.83 · n=61234"] * 16, ncols=16)
    assert "\n" in fig.axes[0].texts[0].get_text()


def test_unit_range():
    a = np.array([[2.0, 4.0], [np.nan, 6.0]])
    u = unit_range(a)
    assert u.dtype == np.float32
    np.testing.assert_allclose(u[0], [0.0, 0.5])
    assert np.isnan(u[1, 0]) and u[1, 1] == 1.0
    np.testing.assert_array_equal(unit_range(np.full((2, 2), 3.0)), np.zeros((2, 2)))
    np.testing.assert_allclose(unit_range(np.array([-1.0, 0.5, 2.0]), 0, 1), [0.0, 0.5, 1.0])
    with pytest.raises(InputError):
        unit_range(a, 1.0, 0.0)


@pytest.mark.parametrize("scale", [1, 4])
def test_image_png(scale):
    img = blobs(1)[0]
    im = open_image(image_png(img, scale=scale))
    assert im.format == "PNG" and im.mode == "L" and im.size == (28 * scale, 28 * scale)
    a = np.asarray(im)
    assert a.min() == 0 and a.max() == 255
    # nearest-neighbour enlargement: each pixel is a constant block
    if scale > 1:
        assert (a[::scale, ::scale].repeat(scale, 0).repeat(scale, 1) == a).all()


def test_image_png_fixed_scale_and_bad_input():
    a = np.asarray(open_image(image_png(np.full((2, 2), 0.5), scale=1, vmin=0, vmax=1)))
    assert (a == 128).all()
    with pytest.raises(InputError):
        image_png(np.zeros((2, 2, 2)))
    with pytest.raises(InputError):
        image_png(np.zeros((2, 2)), scale=0)

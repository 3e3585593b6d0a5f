import numpy as np
import pytest

from pixelmeans.errors import InputError
from pixelmeans.plots import figure_png_bytes, members_figure
from pixelmeans.plots.layout import BLANK

from plot_helpers import blobs, open_image


def test_members_with_arrays_and_short_rows():
    k = 4
    cents = blobs(k)
    near = np.stack([blobs(8, seed=i) for i in range(k)])
    far = [blobs(8), blobs(3), np.zeros((0, 28, 28)), blobs(1)]  # small clusters
    fig = members_figure(cents, near, far, [f"cluster {i}" for i in range(k)], title="members")
    mosaic = np.asarray(fig.axes[0].images[0].get_array())
    # row 2 has no farthest members: its last 8 tiles are blank; row 0 has none blank
    header = round(28 * 0.55)
    row = lambda i: mosaic[header + i * 30: header + i * 30 + 28]  # gap = 28 // 14 = 2
    assert (row(2)[:, -30:-2] == BLANK).all()  # last tile, before the 2-pixel border
    assert (row(0)[:, -30:-2] != BLANK).any()
    texts = [t.get_text() for t in fig.texts]
    assert "cluster 3" in texts and "members" in texts
    im = open_image(figure_png_bytes(fig, dpi=60))
    assert im.size[0] > im.size[1]


def test_members_cut_to_per_row_and_check_shapes():
    fig = members_figure(blobs(2), [blobs(12)] * 2, [blobs(12)] * 2, per_row=4)
    assert fig.axes[0].images[0].get_array().shape[1] < 28 * 12
    with pytest.raises(InputError, match="nearest"):
        members_figure(blobs(2), [blobs(8)], [blobs(8)] * 2)
    with pytest.raises(InputError, match="farthest"):
        members_figure(blobs(2), [blobs(8)] * 2, [blobs(8, 27, 28)] * 2)
    with pytest.raises(InputError, match="captions"):
        members_figure(blobs(2), [blobs(8)] * 2, [blobs(8)] * 2, ["a"])


def test_many_centroids_are_cut_to_max_rows_and_say_so():
    k = 70
    fig = members_figure(blobs(k), [blobs(2)] * k, [blobs(2)] * k, [f"c{i}" for i in range(k)])
    texts = [t.get_text() for t in fig.texts]
    assert "c63" in texts and "c64" not in texts
    assert any("6 more centroids, not shown" in t for t in texts)
    everything = members_figure(blobs(k), [blobs(2)] * k, [blobs(2)] * k, max_rows=None)
    assert everything.get_size_inches()[1] > fig.get_size_inches()[1]

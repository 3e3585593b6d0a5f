import numpy as np
import pytest

from pixelmeans.errors import InputError
from pixelmeans.plots import confusion_figure, figure_png_bytes

from plot_helpers import open_image


def matrix(k, c=10, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.integers(0, 50, (k, c))
    m[np.arange(k), np.arange(k) % c] += 3000
    return m


def test_small_matrix_is_annotated_with_counts_and_row_shares():
    m = matrix(10)
    m[2] = 0  # an empty cluster stays white, no division by zero
    fig = confusion_figure(m, [f"#{i}" for i in range(10)], list("abcdefghij"))
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert str(m[0, 0]) in texts and str(m[9, 9]) in texts
    assert len(ax.texts) == np.count_nonzero(m)
    colour = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(colour[[0, 1, 3]].sum(axis=1), 1.0)
    assert (colour[2] == 0).all()
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["#0", "#1"]
    assert open_image(figure_png_bytes(fig, dpi=50)).format == "PNG"


def test_counts_colour_when_not_normalised():
    m = matrix(4, 4)
    fig = confusion_figure(m, normalise_rows=False)
    assert np.asarray(fig.axes[0].images[0].get_array()).max() == m.max()


def test_large_matrix_has_no_annotations_and_fewer_ticks():
    fig = confusion_figure(matrix(120))
    ax = fig.axes[0]
    assert len(ax.texts) == 0
    assert len(ax.get_yticks()) <= 40
    w, h = fig.get_size_inches()
    assert w <= 14 and h <= 22
    open_image(figure_png_bytes(fig, dpi=40))


def test_confusion_checks_labels():
    with pytest.raises(InputError):
        confusion_figure(matrix(3), ["a", "b"], None)
    with pytest.raises(InputError):
        confusion_figure(np.zeros(5))

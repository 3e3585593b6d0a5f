import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from plot_helpers import open_image

from pixelmeans.errors import InputError
from pixelmeans.plots import figure_png_bytes, silhouette_figure


def _values(k=4, n=400, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    return np.clip(rng.normal(0.3, 0.2, n), -1, 1), labels


def test_one_band_per_cluster_named_by_caption_and_a_mean_line():
    values, labels = _values()
    captions = ["3 · 0.91", "1 · 0.80", "7 · 0.65", "0 · 0.99"]
    fig = silhouette_figure(values, labels, captions)
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 4
    assert [t.get_text() for t in ax.get_yticklabels()] == captions
    # each band spans as many points as its cluster has, and reaches its largest value
    for j, band in enumerate(bands):
        (verts,) = [p.vertices for p in band.get_paths()]
        assert verts[:, 0].max() == pytest.approx(values[labels == j].max())
    mean = values.mean()
    assert any(np.allclose(line.get_xdata(), mean) and line.get_linestyle() == "--"
               for line in ax.get_lines())
    assert any(t.get_text() == f"mean {mean:.3f}" for t in ax.texts)
    image = open_image(figure_png_bytes(fig))
    assert image.format == "PNG" and image.size[0] > 500


def test_default_names_and_an_empty_cluster_keeps_its_name():
    values, labels = _values(k=3)
    labels[labels == 1] = 2  # nothing left in cluster 1
    ax = silhouette_figure(values, labels, captions=["a", "b", "c"]).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    ax = silhouette_figure(values, labels).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]


def test_many_clusters_render_with_thinned_names():
    values, labels = _values(k=200, n=3000)
    fig = silhouette_figure(values, labels)
    assert len(fig.axes[0].get_yticklabels()) == 40
    open_image(figure_png_bytes(fig))


@pytest.mark.parametrize("values, labels, captions, match", [
    (np.zeros(5), np.zeros(4, int), None, r"values \(n,\)"),
    (np.zeros(0), np.zeros(0, int), None, r"values \(n,\)"),
    (np.zeros(4), np.array([0, 1, -1, 0]), None, "non-negative"),
    (np.zeros(4), np.array([0.0, 1, 1, 0]), None, "non-negative ints"),
    (np.array([0.1, 1.5, 0.2, 0.0]), np.array([0, 1, 1, 0]), None, r"\[-1, 1\]"),
    (np.array([0.1, np.nan, 0.2, 0.0]), np.array([0, 1, 1, 0]), None, "finite"),
    (np.zeros(4), np.array([0, 1, 2, 0]), ["a", "b"], "2 captions"),
])
def test_bad_input_is_one_input_error(values, labels, captions, match):
    with pytest.raises(InputError, match=match):
        silhouette_figure(values, labels, captions)

import numpy as np
import pytest
from plot_helpers import open_image
from sklearn.metrics import euclidean_distances

from pixelmeans.errors import InputError
from pixelmeans.plots import figure_png_bytes, intercluster_distance_figure
from pixelmeans.plots.intercluster import centre_layout


def _centres(k=6, d=50, seed=0):
    return np.random.default_rng(seed).normal(size=(k, d))


def _circles(fig):
    return fig.axes[0].collections[0]


def test_circle_area_follows_size_and_captions_sit_at_the_centres():
    centers = _centres()
    sizes = np.array([100, 400, 50, 200, 25, 300])
    captions = [f"c{i}" for i in range(6)]
    fig = intercluster_distance_figure(centers, sizes, captions)
    circles = _circles(fig)
    areas = circles.get_sizes()
    offsets = circles.get_offsets()
    # drawn largest first, so each area is the cluster's size times the same factor
    order = np.argsort(-sizes, kind="stable")
    np.testing.assert_allclose(areas / sizes[order], areas[0] / sizes.max())
    texts = {t.get_text(): t.get_position() for t in fig.axes[0].texts}
    for rank, i in enumerate(order):
        assert texts[captions[i]] == pytest.approx(tuple(offsets[rank]))
    image = open_image(figure_png_bytes(fig))
    assert image.format == "PNG"


def test_mds_keeps_the_centroid_distances_better_than_pca():
    # Points on a 3-D ring, tilted: PCA flattens it, MDS keeps the distances.
    rng = np.random.default_rng(1)
    t = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = np.c_[np.cos(t), np.sin(t), np.cos(3 * t)] @ np.linalg.qr(rng.normal(size=(3, 3)))[0]
    true = euclidean_distances(ring)

    def error(xy):
        return np.abs(euclidean_distances(xy) - true).mean()

    mds = centre_layout(ring, method="mds", random_state=0)
    pca = centre_layout(ring, method="pca")
    assert mds.shape == pca.shape == (12, 2)
    assert error(mds) < error(pca)
    np.testing.assert_array_equal(mds, centre_layout(ring, method="mds", random_state=0))


def test_one_cluster_an_empty_cluster_and_pca():
    fig = intercluster_distance_figure(_centres(k=1), [10])
    assert _circles(fig).get_offsets().shape == (1, 2)
    fig = intercluster_distance_figure(_centres(k=3, d=1), [5, 0, 7], method="pca")
    assert fig.axes[0].get_xlabel() == "PC 1"
    assert len(_circles(fig).get_sizes()) == 2  # the empty cluster is a cross, not a circle
    open_image(figure_png_bytes(fig))


def test_many_clusters_render_without_captions():
    fig = intercluster_distance_figure(_centres(k=100, d=20), np.arange(1, 101))
    assert not fig.axes[0].texts
    open_image(figure_png_bytes(fig))


@pytest.mark.parametrize("centers, sizes, kwargs, match", [
    (np.zeros((3, 2)), [1, 2], {}, r"sizes \(k,\)"),
    (np.zeros(3), [1, 2, 3], {}, r"centers \(k, d\)"),
    (np.zeros((0, 2)), [], {}, r"k >= 1"),
    (np.full((2, 2), np.inf), [1, 2], {}, "NaN or infinite"),
    (np.zeros((2, 2)), [1, -2], {}, "non-negative"),
    (np.zeros((2, 2)), [1, 2], {"captions": ["a"]}, "1 captions"),
    (np.zeros((2, 2)), [1, 2], {"method": "tsne"}, "'mds' or 'pca'"),
])
def test_bad_input_is_one_input_error(centers, sizes, kwargs, match):
    with pytest.raises(InputError, match=match):
        intercluster_distance_figure(centers, sizes, **kwargs)

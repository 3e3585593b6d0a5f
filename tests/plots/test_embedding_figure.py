import numpy as np
import pytest

from pixelmeans.errors import InputError
from pixelmeans.plots import embedding_figure, figure_png_bytes


def test_two_panels_with_labels_one_without():
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(500, 2))
    clusters = rng.integers(0, 10, 500)
    fig = embedding_figure(xy, clusters, clusters[::-1], label_names=list("abcdefghij"))
    assert len(fig.axes) == 2
    assert figure_png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(embedding_figure(xy, clusters).axes) == 1


def test_shape_mismatch_is_an_error():
    with pytest.raises(InputError, match=r"\(n, 2\)"):
        embedding_figure(np.zeros((5, 3)), np.zeros(5, int))


@pytest.fixture(scope="module")
def mnist_pixels():
    from pixelmeans import load_dataset

    data = load_dataset("mnist", split="test", download=False)
    return data.images[:1000].reshape(1000, -1).astype(np.float32) / 255, data.labels[:1000]


def test_pixel_runs_get_a_map_from_embedding_2d(mnist_pixels):
    from sklearn.decomposition import PCA

    from pixelmeans.features import embedding_2d

    X, labels = mnist_pixels
    xy = embedding_2d(X, random_state=0, method="pca")
    assert xy.shape == (1000, 2) and xy.dtype == np.float32
    np.testing.assert_allclose(xy, PCA(n_components=2, random_state=0).fit_transform(X), atol=1e-4)
    # clusters: the nearest class mean, a stand-in for k-means' labels
    means = np.stack([X[labels == c].mean(axis=0) for c in range(10)])
    clusters = ((X[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
    fig = embedding_figure(xy, clusters, labels, label_names=[str(c) for c in range(10)])
    assert [ax.get_title() for ax in fig.axes] == ["coloured by cluster", "coloured by true label"]
    assert figure_png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("n", [0, 1])
def test_embedding_2d_of_fewer_than_two_rows_is_an_input_error(n):
    from pixelmeans.features import embedding_2d

    with pytest.raises(InputError, match="at least 2 rows"):
        embedding_2d(np.ones((n, 784), np.float32), method="pca")

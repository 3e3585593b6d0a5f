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

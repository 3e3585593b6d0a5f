import numpy as np
import pytest

from pixelmeans.errors import InputError
from pixelmeans.plots import (accuracy_vs_k_figure, elbow_figure, figure_png_bytes, knee_point,
                              line_figure)

from plot_helpers import open_image

KS = [2, 4, 8, 16, 32, 64, 128, 256]


def test_elbow_with_restarts_knee_and_fit_time():
    rng = np.random.default_rng(0)
    best = 1e6 / np.array(KS) + 2e5
    inertia = best[:, None] * (1 + 0.02 * rng.random((len(KS), 5)))
    knee = knee_point(KS, inertia.min(axis=1))
    fig = elbow_figure(KS, inertia, fit_time=np.array(KS) * 0.1, knee=knee)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"  # k spans a factor of 128
    assert len(fig.axes) == 2  # fit time on a twin axis
    assert any(f"k = {knee}" in t.get_text() for t in ax.texts)
    assert open_image(figure_png_bytes(fig, dpi=50)).format == "PNG"


def test_elbow_plain():
    fig = elbow_figure([5, 7, 10, 12], [3e6, 2.8e6, 2.5e6, 2.4e6])
    assert fig.axes[0].get_xscale() == "linear" and len(fig.axes) == 1
    with pytest.raises(InputError):
        elbow_figure([5, 7], [1.0])


def test_accuracy_vs_k():
    fig = accuracy_vs_k_figure([5, 7, 10, 12], [0.452, 0.508, 0.591, 0.624],
                               [0.453, 0.512, 0.595, 0.632])
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_ylim()[1] == 1.0
    assert "0.591" in {t.get_text() for t in ax.texts}
    open_image(figure_png_bytes(fig, dpi=50))
    assert len(accuracy_vs_k_figure([5, 7], [0.4, 0.5]).axes[0].lines) == 1


def test_line_figure_series_errors_and_gaps():
    fig = line_figure(KS, {"silhouette": np.linspace(0.1, 0.05, len(KS)),
                           "other": [np.nan] + [0.2] * 7},
                      errors={"silhouette": np.full(len(KS), 0.01)}, ylabel="silhouette",
                      mark=16, title="t")
    ax = fig.axes[0]
    assert len(ax.collections) == 1  # the error band
    assert ax.get_legend() is not None
    open_image(figure_png_bytes(fig, dpi=50))
    single = line_figure([1, 2, 3], [0.5, 0.6, 0.7], ylabel="ARI", logx=False)
    assert single.axes[0].get_legend() is None


def test_degenerate_sweeps_render_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fig in (line_figure([5, 7, 10], {"ARI": [np.nan] * 3}),   # one restart: no stability
                    line_figure([10], [0.06]),
                    elbow_figure([10], [2.3e6], fit_time=[3.0]),
                    accuracy_vs_k_figure([5, 7], [np.nan, None], None)):
            figure_png_bytes(fig, dpi=30)

import subprocess
import sys

from matplotlib.figure import Figure

from pixelmeans.plots import DEFAULT_DPI, figure_png_bytes, save_figure, save_png

from plot_helpers import open_image


def small_figure():
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    return fig


def test_save_figure_writes_the_png_it_returns(tmp_path):
    path = tmp_path / "f.png"
    data = save_figure(small_figure(), path)
    assert path.read_bytes() == data
    assert open_image(data).size == (2 * DEFAULT_DPI, DEFAULT_DPI)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]


def test_png_bytes_are_reproducible_and_carry_no_version():
    a, b = figure_png_bytes(small_figure()), figure_png_bytes(small_figure())
    assert a == b and b"Matplotlib" not in a


def test_save_png_from_array(tmp_path):
    import numpy as np

    data = save_png(np.zeros((3, 5), np.uint8), tmp_path / "a.png")
    assert open_image(data).size == (5, 3)


def test_plots_never_touch_pyplot():
    code = ("import sys, numpy as np; import pixelmeans.plots as p;"
            "p.figure_png_bytes(p.centroid_grid(np.zeros((2, 4, 4))));"
            "p.figure_png_bytes(p.elbow_figure([1, 2, 3], [3, 2, 1]));"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

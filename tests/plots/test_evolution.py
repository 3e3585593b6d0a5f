import numpy as np
import pytest

from pixelmeans.errors import InputError
from pixelmeans.plots import (evolution_frames, frame_indices, frame_png_bytes, gif_bytes,
                              save_frames, write_gif)
from pixelmeans.plots.layout import BLANK, Grid

from plot_helpers import blobs, open_image


def history(k=10, steps=6, drop_at=None, drop=4):
    """Centroids per step (k_t, 784) and their ids; centroid ``drop`` vanishes at ``drop_at``."""
    base = blobs(k).reshape(k, -1)
    frames, ids = [], []
    for t in range(steps):
        rows = np.arange(k)
        if drop_at is not None and t >= drop_at:
            rows = np.delete(rows, drop)
        frames.append(base[rows] * (1 - t / (2 * steps)))
        ids.append(rows)
    return frames, ids


def test_frames_count_size_and_mode():
    frames, _ = history(steps=7)
    out = evolution_frames(frames, shape=(28, 28), scale=3)
    assert len(out) == 7
    assert {im.size for im in out} == {out[0].size}
    assert all(im.mode == "L" for im in out)
    grid = Grid.for_tiles(10, 84, 84, gap=3, top=out[0].size[1] - Grid.for_tiles(10, 84, 84, gap=3).height)
    assert out[0].size == (grid.width, grid.height)
    assert out[0].size[0] == 5 * 84 + 6 * 3  # same 5 columns as the centroid grid


def test_dropped_centroid_is_a_blank_tile_with_a_cross():
    frames, ids = history(steps=4, drop_at=2, drop=4)
    out = evolution_frames(frames, ids, shape=(28, 28), scale=2)
    a0, a3 = np.asarray(out[0]), np.asarray(out[3])
    header = a0.shape[0] - Grid.for_tiles(10, 56, 56, gap=2).height
    grid = Grid.for_tiles(10, 56, 56, gap=2, top=header)
    r, c = grid.origin(4)
    tile0, tile3 = a0[r:r + 56, c:c + 56], a3[r:r + 56, c:c + 56]
    assert (tile0 != BLANK).mean() > 0.9
    assert (tile3 == BLANK).mean() > 0.9 and tile3[28, 28] != BLANK  # blank, crossed
    # the other tiles keep their place
    r, c = grid.origin(5)
    assert (a3[r:r + 56, c:c + 56] != BLANK).mean() > 0.9


def test_step_numbers_differ_between_frames():
    frames = [np.zeros((2, 16))] * 3
    out = evolution_frames(frames, shape=(4, 4), steps=[0, 5, 40])
    assert not np.array_equal(np.asarray(out[1]), np.asarray(out[2]))


def test_frames_check_input():
    frames, ids = history(steps=3)
    with pytest.raises(InputError, match="shape"):
        evolution_frames(frames, shape=(27, 28))
    with pytest.raises(InputError, match="id arrays"):
        evolution_frames(frames, ids[:2], shape=(28, 28))
    with pytest.raises(InputError, match="ids"):
        evolution_frames(frames, [i[:-1] for i in ids], shape=(28, 28))
    with pytest.raises(InputError):
        evolution_frames([], shape=(28, 28))


def test_gif_has_every_frame_and_durations(tmp_path):
    frames, ids = history(steps=9, drop_at=5)
    out = evolution_frames(frames, ids, shape=(28, 28))
    path = tmp_path / "evolution.gif"
    data = write_gif(path, out, 120, last_ms=900)
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["evolution.gif"]  # no temp file left
    im = open_image(data)
    assert im.format == "GIF" and im.n_frames == 9 and im.size == out[0].size
    durations = []
    for i in range(im.n_frames):
        im.seek(i)
        durations.append(im.info["duration"])
    assert durations == [120] * 8 + [900]


def test_single_frame_gif():
    out = evolution_frames([np.zeros((1, 4))], shape=(2, 2))
    assert open_image(gif_bytes(out)).n_frames == 1
    with pytest.raises(InputError):
        gif_bytes([])


def test_frames_as_png(tmp_path):
    frames, _ = history(steps=3)
    out = evolution_frames(frames, shape=(28, 28))
    assert open_image(frame_png_bytes(out[0])).size == out[0].size
    paths = save_frames(tmp_path, out, steps=[0, 9, 120])
    assert [p.name for p in paths] == ["step_000.png", "step_009.png", "step_120.png"]
    assert open_image(paths[2].read_bytes()).mode == "L"


@pytest.mark.parametrize("n, m", [(1, 60), (5, 60), (60, 60), (61, 60), (300, 20), (1000, 2)])
def test_frame_indices(n, m):
    idx = frame_indices(n, m)
    assert idx[0] == 0 and idx[-1] == n - 1
    assert len(idx) <= m and idx == sorted(set(idx))
    if n <= m:
        assert idx == list(range(n))

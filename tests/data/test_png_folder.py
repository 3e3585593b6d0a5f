"""Folders of PNG files: labelled by subfolder, or flat without labels."""

import numpy as np
import pytest
from PIL import Image

from pixelmeans import load_dataset, load_path
from pixelmeans.data.images import read_png_folder, write_png_folder
from pixelmeans.errors import InputError

from data_helpers import fake_images


def test_labelled_folder_round_trip_numeric_classes_sort_by_value(tmp_path, rng):
    images = fake_images(rng, n=12, h=6, w=5)
    labels = np.array([0, 1, 2, 9, 10, 11, 0, 1, 2, 9, 10, 11])
    names = [str(i) for i in range(12)]
    write_png_folder(tmp_path / "digits", images, labels, names)
    ds = load_path(tmp_path / "digits")
    # class folders present: 0 1 2 9 10 11, in numeric order (10 after 9, not after 1)
    assert ds.class_names == ("0", "1", "2", "9", "10", "11")
    order = np.argsort(labels, kind="stable")  # files are read class by class
    np.testing.assert_array_equal(ds.images, images[order])
    assert [ds.class_names[i] for i in ds.labels] == [names[i] for i in labels[order]]
    assert ds.images.shape[1:] == (6, 5) and ds.name == "digits"


def test_flat_folder_has_no_labels(tmp_path, rng):
    images = fake_images(rng, n=4, h=3, w=3)
    write_png_folder(tmp_path / "flat", images)
    ds = load_dataset(str(tmp_path / "flat"))
    np.testing.assert_array_equal(ds.images, images)
    assert ds.labels is None and ds.class_names == () and ds.n_classes == 0


def test_colour_images_become_grey(tmp_path):
    (tmp_path / "c" / "red").mkdir(parents=True)
    Image.new("RGBA", (4, 4), (255, 0, 0, 128)).save(tmp_path / "c" / "red" / "a.png")
    ds = read_png_folder(tmp_path / "c")
    assert ds.images.dtype == np.uint8 and ds.images[0, 0, 0] == 76  # ITU-R 601 luma of red


def test_images_of_different_sizes(tmp_path, rng):
    write_png_folder(tmp_path / "f", fake_images(rng, n=2, h=4, w=4))
    Image.fromarray(np.zeros((5, 4), np.uint8)).save(tmp_path / "f" / "zz.png")
    with pytest.raises(InputError, match=r"zz.png: 4x5 pixels, but 00000.png is 4x4"):
        read_png_folder(tmp_path / "f")


def test_corrupt_png(tmp_path, rng):
    write_png_folder(tmp_path / "f", fake_images(rng, n=1, h=4, w=4))
    (tmp_path / "f" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InputError, match="bad.png: not a readable PNG image"):
        read_png_folder(tmp_path / "f")


def test_sixteen_bit_png_is_refused_not_clipped(tmp_path):
    (tmp_path / "f").mkdir()
    Image.fromarray(np.full((3, 3), 4000, np.uint16)).save(tmp_path / "f" / "deep.png")
    with pytest.raises(InputError, match="16-bit"):
        read_png_folder(tmp_path / "f")


def test_pngs_at_top_and_in_subfolders_is_ambiguous(tmp_path, rng):
    write_png_folder(tmp_path / "f", fake_images(rng, n=2, h=4, w=4), np.array([0, 1]))
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "f" / "top.png")
    with pytest.raises(InputError, match="both at the top and in subfolders"):
        read_png_folder(tmp_path / "f")


def test_empty_folder_and_missing_path(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .png files"):
        load_path(tmp_path / "empty")
    with pytest.raises(InputError, match="no such file or folder"):
        load_dataset(str(tmp_path / "nothing-here"))


def test_write_refuses_to_replace_and_leaves_nothing_half_written(tmp_path, rng):
    write_png_folder(tmp_path / "f", fake_images(rng, n=2, h=4, w=4))
    with pytest.raises(FileExistsError):
        write_png_folder(tmp_path / "f", fake_images(rng, n=3, h=4, w=4))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["00000.png", "00001.png", "manifest.json"]

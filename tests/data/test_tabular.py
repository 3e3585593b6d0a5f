"""Label-first CSV and keras-layout NPZ: round trips and bad input."""

import gzip

import numpy as np
import pytest

from pixelmeans import load_dataset, load_path
from pixelmeans.data.tabular import read_csv, read_npz, write_csv, write_npz
from pixelmeans.errors import InputError

from data_helpers import fake_images

# ---------------------------------------------------------------- CSV


def test_csv_round_trip_with_letter_labels(tmp_path, rng):
    images = fake_images(rng, n=6)
    labels = np.array([2, 0, 1, 1, 2, 0])
    path = write_csv(tmp_path / "letters.csv", images, labels, ("A", "M", "Z"))
    assert path.read_text().startswith("Z,0,255,")
    ds = read_csv(path)
    np.testing.assert_array_equal(ds.images, images)
    np.testing.assert_array_equal(ds.labels, labels)
    assert ds.class_names == ("A", "M", "Z") and ds.labels.dtype == np.int64
    assert ds.name == "letters" and ds.split == "all"


def test_csv_digit_labels_keep_their_value(tmp_path, rng):
    images = fake_images(rng, n=3)
    path = write_csv(tmp_path / "d.csv", images, np.array([7, 3, 7]), [str(i) for i in range(10)])
    ds = read_csv(path)
    assert list(ds.labels) == [7, 3, 7]
    assert ds.class_names == tuple("01234567")  # 0..max


def test_course_style_row_and_header_and_gzip(tmp_path):
    row = ["M"] + ["0"] * 780 + ["218", "251", "3", "0"]
    text = "label," + ",".join(f"p{i}" for i in range(784)) + "\n" + ",".join(row) + "\n\n"
    (tmp_path / "one.csv.gz").write_bytes(gzip.compress(text.encode()))
    ds = load_path(tmp_path / "one.csv.gz")
    assert ds.images.shape == (1, 28, 28) and ds.class_names == ("M",)
    assert list(ds.images[0, -1, -4:]) == [218, 251, 3, 0]


def test_csv_by_name_through_load_dataset(tmp_path, rng):
    path = write_csv(tmp_path / "x.csv", fake_images(rng, n=2), np.array([0, 1]), "ab")
    assert len(load_dataset(str(path))) == 2  # default split "train" is fine for a file
    with pytest.raises(InputError, match="no separate test split"):
        load_dataset(str(path), split="test")


def _csv(tmp_path, lines):
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD = "A," + ",".join(["0"] * 16)


@pytest.mark.parametrize("lines, message", [
    ([GOOD, "B," + ",".join(["0"] * 15)], r"bad.csv, line 2: 15 pixel values, but line 1 has 16"),
    ([GOOD, GOOD, "C," + ",".join(["0"] * 15 + ["x"])], r"line 3: pixel 16 is 'x', expected an integer 0..255"),
    ([GOOD, "C," + ",".join(["0"] * 15 + ["1.5"])], r"line 2: pixel 16 is '1.5'"),
    ([GOOD, "D," + ",".join(["0"] * 15 + ["256"])], r"line 2: pixel value 256 outside 0..255"),
    (["D," + ",".join(["-1"] + ["0"] * 15)], r"line 1: pixel value -1 outside 0..255"),
    (["A," + ",".join(["0"] * 15)], r"15 pixel values; expected a square number"),
    ([",".join(["0"] * 17).replace("0", "M!", 1)], r"line 1: label 'M!'"),
    ([",".join([""] + ["0"] * 16)], r"line 1: label ''"),
    (["", "  "], r"no image rows"),
])
def test_bad_csv_is_one_line_error_naming_the_file(tmp_path, lines, message):
    path = _csv(tmp_path, lines)
    with pytest.raises(InputError, match=message) as info:
        read_csv(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_binary_file_as_csv(tmp_path):
    (tmp_path / "b.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not a UTF-8 text CSV"):
        read_csv(tmp_path / "b.csv")


# ---------------------------------------------------------------- NPZ


@pytest.fixture
def keras_npz(tmp_path, rng):
    arrays = dict(x_train=fake_images(rng, n=5), y_train=np.array([0, 1, 2, 1, 0], np.uint8),
                  x_test=fake_images(rng, n=2), y_test=np.array([2, 2], np.uint8))
    return write_npz(tmp_path / "mnist.npz", **arrays), arrays


def test_npz_round_trip_per_split(keras_npz):
    path, a = keras_npz
    train = read_npz(path, "train")
    np.testing.assert_array_equal(train.images, a["x_train"])
    np.testing.assert_array_equal(train.labels, a["y_train"])
    assert train.split == "train" and train.class_names == ("0", "1", "2")
    test = load_dataset(str(path), split="test")
    np.testing.assert_array_equal(test.images, a["x_test"])
    both = load_path(path)
    assert len(both) == 7 and both.split == "all"
    np.testing.assert_array_equal(both.labels, np.r_[a["y_train"], a["y_test"]])


def test_npz_class_names_and_flat_images(tmp_path, rng):
    images = fake_images(rng, n=3, h=5, w=5)
    path = write_npz(tmp_path / "f.npz", x_train=images.reshape(3, 25), y_train=np.array([0, 1, 0]),
                     class_names=["cat", "dog"])
    ds = read_npz(path, "train")
    assert ds.class_names == ("cat", "dog") and ds.images.shape == (3, 5, 5)


def test_npz_without_labels(tmp_path, rng):
    ds = read_npz(write_npz(tmp_path / "u.npz", x_train=fake_images(rng, n=2)))
    assert ds.labels is None and ds.split == "train"


@pytest.mark.parametrize("arrays, message", [
    (dict(x_train=np.zeros((3, 4, 4), np.uint8), y_train=np.zeros(2, np.uint8)), "x_train has 3 images but y_train has 2"),
    (dict(x_train=np.zeros((3, 4, 4), np.float32)), "x_train is float32; expected integer pixels"),
    (dict(x_train=np.full((1, 4, 4), 300, np.int32)), r"pixel values 300..300, outside 0..255"),
    (dict(x_train=np.zeros((3, 4, 5, 1), np.uint8)), r"expected \(n, height, width\)"),
    (dict(images=np.zeros((3, 4, 4), np.uint8)), "no x_train or x_test array"),
    (dict(x_train=np.zeros((1, 4, 4), np.uint8), y_train=np.array([-1])), "negative label"),
    (dict(x_train=np.zeros((1, 4, 4), np.uint8), y_train=np.array([0.5])), "y_train must be integer labels"),
])
def test_bad_npz(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(InputError, match=message) as info:
        read_npz(path)
    assert str(path) in str(info.value)


def test_npz_split_missing(keras_npz, tmp_path, rng):
    path = write_npz(tmp_path / "t.npz", x_train=fake_images(rng, n=2))
    with pytest.raises(InputError, match="no x_test array for split 'test'"):
        read_npz(path, "test")


@pytest.mark.parametrize("content", [b"PK\x03\x04 broken zip", b"not a zip at all"])
def test_not_an_npz(tmp_path, content):
    (tmp_path / "x.npz").write_bytes(content)
    with pytest.raises(InputError, match="x.npz"):
        load_path(tmp_path / "x.npz")


def test_single_npy_array_is_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 2, 2), np.uint8))
    (tmp_path / "a.npy").rename(tmp_path / "a.npz")
    with pytest.raises(InputError, match="a single .npy array"):
        read_npz(tmp_path / "a.npz")


@pytest.mark.parametrize("writer", ["csv", "png"])
@pytest.mark.parametrize("bad", [np.zeros((2, 3, 3), np.float32), np.zeros((2, 9), np.uint8)])
def test_writers_refuse_what_is_not_a_uint8_image_stack(tmp_path, writer, bad):
    from pixelmeans.data.images import write_png_folder

    path = tmp_path / f"out.{writer}"
    write = {"csv": lambda: write_csv(path, bad, np.zeros(len(bad), int), ["0"]),
             "png": lambda: write_png_folder(path, bad)}[writer]
    with pytest.raises(InputError, match=r"images must be uint8 of shape \(n, height, width\)"):
        write()
    assert not path.exists()

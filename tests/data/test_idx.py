"""IDX reader/writer: round trips of every type, and every way a file can be broken."""

import gzip
import struct

import numpy as np
import pytest

from pixelmeans.data.idx import idx_bytes, parse_idx, read_idx, write_idx
from pixelmeans.data.load import load_path
from pixelmeans.errors import InputError

from data_helpers import fake_images


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_uint8_images_round_trip(tmp_path, rng, name):
    images = fake_images(rng)
    path = write_idx(tmp_path / name, images)
    back = read_idx(path)
    assert back.dtype == np.uint8 and back.shape == images.shape
    np.testing.assert_array_equal(back, images)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


@pytest.mark.parametrize("dtype", [">i1", ">i2", ">i4", ">f4", ">f8", "<i2", "<f8"])
def test_other_types_round_trip_in_native_order(tmp_path, rng, dtype):
    arr = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    back = read_idx(write_idx(tmp_path / "x.idx.gz", arr))
    assert back.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(back, arr)


def test_header_is_big_endian_as_the_format_says(rng):
    data = idx_bytes(np.zeros((2, 3), dtype=np.int32))
    assert data[:4] == b"\x00\x00\x0c\x02"
    assert struct.unpack(">II", data[4:12]) == (2, 3)


def test_gz_name_holding_raw_bytes_still_reads(tmp_path, rng):
    labels = rng.integers(0, 10, 50).astype(np.uint8)
    (tmp_path / "labels-idx1-ubyte.gz").write_bytes(idx_bytes(labels))
    np.testing.assert_array_equal(read_idx(tmp_path / "labels-idx1-ubyte.gz"), labels)


def _labels_bytes():
    return idx_bytes(np.arange(10, dtype=np.uint8))


@pytest.mark.parametrize("data, message", [
    (b"\x01\x02\x08\x01" + b"\x00" * 20, "not an IDX file"),
    (b"\x00\x00\x0a\x01\x00\x00\x00\x01x", "unknown IDX type code 0x0a"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
    (b"\x00\x00", "too short"),
    (_labels_bytes()[:-1], "truncated"),
    (_labels_bytes() + b"\x00", "trailing bytes"),
])
def test_broken_idx_is_one_line_input_error(data, message):
    with pytest.raises(InputError, match=message) as info:
        parse_idx(data, "some-file")
    assert "some-file" in str(info.value) and "\n" not in str(info.value)


def test_truncated_gzip_names_the_file(tmp_path, rng):
    gz = gzip.compress(idx_bytes(fake_images(rng)))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(InputError, match=r"train-images-idx3-ubyte.gz: not a valid gzip file \(the stream ends early"):
        read_idx(path)


def test_corrupt_gzip_names_the_file(tmp_path, rng):
    gz = bytearray(gzip.compress(idx_bytes(fake_images(rng))))
    gz[len(gz) // 2: len(gz) // 2 + 64] = bytes(64)
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(bytes(gz))
    with pytest.raises(InputError, match="x-idx3-ubyte.gz: not a valid gzip file"):
        read_idx(path)


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, np.bool_, np.complex64])
def test_writing_a_type_idx_cannot_hold_writes_nothing(tmp_path, dtype):
    with pytest.raises(InputError, match="IDX cannot store"):
        write_idx(tmp_path / "x.gz", np.zeros((2, 2), dtype=dtype))
    assert list(tmp_path.iterdir()) == []


# ---- an IDX pair given by path


def test_images_file_finds_its_labels_beside_it(tmp_path, rng):
    images, labels = fake_images(rng), rng.integers(0, 10, 12).astype(np.uint8)
    write_idx(tmp_path / "my-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "my-labels-idx1-ubyte", labels)
    ds = load_path(tmp_path / "my-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(ds.images, images)
    np.testing.assert_array_equal(ds.labels, labels)
    assert ds.labels.dtype == np.int64 and ds.split == "all"
    assert ds.class_names == tuple(str(i) for i in range(labels.max() + 1))


def test_images_file_alone_has_no_labels(tmp_path, rng):
    write_idx(tmp_path / "t-images-idx3-ubyte", fake_images(rng))
    ds = load_path(tmp_path / "t-images-idx3-ubyte")
    assert ds.labels is None and ds.class_names == ()


def test_image_and_label_counts_must_agree(tmp_path, rng):
    write_idx(tmp_path / "a-images-idx3-ubyte", fake_images(rng, n=12))
    write_idx(tmp_path / "a-labels-idx1-ubyte", np.zeros(11, dtype=np.uint8))
    with pytest.raises(InputError, match="12 images but 11 labels"):
        load_path(tmp_path / "a-images-idx3-ubyte")


def test_idx_folder_with_train_and_test(tmp_path, rng):
    tr, te = fake_images(rng, n=8), fake_images(rng, n=3)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", tr)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(8, dtype=np.uint8))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", te)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([9, 0, 1], dtype=np.uint8))
    assert len(load_path(tmp_path, "train")) == 8
    test = load_path(tmp_path, "test")
    np.testing.assert_array_equal(test.images, te)
    both = load_path(tmp_path)
    assert len(both) == 11 and both.split == "all" and len(both.class_names) == 10


def test_emnist_files_by_path_are_turned_upright(tmp_path, rng):
    stored = fake_images(rng, n=4)
    write_idx(tmp_path / "emnist-letters-test-images-idx3-ubyte.gz", stored)
    write_idx(tmp_path / "emnist-letters-test-labels-idx1-ubyte.gz", np.array([1, 2, 26, 13], np.uint8))
    ds = load_path(tmp_path / "emnist-letters-test-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(ds.images, stored.transpose(0, 2, 1))
    assert [ds.class_names[i] for i in ds.labels] == ["A", "B", "Z", "M"]

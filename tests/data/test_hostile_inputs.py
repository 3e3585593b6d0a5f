"""Files built to hurt the loaders: huge label values, sizes claimed but not present,
bombs, devices and FIFOs, broken test splits, odd names. Each must end in a Dataset or
a one-line InputError, quickly and in bounded memory (the loads run in a capped child)."""

import gzip
import io
import os
import struct
import warnings
import zipfile
import zlib

import numpy as np
import pytest

from pixelmeans.data import load_path, load_test_split, read_csv, read_idx, read_npz
from pixelmeans.data import files
from pixelmeans.data.idx import idx_bytes, write_idx
from pixelmeans.data.images import read_png_folder, write_png_folder
from pixelmeans.data.tabular import write_csv, write_npz
from pixelmeans.errors import InputError

from data_helpers import fake_images, run_bounded, summary


def _load(path, split="all"):
    return summary(load_path(path, split))


def _refused(outcome, *needles):
    assert outcome[:2] == ("error", "InputError"), outcome
    message = outcome[2]
    assert "\n" not in message, message
    for needle in needles:
        assert needle in message, message
    return message


def _idx_pair(folder, prefix, images, labels):
    folder.mkdir(exist_ok=True)
    write_idx(folder / f"{prefix}-images-idx3-ubyte", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels)
    return folder / f"{prefix}-images-idx3-ubyte"


# ------------------------------------------------------- labels are values, not sizes


def test_huge_idx_label_is_one_class_not_two_billion(tmp_path, rng):
    path = _idx_pair(tmp_path, "x", fake_images(rng, n=3, h=4, w=4),
                     np.array([0, 2**31 - 1, 5], np.int32))
    outcome = run_bounded(_load, path)
    assert outcome[0] == "ok", outcome
    _, _, labels, class_names, _ = outcome[1]
    assert class_names == ("0", "5", "2147483647") and labels == [0, 2, 1]


def test_huge_csv_label_is_one_class(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("99999999999," + ",".join(["0"] * 4) + "\n3," + ",".join(["9"] * 4) + "\n")
    outcome = run_bounded(_load, path)
    assert outcome[0] == "ok", outcome
    assert outcome[1][2:4] == ([1, 0], ("3", "99999999999"))


def test_csv_label_beyond_int64_is_one_line_error(tmp_path):
    path = tmp_path / "bigger.csv"
    path.write_text("9" * 30 + "," + ",".join(["0"] * 4) + "\n")
    _refused(run_bounded(_load, path), str(path), "9" * 19)


def test_huge_npz_label_is_one_class(tmp_path, rng):
    path = write_npz(tmp_path / "big.npz", x_train=fake_images(rng, n=2, h=3, w=3),
                     y_train=np.array([2**40, 1]))
    outcome = run_bounded(_load, path)
    assert outcome[0] == "ok", outcome
    assert outcome[1][2:4] == ([1, 0], ("1", str(2**40)))


def test_small_labels_keep_their_value(tmp_path, rng):
    # 0..255 (what a uint8 label file holds) stays the class index, gaps included
    path = _idx_pair(tmp_path, "x", fake_images(rng, n=3, h=4, w=4), np.array([7, 3, 7], np.uint8))
    ds = load_path(path)
    assert list(ds.labels) == [7, 3, 7] and ds.class_names == tuple("01234567")


def test_train_and_test_number_their_classes_alike(tmp_path, rng):
    _idx_pair(tmp_path / "f", "train", fake_images(rng, n=3, h=4, w=4), np.array([0, 1000, 5], np.int32))
    _idx_pair(tmp_path / "f", "t10k", fake_images(rng, n=2, h=4, w=4), np.array([5, 7], np.int32))
    train, test = load_path(tmp_path / "f", "train"), load_path(tmp_path / "f", "test")
    assert train.class_names == test.class_names == ("0", "5", "7", "1000")
    assert list(train.labels) == [0, 3, 1] and list(test.labels) == [1, 2]
    npz = write_npz(tmp_path / "s.npz", x_train=fake_images(rng, n=2, h=3, w=3),
                    y_train=np.array([300, 1]), x_test=fake_images(rng, n=1, h=3, w=3),
                    y_test=np.array([2]))
    assert read_npz(npz, "test").class_names == read_npz(npz, "train").class_names == ("1", "2", "300")
    assert list(read_npz(npz, "test").labels) == [1]


# ------------------------------------------------------------------- claimed sizes


def _npy_claiming(shape, body=b"\x00" * 64):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": shape})
    return buf.getvalue() + body


def test_npz_header_claiming_two_billion_images(tmp_path):
    path = tmp_path / "claims.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x_train.npy", _npy_claiming((2**31, 28, 28)))
    assert path.stat().st_size < 1024
    _refused(run_bounded(_load, path), str(path), "x_train")


def test_npz_member_claiming_more_than_its_compressed_bytes_can_hold(tmp_path, rng):
    path = write_npz(tmp_path / "ok.npz", x_train=fake_images(rng, n=2, h=3, w=3))
    raw = bytearray(path.read_bytes())
    # the central directory's uncompressed size of the first member: 4 GiB - 1
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24: cd + 28] = struct.pack("<I", 2**32 - 1)
    path.write_bytes(bytes(raw))
    _refused(run_bounded(_load, path), str(path))


def test_idx_claiming_more_than_the_maximum_is_refused_unread(tmp_path):
    # a sparse 3 GiB file whose header matches its size: reading it would need 3 GiB
    n = (3 << 30) // 784
    path = tmp_path / "huge-images-idx3-ubyte"
    with open(path, "wb") as fh:
        fh.write(struct.pack(">HBB3I", 0, 8, 3, n, 28, 28))
        fh.truncate(16 + n * 784)
    assert path.stat().st_size > files.MAX_BYTES
    _refused(run_bounded(_load, path, timeout=20), str(path), str(files.MAX_BYTES))


def test_idx_claiming_more_than_the_file_holds(tmp_path):
    path = tmp_path / "liar-images-idx3-ubyte"
    path.write_bytes(struct.pack(">HBB3I", 0, 8, 3, 2**31, 28, 28) + bytes(1000))
    _refused(run_bounded(_load, path), str(path), "claims 2147483648x28x28")
    path.write_bytes(struct.pack(">HBB3I", 0, 8, 3, 1000, 28, 28) + bytes(1000))
    _refused(run_bounded(_load, path), str(path), "truncated")
    path = tmp_path / "liar-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(struct.pack(">HBB3I", 0, 8, 3, 2**31 - 1, 28, 28) + bytes(1000)))
    _refused(run_bounded(_load, path), str(path))


@pytest.mark.timeout(60)
def test_gzip_bomb_is_not_inflated(tmp_path, rng, monkeypatch):
    # a valid 1-image IDX, then gzip members of zeros: 2.5 GiB inflated from ~2.5 MB
    zeros = gzip.compress(bytes(64 << 20), compresslevel=9, mtime=0)
    path = tmp_path / "bomb-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(fake_images(rng, n=1)), mtime=0) + zeros * 40)
    assert path.stat().st_size < 3 << 20
    _refused(run_bounded(_load, path, timeout=30), str(path), "trailing")
    # a CSV claims no size: it is inflated up to the limit (lowered here, as inflating
    # 2 GiB of zeros takes half a minute)
    monkeypatch.setattr(files, "MAX_BYTES", 256 << 20)
    csv = tmp_path / "bomb.csv.gz"
    csv.write_bytes(zeros * 40)
    _refused(run_bounded(_load, csv, timeout=30), str(csv), "inflates to more than")


def _png_claiming(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(width + 1) * 64, 9)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [20000, 12000])  # over Pillow's bomb limit / only its warning
def test_png_decompression_bomb(tmp_path, side):
    (tmp_path / "bomb").mkdir()
    (tmp_path / "bomb" / "a.png").write_bytes(_png_claiming(side, side))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outcome = run_bounded(_load, tmp_path / "bomb", timeout=30)
    _refused(outcome, "a.png", "pixels")


def test_png_folder_larger_than_the_maximum_is_refused_before_decoding(tmp_path, monkeypatch, rng):
    write_png_folder(tmp_path / "p", fake_images(rng, n=3, h=64, w=64))
    # each file (about 4 KB) is readable, the 3 images of 4096 pixels together are not
    monkeypatch.setattr(files, "MAX_BYTES", 3 * 64 * 64 - 1)
    with pytest.raises(InputError, match="3 images of 64x64"):
        read_png_folder(tmp_path / "p")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("reader", [load_path, read_idx, read_csv, read_npz])
def test_dev_zero_is_refused(reader):
    _refused(run_bounded(reader, "/dev/zero", timeout=10), "/dev/zero", "not a regular file")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("reader", [load_path, read_idx, read_csv, read_npz])
def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path, reader):
    fifo = tmp_path / "train-images-idx3-ubyte"
    os.mkfifo(fifo)
    _refused(run_bounded(reader, fifo, timeout=10), str(fifo), "not a regular file")


# ----------------------------------------------------- a test split that is there but broken


def test_test_split_absent_or_present(tmp_path, rng):
    _idx_pair(tmp_path / "both", "train", fake_images(rng, n=3, h=4, w=4), np.array([0, 1, 2], np.uint8))
    _idx_pair(tmp_path / "both", "t10k", fake_images(rng, n=2, h=4, w=4), np.array([2, 1], np.uint8))
    assert list(load_test_split(tmp_path / "both").labels) == [2, 1]
    only = _idx_pair(tmp_path / "one", "train", fake_images(rng, n=3, h=4, w=4), np.array([0, 1, 2], np.uint8))
    assert load_test_split(tmp_path / "one") is None
    assert load_test_split(only) is None
    assert load_test_split(write_csv(tmp_path / "a.csv", fake_images(rng, n=2), np.array([0, 1]), "ab")) is None
    assert load_test_split(write_png_folder(tmp_path / "png", fake_images(rng, n=2, h=3, w=3))) is None
    assert load_test_split(write_npz(tmp_path / "t.npz", x_train=fake_images(rng, n=2))) is None
    npz = write_npz(tmp_path / "tt.npz", x_train=fake_images(rng, n=2), x_test=fake_images(rng, n=1))
    assert len(load_test_split(npz)) == 1


@pytest.mark.parametrize("broken", ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
def test_truncated_idx_test_files_are_an_error(tmp_path, rng, broken):
    folder = tmp_path / "f"
    _idx_pair(folder, "train", fake_images(rng, n=3, h=4, w=4), np.array([0, 1, 2], np.uint8))
    _idx_pair(folder, "t10k", fake_images(rng, n=2, h=4, w=4), np.array([2, 1], np.uint8))
    data = (folder / broken).read_bytes()
    (folder / broken).write_bytes(data[:-1])
    with pytest.raises(InputError, match=broken):
        load_test_split(folder)


@pytest.mark.parametrize("x_test, y_test, message", [
    (np.zeros((2, 4, 4), np.float32), np.array([0, 1]), "x_test is float32"),
    (np.zeros((3, 4, 4), np.uint8), np.array([0, 1]), "x_test has 3 images but y_test has 2"),
])
def test_broken_npz_test_split_is_an_error(tmp_path, rng, x_test, y_test, message):
    path = tmp_path / "m.npz"
    np.savez(path, x_train=fake_images(rng, n=2, h=4, w=4), y_train=np.array([0, 1]),
             x_test=x_test, y_test=y_test)
    assert len(load_path(path, "train")) == 2  # the train split alone is fine
    with pytest.raises(InputError, match=message):
        load_test_split(path)


# ------------------------------------------------------------------ one line, no traceback


@pytest.mark.parametrize("text", ["A\nB\n", "A,\nB,\n", "A,1,2,3,4\nB\n"])
def test_odd_csv_gives_one_line_and_no_numpy_warning(tmp_path, text):
    path = tmp_path / "odd.csv"
    path.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError) as info:
            read_csv(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_png_folder_with_non_utf8_names(tmp_path, rng):
    root = os.fsencode(tmp_path / "odd")
    os.makedirs(os.path.join(root, b"caf\xe9"))
    os.makedirs(os.path.join(root, b"plain"))
    write_png_folder(tmp_path / "src", fake_images(rng, n=2, h=3, w=3))
    src = sorted((tmp_path / "src").iterdir())
    os.rename(os.fsencode(src[0]), os.path.join(root, b"caf\xe9", b"\xff\xfe.png"))
    os.rename(os.fsencode(src[1]), os.path.join(root, b"plain", b"b.png"))
    ds = load_path(tmp_path / "odd")
    assert len(ds) == 2 and len(ds.class_names) == 2
    for name in ds.class_names:
        name.encode("utf-8")  # printable, writable to JSON and HTML
    assert "caf\\xe9" in ds.class_names


def test_png_chunk_claiming_four_gigabytes(tmp_path, rng):
    # a 4x4 image whose IDAT chunk claims 4 GiB - 1 bytes: the pixels decode, and then
    # Pillow reads the rest of the "chunk"
    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\x00" + bytes(row) for row in fake_images(rng, n=1, h=4, w=4)[0]))
    png = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr
           + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
           + struct.pack(">I", 2**32 - 1) + b"IDAT" + idat)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.png").write_bytes(png)
    outcome = run_bounded(_load, tmp_path / "p")
    assert outcome[0] == "ok" or outcome[:2] == ("error", "InputError"), outcome


def test_idx_with_an_empty_axis_and_huge_others_is_refused():
    """0 x 2**30 x 2**31 claims 0 bytes, but no array has that shape: one line, not
    NumPy's "array is too big" (found by the header fuzz test)."""
    import struct

    from pixelmeans.data.idx import parse_idx

    with pytest.raises(InputError, match="IDX header claims 0x1073741824x2147483648"):
        parse_idx(struct.pack(">HBB3I", 0, 14, 3, 0, 2**30, 2**31))

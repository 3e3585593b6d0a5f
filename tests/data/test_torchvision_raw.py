"""torchvision's MNIST/raw folder: each IDX file as downloaded (.gz) and unpacked, side by side."""

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

import pixelmeans.data.load as load_module
from pixelmeans import InputError, load_path
from pixelmeans.data.idx import write_idx
from pixelmeans.data.load import load_test_split

BUNDLED = Path(load_module.__file__).resolve().parent / "bundled"


def _unpack(gz: Path) -> None:
    with gzip.open(gz, "rb") as src, open(gz.with_suffix(""), "wb") as dst:
        shutil.copyfileobj(src, dst)


@pytest.fixture
def raw_folder(tmp_path):
    """MNIST/raw as torchvision leaves it; the train files hold the first 2,000 test images."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(BUNDLED / name, raw / name)
    test = load_path(raw / "t10k-images-idx3-ubyte.gz")
    write_idx(raw / "train-images-idx3-ubyte.gz", test.images[:2000])
    write_idx(raw / "train-labels-idx1-ubyte.gz", test.labels[:2000].astype(np.uint8))
    for gz in list(raw.glob("*.gz")):
        _unpack(gz)
    assert len(list(raw.iterdir())) == 8
    return raw


def test_the_raw_folder_loads_with_both_splits(raw_folder):
    bundled = load_path(BUNDLED / "t10k-images-idx3-ubyte.gz")
    train = load_path(raw_folder, split="train")
    test = load_test_split(raw_folder)
    assert train.images.shape == (2000, 28, 28) and test.images.shape == (10000, 28, 28)
    np.testing.assert_array_equal(test.images, bundled.images)
    np.testing.assert_array_equal(test.labels, bundled.labels)
    np.testing.assert_array_equal(train.labels, bundled.labels[:2000])
    assert load_path(raw_folder, split="all").images.shape[0] == 12000


def test_the_unpacked_files_are_the_ones_read(raw_folder, monkeypatch):
    read = []
    real = load_module.read_idx
    monkeypatch.setattr(load_module, "read_idx", lambda p: read.append(Path(p).name) or real(p))
    load_path(raw_folder, split="all")
    assert read and not any(name.endswith(".gz") for name in read)


@pytest.mark.parametrize("name", ["t10k-images-idx3-ubyte", "train-labels-idx1-ubyte"])
def test_an_unpacked_file_that_differs_from_its_gz_is_one_line(raw_folder, name):
    data = bytearray((raw_folder / name).read_bytes())
    data[-1] ^= 0xFF
    (raw_folder / name).write_bytes(bytes(data))
    with pytest.raises(InputError) as err:
        load_path(raw_folder, split="all")
    message = str(err.value)
    assert "\n" not in message and name in message and f"{name}.gz" in message


def test_gz_only_and_unpacked_only_folders_still_load(raw_folder):
    for p in raw_folder.glob("*-ubyte"):
        p.unlink()
    assert load_path(raw_folder, split="all").images.shape[0] == 12000
    for p in raw_folder.glob("*.gz"):
        _unpack(p)
        p.unlink()
    assert load_path(raw_folder, split="all").images.shape[0] == 12000

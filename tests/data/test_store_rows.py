"""An image store seen as rows, and a Dataset whose images stay in it."""

import numpy as np
import pytest

from pixelmeans.data.store import FlatRows, Head, open_store, write_store
from pixelmeans.errors import InputError


@pytest.fixture
def stack(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(1000, 4, 5), dtype=np.uint8)
    path = write_store(tmp_path / "store", 1000, (4, 5),
                       lambda lo, hi: (images[lo:hi], (np.arange(lo, hi) % 10).astype(np.uint8)),
                       attrs={"class_names": [str(i) for i in range(10)]}, chunk=128)
    stored, labels, _ = open_store(path)
    return images, stored, labels


def test_flat_rows_slice_take_and_shape(stack):
    images, stored, _ = stack
    flat, memory = FlatRows(Head(stored, 900)), images[:900].reshape(900, 20)
    assert (flat.shape, flat.ndim, flat.dtype, flat.chunks, len(flat)) == ((900, 20), 2, np.uint8, (128, 20), 900)
    np.testing.assert_array_equal(flat[100:400], memory[100:400])
    np.testing.assert_array_equal(flat[850:2000], memory[850:])
    np.testing.assert_array_equal(flat[10:300:7], memory[10:300:7])
    np.testing.assert_array_equal(flat[400:100:-3], memory[400:100:-3])
    np.testing.assert_array_equal(flat[5:9, 3:6], memory[5:9, 3:6])
    picked = np.array([899, 3, 3, 640, -1, 129])
    np.testing.assert_array_equal(flat[picked], memory[picked])
    np.testing.assert_array_equal(flat.take(picked), memory[picked])
    with pytest.raises(IndexError):
        flat.take([900])


def test_flat_rows_of_a_store_are_a_dask_array_source(stack):
    da = pytest.importorskip("dask.array")
    images, stored, _ = stack
    lazy = da.from_array(FlatRows(stored), chunks=(300, -1))
    np.testing.assert_array_equal(lazy[250:700].compute(), images[250:700].reshape(450, 20))


def test_a_dataset_keeps_a_chunked_stack_unread_and_checks_it(stack):
    from pixelmeans.data.dataset import Dataset

    images, stored, labels = stack
    ds = Dataset(stored, np.asarray(labels[:]), tuple("0123456789"), "store", "train")
    assert ds.is_chunked and ds.images is stored and len(ds) == 1000 and ds.image_shape == (4, 5)
    assert not Dataset(images, None, (), "memory", "train").is_chunked
    with pytest.raises(InputError, match="uint8 of shape"):
        Dataset(FlatRows(stored), None, (), "flat", "train")  # rows, not images


def test_load_infimnist_in_memory_or_left_on_disk(tmp_path, monkeypatch):
    from pixelmeans import load_dataset
    from pixelmeans.data import infimnist
    from pixelmeans.data.dataset import Dataset

    test = load_dataset("mnist", split="test", download=False)
    source = Dataset(test.images[:300], test.labels[:300], test.class_names, "mnist", "train")
    infimnist.fetch_infimnist(lambda: source, 700, 0, tmp_path, echo=lambda line: None)
    monkeypatch.setenv("PIXELMEANS_DATA", str(tmp_path))
    disk = load_dataset("infimnist:600", split="train", in_memory=False)
    memory = load_dataset("infimnist:600", split="train")
    assert disk.is_chunked and not memory.is_chunked and disk.images.shape == (600, 28, 28)
    np.testing.assert_array_equal(disk.labels, memory.labels)
    np.testing.assert_array_equal(np.asarray(disk.images[:600]), memory.images)
    np.testing.assert_array_equal(infimnist.read_into_memory(disk).images, memory.images)
    assert not load_dataset("infimnist:600", split="all", in_memory=False).is_chunked
    monkeypatch.setattr(infimnist, "_available_memory", lambda: 10**5)
    assert load_dataset("infimnist:600", split="train", in_memory=False).is_chunked  # nothing read
    with pytest.raises(InputError, match="--features pixels"):
        load_dataset("infimnist:600", split="train")

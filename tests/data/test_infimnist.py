"""The InfiMNIST generator: every image a pure function of (source, copy, seed); the
chunked store: written once, verified by content, loaded as the generator made it."""

import mmap

import numba
import numpy as np
import pytest

from pixelmeans.data.infimnist import Deformation, generate, infimnist_labels, split_index
from pixelmeans.errors import InputError


@pytest.fixture(scope="module")
def sources():
    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    return ds.images[:500], ds.labels[:500]


def test_the_same_slice_twice_and_overlapping_slices_agree(sources):
    images, _ = sources
    a = generate(np.arange(1000, 3000), images, seed=7)
    assert a.dtype == np.uint8 and a.shape == (2000, 28, 28)
    np.testing.assert_array_equal(a, generate(np.arange(1000, 3000), images, seed=7))
    b = generate(np.arange(2500, 4000), images, seed=7)
    np.testing.assert_array_equal(a[1500:], b[:500])
    picked = np.array([2999, 1000, 1000, 2345])
    np.testing.assert_array_equal(generate(picked, images, seed=7), a[picked - 1000])


def test_threads_do_not_change_the_bytes(sources):
    images, _ = sources
    indices = np.arange(500, 2500)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = generate(indices, images, seed=3)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, generate(indices, images, seed=3))


def test_copy_zero_is_the_original_and_the_others_move_it(sources):
    images, labels = sources
    n = len(images)
    out = generate(np.arange(3 * n), images, seed=0)
    np.testing.assert_array_equal(out[:n], images)
    for copy in (1, 2):
        moved = out[copy * n:(copy + 1) * n].astype(np.float32)
        change = np.abs(moved - images).mean(axis=(1, 2))
        assert (change > 0).mean() > 0.99  # nearly every copy differs from its original
        # ...but stays a digit of about the same ink (a coarse check of "still handwriting")
        ink = moved.sum(axis=(1, 2)) / np.maximum(images.astype(np.float32).sum(axis=(1, 2)), 1)
        assert 0.6 < np.median(ink) < 1.5
    np.testing.assert_array_equal(infimnist_labels(np.arange(3 * n), labels), np.tile(labels, 3))
    assert split_index([0, n - 1, n, 5 * n + 4], n)[1].tolist() == [0, 0, 1, 5]


def test_seed_and_deformation_change_the_images(sources):
    images, _ = sources
    idx = np.arange(500, 1000)
    base = generate(idx, images, seed=0)
    assert (generate(idx, images, seed=1) != base).any(axis=(1, 2)).mean() > 0.99
    still = Deformation(rotation=0, scale=0, shear=0, shift=0, elastic=0, thickness=0)
    np.testing.assert_array_equal(generate(idx, images, deformation=still), images)


def test_bad_arguments_are_input_errors(sources):
    images, _ = sources
    with pytest.raises(InputError):
        generate([-1], images)
    with pytest.raises(InputError):
        generate([0], images, seed=-3)
    with pytest.raises(InputError):
        generate([0], images.astype(np.float32))


def test_store_round_trip_and_a_flipped_byte_is_detected(sources, tmp_path):
    from pixelmeans.data.store import open_store, verify_store, write_store

    images, labels = sources

    def make_chunk(lo, hi):
        idx = np.arange(lo, hi)
        return generate(idx, images, seed=5), infimnist_labels(idx, labels)

    path = write_store(tmp_path / "store", 2300, (28, 28), make_chunk, attrs={"seed": 5}, chunk=1000)
    verify_store(path)
    stored, stored_labels, attrs = open_store(path)
    assert stored.chunks == (1000, 28, 28) and attrs["seed"] == 5
    np.testing.assert_array_equal(stored[:], generate(np.arange(2300), images, seed=5))
    np.testing.assert_array_equal(stored_labels[:], infimnist_labels(np.arange(2300), labels))
    chunk_files = sorted(p for p in (path / "images").rglob("*") if p.is_file() and p.name != "zarr.json")
    assert len(chunk_files) == 3
    victim = chunk_files[1]
    data = bytearray(victim.read_bytes())
    data[12345] ^= 0x01
    victim.write_bytes(bytes(data))
    with pytest.raises(InputError, match="differ"):
        verify_store(path)


def test_rows_read_from_the_chunk_files_are_zarr_s_rows(sources, tmp_path):
    from pixelmeans.data.store import Head, open_store, write_store

    images, labels = sources

    def make_chunk(lo, hi):
        idx = np.arange(lo, hi)
        return generate(idx, images, seed=2), infimnist_labels(idx, labels)

    path = write_store(tmp_path / "store", 2300, (28, 28), make_chunk, attrs={}, chunk=1000)
    stored, stored_labels, _ = open_store(path)
    direct = Head(stored, 2200, path / "images")
    direct_labels = Head(stored_labels, 2200, path / "labels")
    for lo, hi in [(0, 2200), (0, 1), (999, 1001), (1500, 2200), (2000, 2000), (1000, 2000)]:
        np.testing.assert_array_equal(direct[lo:hi], stored[lo:hi])
        np.testing.assert_array_equal(direct_labels[lo:hi], stored_labels[lo:hi])
    np.testing.assert_array_equal(direct[-5:], stored[2195:2200])  # the head's end, not the store's
    # Rows within one chunk are its file mapped into memory, privately: writing to them
    # changes neither the file nor the next read.
    inside = direct[1200:1900]
    owner = inside
    while isinstance(owner, np.ndarray):
        owner = owner.base
    assert isinstance(owner, memoryview) and isinstance(owner.obj, mmap.mmap)
    assert inside.flags.writeable
    before = (path / "images" / "c" / "1" / "0" / "0").read_bytes()
    inside[:] = 0
    assert (path / "images" / "c" / "1" / "0" / "0").read_bytes() == before
    np.testing.assert_array_equal(direct[1200:1900], stored[1200:1900])
    copied = Head(stored, 2200, path / "images", mapped=False)
    assert copied[1200:1900].base is None
    np.testing.assert_array_equal(copied[1200:1900], stored[1200:1900])
    # A chunk file that is not there reads as zarr reads it (the fill value).
    (path / "images" / "c" / "1" / "0" / "0").unlink()
    np.testing.assert_array_equal(direct[900:1100], stored[900:1100])
    assert not direct[1000:1100].any()
    assert not direct[1000:1010].any()


def test_fetch_then_load_by_name(tmp_path, monkeypatch, sources):
    """`fetch infimnist --n N` then `--dataset infimnist:M`, with the bundled test split as
    the source so that the test needs no download."""
    from pixelmeans import load_dataset
    from pixelmeans.data.dataset import Dataset
    from pixelmeans.data.infimnist import fetch_infimnist

    images, labels = sources
    small = Dataset(images, labels.astype(np.int64), tuple(str(i) for i in range(10)), "mnist", "train")
    lines = []
    path = fetch_infimnist(lambda: small, 1200, 0, tmp_path, echo=lines.append)
    assert path.is_dir() and "written" in lines[-1]
    again = []
    fetch_infimnist(lambda: pytest.fail("verifying must not regenerate"), 1200, 0, tmp_path,
                    echo=again.append)
    assert "verified" in again[-1]
    monkeypatch.setenv("PIXELMEANS_DATA", str(tmp_path))
    ds = load_dataset("infimnist:1000", split="train", download=False)
    assert ds.images.shape == (1000, 28, 28) and ds.name == "infimnist:1000"
    np.testing.assert_array_equal(ds.images, generate(np.arange(1000), images, seed=0))
    test = load_dataset("infimnist:1000", split="test", download=False)
    assert test.images.shape == (10000, 28, 28)
    with pytest.raises(InputError, match="fetch infimnist"):
        load_dataset("infimnist:5000", split="train", download=False)


def test_a_store_is_fitted_out_of_core_with_the_in_memory_result(tmp_path, sources):
    """KMeans on the store's zarr arrays (all of them, and the first rows of a larger
    store) reads them chunk by chunk and gives the in-memory fit's bits."""
    from pixelmeans import KMeans
    from pixelmeans.data.dataset import Dataset
    from pixelmeans.data.infimnist import fetch_infimnist, open_infimnist
    from pixelmeans.data.store import open_store, write_store

    images, labels = sources
    small = Dataset(images, labels.astype(np.int64), tuple(str(i) for i in range(10)), "mnist", "train")
    fetch_infimnist(lambda: small, 1500, 0, tmp_path, echo=lambda line: None)
    for n in (1500, 1100):
        disk, disk_labels = open_infimnist(n, data_dir=tmp_path)
        assert disk.shape == (n, 28, 28) and not isinstance(disk, np.ndarray)
        memory = np.asarray(disk[:]).reshape(n, -1)
        np.testing.assert_array_equal(memory, generate(np.arange(n), images, seed=0).reshape(n, -1))
        np.testing.assert_array_equal(np.asarray(disk_labels[:]), infimnist_labels(np.arange(n), labels))
        a = KMeans(10, random_state=0, init="k-means||", n_init=1).fit(memory)
        b = KMeans(10, random_state=0, init="k-means||", n_init=1).fit(disk)
        np.testing.assert_array_equal(a.labels_, b.labels_)
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
        assert a.inertia_ == b.inertia_ and a.n_iter_ == b.n_iter_
    # small chunks: blocks of several pieces
    memory_all = generate(np.arange(1500), images)
    path = write_store(tmp_path / "chunked", 1500, (28, 28),
                       lambda lo, hi: (memory_all[lo:hi], np.zeros(hi - lo, np.uint8)),
                       attrs={}, chunk=300)
    z, _, _ = open_store(path)
    init = memory_all[:10].reshape(10, -1).astype(np.float32)
    for algorithm in ("lloyd", "elkan"):
        a = KMeans(10, init=init, n_init=1, algorithm=algorithm).fit(memory_all.reshape(1500, -1))
        b = KMeans(10, init=init, n_init=1, algorithm=algorithm).fit(z)
        np.testing.assert_array_equal(a.labels_, b.labels_)
        assert a.inertia_ == b.inertia_ and a.n_iter_ == b.n_iter_
    with pytest.raises(InputError, match="fetch infimnist"):
        open_infimnist(2000, data_dir=tmp_path)

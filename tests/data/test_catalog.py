"""The catalog of known data sets, names, and the `Dataset` record."""

import dataclasses
import re

import numpy as np
import pytest

from pixelmeans import Dataset, load_dataset
from pixelmeans.data import catalog
from pixelmeans.errors import InputError


@pytest.mark.parametrize("name, n_classes", [
    ("mnist", 10), ("fashion-mnist", 10), ("kmnist", 10),
    ("emnist-letters", 26), ("emnist-balanced", 47), ("emnist-digits", 10),
])
def test_catalog_entries(name, n_classes):
    info = catalog.get(name)
    assert len(info.class_names) == len(set(info.class_names)) == n_classes
    assert len(info.all_files()) == 4
    assert info.transposed == name.startswith("emnist")
    for spec in info.all_files():
        assert spec.sha256 is None or len(spec.sha256) == 64
    assert info.mirrors and info.credit


def test_mnist_and_fashion_have_pinned_content_checksums():
    for name in ("mnist", "fashion-mnist"):
        assert all(f.sha256 for f in catalog.get(name).all_files())


def test_every_download_digest_is_a_sha256():
    """Compressed downloads without a content checksum are checked by sha256, nothing weaker."""
    digests = []
    for info in catalog.CATALOG.values():
        for mirror in info.mirrors:
            digests += list(getattr(mirror, "digests", {}).values()) + [getattr(mirror, "digest", None)]
    digests = [d for d in digests if d is not None]
    assert len(digests) >= 5  # KMNIST's four files and the EMNIST archive
    assert all(re.fullmatch("[0-9a-f]{64}", d) for d in digests), digests


@pytest.mark.parametrize("given", ["MNIST", "Fashion_MNIST", " emnist letters "])
def test_names_are_forgiving_about_case_and_separators(given):
    assert catalog.get(given).name == catalog.normalize(given)


@pytest.mark.parametrize("given, suggestion", [
    ("mnsit", "mnist"), ("fashion", "fashion-mnist"), ("emnist-letter", "emnist-letters"),
    ("kminst", "kmnist"),
])
def test_unknown_name_suggests_the_closest(given, suggestion):
    with pytest.raises(InputError, match=f"unknown data set '{given}'; did you mean '{suggestion}'") as info:
        load_dataset(given)
    assert "\n" not in str(info.value)


def test_unknown_name_without_close_match_lists_known():
    with pytest.raises(InputError, match=r"unknown data set 'zzz'\. Known: mnist, fashion-mnist"):
        catalog.get("zzz")


def test_bad_split():
    with pytest.raises(InputError, match="split 'validation': expected one of train, test, all"):
        load_dataset("mnist", split="validation")


# ---------------------------------------------------------------- Dataset


def test_dataset_is_frozen_and_read_only():
    ds = Dataset(np.zeros((2, 3, 3), np.uint8), np.array([0, 1]), ("a", "b"), "x", "train")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "y"
    with pytest.raises(ValueError):
        ds.images[0, 0, 0] = 1
    assert ds.labels.dtype == np.int64 and len(ds) == 2 and ds.image_shape == (3, 3)
    assert list(ds.label_counts()) == [1, 1]
    assert "n=2" in repr(ds)


@pytest.mark.parametrize("kwargs, message", [
    (dict(images=np.zeros((2, 3, 3), np.float32)), "images must be uint8"),
    (dict(images=np.zeros((2, 9), np.uint8)), "images must be uint8 of shape"),
    (dict(labels=np.array([0, 1, 1])), "2 images but 3 labels"),
    (dict(labels=np.array([0, 2])), r"labels must lie in 0..1"),
    (dict(split="val"), "split 'val'"),
])
def test_dataset_checks_itself(kwargs, message):
    args = dict(images=np.zeros((2, 3, 3), np.uint8), labels=np.array([0, 1]),
                class_names=("a", "b"), name="x", split="train")
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        Dataset(**args)

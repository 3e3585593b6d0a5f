"""Real MNIST: the full set through the real sources, and the bundled test split offline."""

import numpy as np
import pytest

from pixelmeans import load_dataset

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.slow
def test_full_mnist_train(mnist_home, no_network):
    ds = load_dataset("mnist", data_dir=mnist_home)
    assert ds.images.shape == (60000, 28, 28) and ds.images.dtype == np.uint8
    assert ds.labels.dtype == np.int64 and ds.split == "train"
    assert list(ds.label_counts()) == TRAIN_COUNTS
    assert ds.class_names == tuple("0123456789")


@pytest.mark.slow
def test_full_mnist_all_is_train_then_test(mnist_home, no_network):
    ds = load_dataset("mnist", split="all", data_dir=mnist_home, download=False)
    assert len(ds) == 70000
    assert list(np.bincount(ds.labels[60000:])) == TEST_COUNTS


@pytest.mark.parametrize("download", [True, False])
def test_bundled_test_split_offline(data_home, no_network, download):
    ds = load_dataset("mnist", split="test", download=download)
    assert ds.images.shape == (10000, 28, 28) and ds.images.dtype == np.uint8
    assert list(ds.label_counts()) == TEST_COUNTS
    # it is the official file: first test digit is a 7, drawn in the middle
    assert ds.labels[0] == 7 and ds.images[0].max() == 255 and ds.images[0, 0].max() == 0
    assert not data_home.exists() or not any(data_home.rglob("*"))  # used in place


def test_offline_train_split_says_what_to_do(data_home, no_network):
    from pixelmeans.data.fetch import DataUnavailableError

    with pytest.raises(DataUnavailableError, match=r"mnist: cannot get train-images-idx3-ubyte\[.gz\], "
                       r"train-labels-idx1-ubyte\[.gz\] .*downloads are off.*put the files \(raw or .gz\) in "):
        load_dataset("mnist", download=False)

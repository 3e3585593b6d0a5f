"""Fixtures of the k-means engine tests (small data: the machine has 2 shared cores)."""

import pytest


@pytest.fixture(scope="session")
def mnist_test_pixels():
    """The bundled MNIST test split as uint8 (10000, 784) (no network)."""
    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    return ds.images.reshape(len(ds.images), -1)

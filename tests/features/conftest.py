import pytest

import pixelmeans


@pytest.fixture(scope="session")
def mnist_small():
    """6000 images of the bundled MNIST test split: uint8 (6000, 28, 28), int64 labels."""
    ds = pixelmeans.load_dataset("mnist", split="test", download=False)
    return ds.images[:6000], ds.labels[:6000]


@pytest.fixture(scope="session")
def tiny():
    """400 flattened uint8 images (400, 784) for fast mechanics tests."""
    ds = pixelmeans.load_dataset("mnist", split="test", download=False)
    return ds.images[3000:3400].reshape(400, -1)

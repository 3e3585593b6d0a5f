import numpy as np
import pytest


@pytest.fixture(scope="session")
def digits_csv(tmp_path_factory):
    """1,500 real MNIST digits (from the bundled test split) as a label-first CSV."""
    from pixelmeans import load_dataset

    ds = load_dataset("mnist", split="test", download=False)
    images, labels = ds.images[:1500], ds.labels[:1500]
    path = tmp_path_factory.mktemp("data") / "digits.csv"
    rows = np.column_stack([labels, images.reshape(len(images), -1)]).astype(np.int64)
    np.savetxt(path, rows, fmt="%d", delimiter=",")
    return path

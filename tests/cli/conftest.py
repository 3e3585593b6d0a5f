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


@pytest.fixture(scope="session")
def infimnist_home(tmp_path_factory):
    """A data folder holding an InfiMNIST store of 1,200 images, in chunks of 300 (so that
    a fit's blocks cross chunk boundaries), deformed from the first 500 bundled MNIST test
    images; its test split is the bundled MNIST test split."""
    from pixelmeans import load_dataset
    from pixelmeans.data.infimnist import generate, infimnist_labels, store_path
    from pixelmeans.data.store import write_store

    ds = load_dataset("mnist", split="test", download=False)
    sources, source_labels = ds.images[:500], ds.labels[:500]

    def make_chunk(lo, hi):
        indices = np.arange(lo, hi)
        return generate(indices, sources), infimnist_labels(indices, source_labels)

    home = tmp_path_factory.mktemp("infimnist-home")
    path = store_path(1200, 0, home)
    path.parent.mkdir(parents=True)
    write_store(path, 1200, (28, 28), make_chunk, chunk=300,
                attrs={"class_names": [str(i) for i in range(10)]})
    return home

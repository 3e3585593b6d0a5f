"""Without the [deep] extra: pixels and pca work; the deep features name the install command."""

import sys

import numpy as np
import pytest

from pixelmeans.errors import MissingDependencyError
from pixelmeans.features import make_features

HINT = "pip install 'pixelmeans[deep]'"


@pytest.fixture
def no_deep(monkeypatch):
    # A None entry in sys.modules makes `import torch` / `import umap` raise ImportError.
    for name in ("torch", "umap"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("spec", ["autoencoder", "autoencoder:4", "umap", "ae+umap", "clr", "hog+clr+umap"])
def test_deep_features_give_the_install_hint(no_deep, tiny, spec):
    t = make_features(spec, epochs=1, verbose=False) if spec != "umap" else make_features(spec)
    with pytest.raises(MissingDependencyError) as info:
        t.fit(tiny[:50])
    assert HINT in str(info.value)
    assert isinstance(info.value, ImportError)


def test_torch_hint_names_the_pinned_version(no_deep, tiny):
    with pytest.raises(MissingDependencyError, match=r"torch==2\.13\.0"):
        make_features("autoencoder").fit(tiny[:50])


def test_pixels_and_pca_still_work(no_deep, tiny):
    assert make_features("pixels").fit_transform(tiny).dtype == np.float32
    assert make_features("pca:3").fit_transform(tiny).shape == (400, 3)


def test_importing_features_imports_no_deep_module():
    import subprocess

    code = "import sys, pixelmeans.features; print('torch' in sys.modules, 'umap' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

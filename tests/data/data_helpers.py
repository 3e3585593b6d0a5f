"""Small builders shared by the data-layer tests."""

import dataclasses
import gzip
from types import MappingProxyType

import numpy as np

from pixelmeans.data import catalog
from pixelmeans.data.idx import idx_bytes


def fake_images(rng, n=12, h=28, w=28):
    """uint8 (n, h, w) random pixels, with both 0 and 255 present."""
    images = rng.integers(0, 256, size=(n, h, w), dtype=np.uint8)
    images.flat[:2] = (0, 255)
    return images


def gz_idx(array):
    """gzip-compressed IDX bytes of ``array``."""
    return gzip.compress(idx_bytes(array), mtime=0)


def patch_entry(monkeypatch, name, **changes):
    """Replace one catalog entry by a copy with ``changes`` for this test; return the copy."""
    info = dataclasses.replace(catalog.CATALOG[name], **changes)
    entries = dict(catalog.CATALOG)
    entries[name] = info
    monkeypatch.setattr(catalog, "CATALOG", MappingProxyType(entries))
    return info

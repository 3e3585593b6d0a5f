"""Helpers for the plot tests (imported by name: tests/ folders are not packages)."""

import io

import numpy as np
from PIL import Image


def blobs(k: int, h: int = 28, w: int = 28, seed: int = 0) -> np.ndarray:
    """k digit-like float32 images (a bright bar on a dark ground), shape (k, h, w)."""
    rng = np.random.default_rng(seed)
    out = rng.random((k, h, w), dtype=np.float32) * 0.2
    for i in range(k):
        c = 4 + i % (w - 8)
        out[i, h // 4:3 * h // 4, c:c + 3] += 0.8
    return out


def open_image(data: bytes) -> Image.Image:
    """Open PNG/GIF bytes, failing the test when they are not a valid image."""
    im = Image.open(io.BytesIO(data))
    im.verify()  # checks the file structure (CRCs for PNG)
    return Image.open(io.BytesIO(data))


"""Deskewing: shear every image so that its ink stands upright, and centre it.

The classical preprocessing of handwritten digits (LeCun et al.'s MNIST page lists it
for k-NN and SVMs): from the image's intensity moments, the shear ``alpha = cov(x, y) /
var(y)`` that makes the principal axis vertical is undone, and the centre of mass is
moved to the centre of the image. A slanted 1 and an upright 1 then have nearly the
same pixels, so nearest neighbours (and UMAP and autoencoders, which live on them)
confuse fewer digits. On all 70,000 MNIST images it lifted ``ae+umap`` from 0.970 to
0.979 Hungarian accuracy (benchmarks/bench_features.py, seed 0).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from sklearn.base import OneToOneFeatureMixin

from pixelmeans.features._base import ImageStage
from pixelmeans.features._shape import images_of


@njit(cache=True)
def _deskew_one(img, out, to_uint8):  # pragma: no cover
    h, w = img.shape
    m = 0.0
    sy = 0.0
    sx = 0.0
    for y in range(h):
        for x in range(w):
            v = np.float64(img[y, x])
            m += v
            sy += v * y
            sx += v * x
    if m <= 0.0:  # a blank image stays as it is
        for y in range(h):
            for x in range(w):
                out[y, x] = img[y, x]
        return
    cy = sy / m
    cx = sx / m
    vy = 0.0
    cxy = 0.0
    for y in range(h):
        for x in range(w):
            v = np.float64(img[y, x])
            vy += v * (y - cy) * (y - cy)
            cxy += v * (y - cy) * (x - cx)
    alpha = cxy / vy if vy > 0.0 else 0.0
    oy = (h - 1) / 2.0
    ox = (w - 1) / 2.0
    for yo in range(h):
        src_y = yo - oy + cy
        shear = alpha * (yo - oy) + cx - ox
        y0 = math.floor(src_y)
        fy = src_y - y0
        for xo in range(w):
            src_x = xo + shear
            x0 = math.floor(src_x)
            fx = src_x - x0
            acc = 0.0
            # bilinear interpolation, zero outside the image
            for dy in range(2):
                yy = y0 + dy
                if yy < 0 or yy >= h:
                    continue
                wy = fy if dy else 1.0 - fy
                for dx in range(2):
                    xx = x0 + dx
                    if xx < 0 or xx >= w:
                        continue
                    wx = fx if dx else 1.0 - fx
                    acc += wy * wx * np.float64(img[yy, xx])
            if to_uint8:
                out[yo, xo] = min(255.0, max(0.0, math.floor(acc + 0.5)))
            else:
                out[yo, xo] = acc


@njit(parallel=True, cache=True)
def _deskew_all(images, out, to_uint8):  # pragma: no cover
    for i in prange(images.shape[0]):
        _deskew_one(images[i], out[i], to_uint8)


def deskew(X, image_shape=None) -> np.ndarray:
    """Deskew and centre every image.

    Parameters
    ----------
    X : ndarray of shape (n, h, w) or (n, h*w), dtype uint8 or float
        Images, dark background (0) and bright ink, as MNIST.
    image_shape : (h, w), optional
        Needed for flattened images that are not square.

    Returns
    -------
    ndarray of the shape of ``X``
        uint8 (rounded) for uint8 input, float32 otherwise. Bilinear resampling,
        zero outside the image; blank images are returned unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> slanted = np.zeros((1, 5, 5), np.uint8)
    >>> slanted[0, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]] = 255  # a diagonal stroke
    >>> deskew(slanted)[0]
    array([[  0,   0, 255,   0,   0],
           [  0,   0, 255,   0,   0],
           [  0,   0, 255,   0,   0],
           [  0,   0, 255,   0,   0],
           [  0,   0, 255,   0,   0]], dtype=uint8)
    """
    X, images = images_of(X, image_shape, who="deskew")
    h, w = images.shape[1:]
    to_uint8 = X.dtype == np.uint8
    out = np.empty(images.shape, dtype=np.uint8 if to_uint8 else np.float32)
    if images.shape[0]:
        _deskew_all(images, out, to_uint8)
    return out.reshape(X.shape)


class Deskew(OneToOneFeatureMixin, ImageStage):
    """Deskew and centre every image (:func:`deskew`): the first stage of a Pipeline.

    Parameters
    ----------
    image_shape : (h, w) or None
        Needed for flattened images that are not square (one side may be -1: inferred
        from d); default: the ``(h, w)`` of a 3-D input, else square.

    ``transform(X)``: ``(n, d)`` or ``(n, h, w)`` pixels, uint8 or float → ``(n, d)``
    (flattened, as every transformer's output), uint8 for uint8 input (so that the next stage divides by 255 as before),
    float32 otherwise (other integers are read as intensities out of 255). Fitting
    learns nothing from the images; it records ``n_features_in_`` (d) and
    ``image_shape_`` (h, w).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from pixelmeans.features import PixelFeatures
    >>> X = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    >>> Deskew().fit_transform(X).dtype
    dtype('uint8')
    >>> make_pipeline(Deskew(), PixelFeatures()).fit_transform(X).shape
    (3, 784)
    """

    _who = "deskew"

    def __init__(self, image_shape=None):
        self.image_shape = image_shape

    def _apply(self, X: np.ndarray, shape) -> np.ndarray:
        return deskew(X, shape)

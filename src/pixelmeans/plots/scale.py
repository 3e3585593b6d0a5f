"""Map image values of any range onto one fixed grey scale.

Every figure that shows several images uses one scale for all of them (the minimum
and maximum over the whole set), so that two tiles with the same grey mean the same
value. Blank tiles (a dropped centroid, a cluster with fewer than 8 members) are
marked with NaN and stay NaN.
"""

from __future__ import annotations

import numpy as np

from pixelmeans.errors import InputError


def unit_range(images, vmin: float | None = None, vmax: float | None = None) -> np.ndarray:
    """Scale an image stack to [0, 1] with one min-max over the whole stack.

    Parameters
    ----------
    images : array_like of float or int, any shape
        Pixel values of any range, e.g. (k, h, w). NaN marks a blank and stays NaN.
    vmin, vmax : float, optional
        The values shown as black and white. Default: the smallest and largest
        finite value in ``images``. Values outside are clipped.

    Returns
    -------
    ndarray of float32, same shape as ``images``
        0 is black, 1 is white. A constant stack (``vmin == vmax``) maps to 0.
    """
    a = np.asarray(images, dtype=np.float32)
    finite = np.isfinite(a)
    if vmin is None or vmax is None:
        if finite.any():
            lo = float(a[finite].min()) if vmin is None else float(vmin)
            hi = float(a[finite].max()) if vmax is None else float(vmax)
        else:
            lo, hi = 0.0, 1.0
    else:
        lo, hi = float(vmin), float(vmax)
    if hi < lo:
        raise InputError(f"grey scale: vmax ({hi}) is below vmin ({lo})")
    span = hi - lo
    with np.errstate(invalid="ignore"):
        out = (a - lo) / span if span > 0 else np.zeros_like(a)
        out = np.clip(out, 0.0, 1.0)
    out[~finite] = np.nan
    return out


def to_uint8(unit: np.ndarray, blank: int) -> np.ndarray:
    """Turn [0, 1] values into 8-bit greys; NaN becomes ``blank``.

    Parameters
    ----------
    unit : ndarray of float, any shape
        Values in [0, 1], NaN for blanks.
    blank : int
        Grey level (0..255) used for NaN.

    Returns
    -------
    ndarray of uint8, same shape
    """
    out = np.rint(np.nan_to_num(unit, nan=0.0) * 255.0).astype(np.uint8)
    out[np.isnan(unit)] = blank
    return out

"""The knee (elbow) of a curve, Kneedle-style: pure numbers, no plotting.

Satopää, Albrecht, Irwin and Raghavan, "Finding a 'Kneedle' in a Haystack:
Detecting Knee Points in System Behavior" (ICDCS workshops, 2011). Both axes are
scaled to [0, 1]; the knee is the point farthest from the straight line joining the
first and last points, on the side the curve bends to. For an inertia-against-k
curve (falling, convex) that is the k after which adding clusters stops paying
much; for an accuracy-against-k curve (rising, concave) the k after which the gain
flattens.

Differences from the paper: no smoothing spline (pass the best-of-restarts value
per k, which is already smooth) and no online threshold; a curve with no bend (a
straight line, or one that bends the other way) has no knee and gives ``None``.
"""

from __future__ import annotations

import numpy as np

from pixelmeans.errors import InputError


def knee_point(ks, values, *, curve: str = "auto", log_x: bool = False,
               min_gap: float = 1e-3) -> int | float | None:
    """The x value at the knee of ``values`` against ``ks``.

    Parameters
    ----------
    ks : array_like of int or float, shape (n,)
        Distinct x values (e.g. numbers of clusters), in any order.
    values : array_like of float, shape (n,)
        y at each x (e.g. inertia). Non-finite pairs are ignored.
    curve : {"auto", "convex", "concave"}
        The bend to look for. ``"auto"``: convex when the curve falls from its first
        to its last point (an elbow), concave when it rises (diminishing returns).
    log_x : bool
        Measure x on a log scale (for k spaced geometrically, e.g. 2..256).
    min_gap : float
        The knee's distance from the chord, in the [0, 1]-scaled units, must exceed
        this; otherwise there is no knee.

    Returns
    -------
    same type as the elements of ``ks`` (a Python int for integer ks), or None
        None when there are fewer than 3 points or no bend.

    Examples
    --------
    >>> ks = [1, 2, 3, 4, 5, 6, 7, 8]
    >>> knee_point(ks, [100, 40, 15, 12, 10, 9, 8, 7.5])
    3
    """
    x = np.asarray(ks, dtype=np.float64).reshape(-1)
    y = np.asarray(values, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise InputError(f"knee_point: {x.size} x values but {y.size} y values")
    if curve not in ("auto", "convex", "concave"):
        raise InputError(f"knee_point: curve must be 'auto', 'convex' or 'concave', got {curve!r}")
    keep = np.isfinite(x) & np.isfinite(y)
    if log_x:
        keep &= x > 0
    x_raw = np.asarray(ks).reshape(-1)[keep]
    x, y = x[keep], y[keep]
    order = np.argsort(x, kind="stable")
    x, y, x_raw = x[order], y[order], x_raw[order]
    if np.unique(x).size != x.size:
        raise InputError("knee_point: x values must be distinct")
    if x.size < 3:
        return None
    if log_x:
        x = np.log(x)
    xs = (x - x[0]) / (x[-1] - x[0])
    span = y.max() - y.min()
    if span <= 0:
        return None
    ys = (y - y.min()) / span
    chord = ys[0] + (ys[-1] - ys[0]) * xs          # the straight line from first to last point
    if curve == "auto":
        curve = "convex" if ys[-1] <= ys[0] else "concave"
    gap = chord - ys if curve == "convex" else ys - chord   # how far the curve bends past the chord
    i = int(np.argmax(gap))
    if gap[i] <= min_gap:
        return None
    value = x_raw[i]
    return value.item() if hasattr(value, "item") else value

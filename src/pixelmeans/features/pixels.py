"""Raw pixels as features: scaled to [0, 1] float32."""

from __future__ import annotations

import numpy as np
from sklearn.base import OneToOneFeatureMixin

from pixelmeans.features._base import FeaturesTransformer, to_unit_float32, validate_pixels


class PixelFeatures(OneToOneFeatureMixin, FeaturesTransformer):
    """Identity features: pixels as float32 scaled to [0, 1].

    ``transform(X)`` takes ``(n, d)`` or ``(n, h, w)`` integers (divided by 255) or
    floats (kept as given) and returns float32 ``(n, d)``. Fitting only records ``d``. Deskewed
    pixels or histograms of oriented gradients come from the stages in front of it
    (``make_features("deskew+pixels")``: a Pipeline of
    :class:`~pixelmeans.features.Deskew` and this).

    Examples
    --------
    >>> import numpy as np
    >>> PixelFeatures().fit_transform(np.array([[0, 255], [255, 0]], np.uint8))
    array([[0., 1.],
           [1., 0.]], dtype=float32)
    """

    def fit(self, X, y=None):
        """Record the number of features per image; ``y`` is ignored."""
        validate_pixels(self, X, reset=True)
        return self

    def transform(self, X) -> np.ndarray:
        """Pixels ``(n, d)`` → float32 ``(n, d)`` in [0, 1]."""
        return to_unit_float32(validate_pixels(self, X, reset=False)[0])

    def _get_state(self) -> dict:
        return {"n_features_in_": np.asarray(self.n_features_in_)}

    def _set_state(self, state: dict) -> None:
        self.n_features_in_ = int(state["n_features_in_"])


def has_pixel_units(transformer) -> bool:
    """True when ``transformer``'s features are its input pixels / 255: a PixelFeatures,
    alone or behind Deskew stages (no HOG) in a Pipeline. Only then is a centroid an
    image.

    Examples
    --------
    >>> from pixelmeans.features import make_features
    >>> has_pixel_units(make_features("deskew+pixels")), has_pixel_units(make_features("hog+pixels"))
    (True, False)
    """
    from sklearn.pipeline import Pipeline

    from pixelmeans.features.deskew import Deskew

    if isinstance(transformer, Pipeline):
        stages = [step for _, step in transformer.steps]
        return all(isinstance(step, Deskew) for step in stages[:-1]) and isinstance(stages[-1], PixelFeatures)
    return isinstance(transformer, PixelFeatures)

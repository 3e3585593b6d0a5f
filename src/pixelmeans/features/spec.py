"""``make_features(spec)``: the feature names of the command line, as transformers."""

from __future__ import annotations

import os
import re
from pathlib import Path


from sklearn.pipeline import make_pipeline

from pixelmeans.errors import InputError
from pixelmeans.features.aeumap import AEUMAP
from pixelmeans.features.autoencoder import AutoencoderFeatures
from pixelmeans.features.contrastive import ContrastiveFeatures
from pixelmeans.features.deskew import Deskew
from pixelmeans.features.frozen import FrozenFeatures
from pixelmeans.features.hog import HOG
from pixelmeans.features.pca import PCAFeatures
from pixelmeans.features.pixels import PixelFeatures
from pixelmeans.features.umap import UMAPFeatures

SPEC_HELP = ("[deskew+][hog+](pixels | pca[:D] | autoencoder[:D] | umap[:D] | ae+umap[:D] | clr[:D] | clr+umap[:D])"
             " | path/to/saved")
DEFAULT_DIMS = {"pca": 50, "autoencoder": 10, "umap": 10, "ae+umap": 10, "clr": 128, "clr+umap": 10}
# two-stage specs: the encoder that reads pixels, and the prefix of keys aimed at it
_ENCODERS = {"ae+umap": (AutoencoderFeatures, "ae_"), "clr+umap": (ContrastiveFeatures, "clr_")}
# Keywords every feature accepts; they are dropped where they mean nothing (pixels, pca).
COMMON_KW = ("random_state", "verbose", "n_threads", "device")

# prefixes, in this order: each names a stage in front of the one that reads pixels
_PREFIXES = (("deskew+", "deskew", Deskew), ("hog+", "hog", HOG))
_SPEC_RE = re.compile(r"^(pixels|pca|autoencoder|umap|ae\+umap|clr|clr\+umap)(?::(\d+))?$")


def _is_saved_path(spec: str) -> bool:
    return os.sep in spec or "/" in spec or spec.endswith(".pmfeat") or Path(spec).is_file()


def make_features(spec: str, **kw):
    """Build the feature transformer that ``spec`` names.

    Parameters
    ----------
    spec : str
        ``pixels`` | ``pca[:D]`` | ``autoencoder[:D]`` | ``umap[:D]`` | ``ae+umap[:D]`` |
        ``clr[:D]`` (contrastive encoder, :mod:`pixelmeans.features.contrastive`) |
        ``clr+umap[:D]`` (D: output dimension; defaults 50, 10, 10, 10, 128, 10), each
        optionally prefixed with
        ``deskew+`` (the stage that reads pixels deskews them first:
        :mod:`pixelmeans.features.deskew`) and then ``hog+`` (it reads their histograms
        of oriented gradients instead of pixels: :mod:`pixelmeans.features.hog`), or the
        path of a file written by
        :func:`save_features`, which is loaded and wrapped in :class:`FrozenFeatures`
        (already fitted, never refitted).
    **kw
        Parameters of the transformer (e.g. ``epochs=20``, ``arch="conv"``,
        ``n_neighbors=30``). ``random_state``, ``verbose``, ``n_threads`` and ``device``
        are accepted by every spec and ignored where they do not apply. For ``ae+umap``
        and ``clr+umap``, a key goes to every stage that has it; prefix ``ae_`` (or
        ``clr_``) or ``umap_`` to aim at one (``ae_n_components=16``). Unknown keys raise
        InputError.

    Returns
    -------
    transformer
        An unfitted sklearn transformer (fit/transform/fit_transform → float32
        ``(n, D)``); with a ``deskew+`` or ``hog+`` prefix, a
        ``sklearn.pipeline.Pipeline`` of :class:`Deskew` and :class:`HOG` stages in
        front of it (the contrastive encoder takes ``hog`` as its own option, as it
        describes the images it moves while training); for a saved path, a fitted
        FrozenFeatures.

    Examples
    --------
    >>> make_features("pca:20")
    PCAFeatures(n_components=20)
    >>> make_features("deskew+hog+pca:20").named_steps
    {'deskew': Deskew(), 'hog': HOG(), 'pcafeatures': PCAFeatures(n_components=20)}
    """
    if not isinstance(spec, str) or not spec.strip():
        raise InputError(f"features: expected one of {SPEC_HELP}, got {spec!r}")
    spec = spec.strip()
    rest, stages = spec, []
    for prefix, flag, stage in _PREFIXES:
        if rest.startswith(prefix):
            rest = rest[len(prefix):]
            stages.append((flag, stage))
    if stages:
        return _prepared(spec, rest, stages, kw)
    m = _SPEC_RE.match(spec)
    if m is None:
        if _is_saved_path(spec):
            from pixelmeans.features.io import load_features

            unknown = set(kw) - set(COMMON_KW)
            if unknown:
                raise InputError(f"features {spec}: a saved embedding takes no parameters, got {sorted(unknown)}")
            return FrozenFeatures(load_features(spec))
        raise InputError(f"features: unknown {spec!r}; expected one of {SPEC_HELP}")
    name, dim = m.group(1), m.group(2)
    if name == "pixels" and dim is not None:
        raise InputError("features: 'pixels' takes no dimension")
    if dim is not None and "n_components" in kw and int(kw["n_components"]) != int(dim):
        raise InputError(f"features {spec}: n_components={kw['n_components']} contradicts the spec")
    D = int(dim) if dim is not None else kw.get("n_components", DEFAULT_DIMS.get(name))
    if D is not None and int(D) < 1:
        raise InputError(f"features {spec}: the dimension must be ≥ 1")

    if name in _ENCODERS:
        return _two_stage(spec, *_ENCODERS[name], int(D), kw)

    cls = {"pixels": PixelFeatures, "pca": PCAFeatures, "autoencoder": AutoencoderFeatures, "umap": UMAPFeatures,
           "clr": ContrastiveFeatures}[name]
    params = set(cls().get_params(deep=False))
    unknown = set(kw) - params - set(COMMON_KW)
    if unknown & {flag for _, flag, _ in _PREFIXES}:
        raise InputError(f"features {spec}: deskew and hog are not parameters; write deskew+ or hog+ "
                         f"in front of the spec")
    if unknown:
        raise InputError(f"features {spec}: unknown parameters {sorted(unknown)}; {cls.__name__} takes {sorted(params)}")
    args = {k: v for k, v in kw.items() if k in params}
    if D is not None:
        args["n_components"] = int(D)
    return cls(**args)


def _prepared(spec: str, rest: str, stages: list, kw: dict):
    """``rest``'s transformer behind the ``stages`` (Deskew, HOG) that its prefixes name.

    The moves of an autoencoder's training default to none behind them: deskewed images
    are already centred and upright (moving them again would undo that), and
    descriptors are not images. A contrastive encoder describes its moved images
    itself: ``hog+`` sets its ``hog`` option instead of adding a stage.
    """
    clash = sorted({flag for flag, _ in stages} & set(kw))
    if clash:
        raise InputError(f"features {spec}: {clash[0]}= contradicts the spec")
    if not _SPEC_RE.match(rest):
        raise InputError(f"features: unknown {spec!r}; expected one of {SPEC_HELP}")
    kw = dict(kw)
    if rest.startswith("clr") and ("hog", HOG) in stages:
        stages = [s for s in stages if s[1] is not HOG]
        kw["hog"] = True
    final = make_features(rest, **kw)
    encoder = final.autoencoder if isinstance(final, AEUMAP) else final
    if isinstance(encoder, AutoencoderFeatures):
        encoder.set_params(shift=0 if encoder.shift is None else encoder.shift,
                           rotation=0.0 if encoder.rotation is None else encoder.rotation)
        if ("hog", HOG) in stages and (encoder.arch == "conv" or encoder.shift or encoder.rotation):
            raise InputError(f"features {spec}: hog descriptors are not images: use arch='mlp' "
                             f"without shift or rotation")
    if not stages:
        return final
    image_shape = kw.get("image_shape")
    return make_pipeline(*(stage(image_shape=image_shape) for _, stage in stages), final)


def _two_stage(spec: str, encoder_cls, prefix: str, D: int, kw: dict) -> AEUMAP:
    """An encoder then UMAP of its outputs to ``D`` dimensions. A key goes to every stage
    that has it; ``prefix`` (``ae_``, ``clr_``) or ``umap_`` aims it at one."""
    enc_params = set(encoder_cls().get_params(deep=False))
    um_params = set(UMAPFeatures().get_params(deep=False))
    enc_kw, um_kw, unknown = {}, {}, []
    for key, value in kw.items():  # unprefixed keys first; prefixed ones override them
        if key.startswith((prefix, "umap_")):
            continue
        hit = False
        if key in enc_params and key != "n_components":  # n_components is the output D
            enc_kw[key], hit = value, True
        if key in um_params:
            um_kw[key], hit = value, True
        if not hit and key not in COMMON_KW:
            unknown.append(key)
    for key, value in kw.items():
        if key.startswith(prefix) and key[len(prefix):] in enc_params:
            enc_kw[key[len(prefix):]] = value
        elif key.startswith("umap_") and key[5:] in um_params:
            um_kw[key[5:]] = value
        elif key.startswith((prefix, "umap_")):
            unknown.append(key)
    if unknown:
        raise InputError(f"features {spec}: unknown parameters {sorted(unknown)}")
    um_kw["n_components"] = D
    return AEUMAP(autoencoder=encoder_cls(**enc_kw), umap=UMAPFeatures(**um_kw))

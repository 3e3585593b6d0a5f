"""Save and load fitted feature transformers (one zip file; written through fileio).

File layout (a zip archive, any name; ``.pmfeat`` is suggested):

- ``meta.json``: format name and version, pixelmeans version, and a tree
  ``{"class", "params", "state"}`` describing the transformer; nested fitted stages
  (``AEUMAP``) appear as sub-trees; arrays and blobs are referenced by name.
- ``arrays.npz``: every numeric array (autoencoder weights, PCA axes), loaded with
  ``allow_pickle=False``.
- ``blob-*.bin``: opaque byte strings; today only umap-learn models, which exist only
  as pickles. They are unpickled with a restricted unpickler (numpy, scipy.sparse, umap,
  pynndescent, numba globals only), but numba rebuilds compiled functions from them:
  load UMAP embeddings only from files you trust, as with any pickle.
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
from sklearn.base import BaseEstimator

from pixelmeans.errors import InputError
from pixelmeans.features.aeumap import AEUMAP
from pixelmeans.features.autoencoder import AutoencoderFeatures
from pixelmeans.features.contrastive import ContrastiveFeatures
from pixelmeans.features.pca import PCAFeatures
from pixelmeans.features.pixels import PixelFeatures
from pixelmeans.features.umap import UMAPFeatures

FORMAT = "pixelmeans-features"
VERSION = 1
REGISTRY = {cls.__name__: cls for cls in (PixelFeatures, PCAFeatures, AutoencoderFeatures, ContrastiveFeatures,
                                          UMAPFeatures, AEUMAP)}


def _jsonable(value, where: str):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, tuple):
        return {"tuple": [_jsonable(v, where) for v in value]}
    if isinstance(value, list):
        return [_jsonable(v, where) for v in value]
    raise InputError(f"cannot save parameter {where}={value!r}: only numbers, strings, None and lists are supported")


def _unwrap(transformer):
    from pixelmeans.features.spec import FrozenFeatures

    while isinstance(transformer, FrozenFeatures):
        transformer = transformer.features
    return transformer


def _encode(est, prefix: str, arrays: dict, blobs: dict) -> dict:
    name = type(est).__name__
    if REGISTRY.get(name) is not type(est):
        raise InputError(f"cannot save a {name}: only pixelmeans feature transformers can be saved")
    if not hasattr(est, "n_features_in_"):
        raise InputError(f"cannot save an unfitted {name}: call fit first")
    params = {}
    for key, value in est.get_params(deep=False).items():
        if isinstance(value, BaseEstimator):
            params[key] = {"estimator": _encode_unfitted(value, f"{key}")}
        else:
            params[key] = _jsonable(value, key)
    state = {}
    for key, value in est._get_state().items():
        ref = f"{prefix}{key}"
        if isinstance(value, BaseEstimator):
            state[key] = {"estimator": _encode(value, ref + "/", arrays, blobs)}
        elif isinstance(value, bytes):
            entry = f"blob-{len(blobs)}.bin"
            blobs[entry] = value
            state[key] = {"blob": entry}
        else:
            arrays[ref] = np.asarray(value)
            state[key] = {"array": ref}
    return {"class": name, "params": params, "state": state}


def _encode_unfitted(est, where: str) -> dict:
    name = type(est).__name__
    if REGISTRY.get(name) is not type(est):
        raise InputError(f"cannot save parameter {where}: a {name} is not a pixelmeans feature transformer")
    params = {k: _jsonable(v, f"{where}.{k}") for k, v in est.get_params(deep=False).items()}
    return {"class": name, "params": params}


def _from_json(value, arrays, zf):
    if isinstance(value, dict) and "estimator" in value:
        return _build(value["estimator"], arrays, zf, fitted=False)
    if isinstance(value, dict) and "tuple" in value:
        return tuple(_from_json(v, arrays, zf) for v in value["tuple"])
    if isinstance(value, list):
        return [_from_json(v, arrays, zf) for v in value]
    return value


def _build(tree: dict, arrays, zf: zipfile.ZipFile, fitted: bool):
    cls = REGISTRY.get(tree.get("class"))
    if cls is None:
        raise InputError(f"saved features: unknown transformer class {tree.get('class')!r}")
    params = {}
    for key, value in tree.get("params", {}).items():
        params[key] = _from_json(value, arrays, zf)
    est = cls(**params)
    if fitted:
        state = {}
        for key, ref in tree["state"].items():
            if "estimator" in ref:
                state[key] = _build(ref["estimator"], arrays, zf, fitted=True)
            elif "blob" in ref:
                state[key] = zf.read(ref["blob"])
            else:
                state[key] = arrays[ref["array"]]
        est._set_state(state)
    return est


def save_features(transformer, path: str | os.PathLike) -> None:
    """Save a fitted feature transformer to ``path`` (one zip file, written atomically).

    ``transformer``: a fitted PixelFeatures, PCAFeatures, AutoencoderFeatures,
    ContrastiveFeatures, UMAPFeatures or AEUMAP (or a FrozenFeatures around one). Its parameters (the
    configuration) and its fitted state are stored; ``load_features`` gives back an
    equivalent transformer whose ``transform`` returns identical features.
    """
    from pixelmeans import fileio

    est = _unwrap(transformer)
    arrays: dict = {}
    blobs: dict = {}
    tree = _encode(est, "", arrays, blobs)
    from pixelmeans import __version__

    meta = {"format": FORMAT, "version": VERSION, "pixelmeans": __version__, "transformer": tree}
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("meta.json", json.dumps(meta, indent=1, sort_keys=True))
        zf.writestr("arrays.npz", npz.getvalue())
        for entry, data in blobs.items():
            zf.writestr(entry, data)
    fileio.write_bytes(path, buf.getvalue())


def load_features(path: str | os.PathLike):
    """Load a transformer saved by :func:`save_features`; it is fitted and ready to transform.

    Raises InputError when the file is missing or is not a pixelmeans features file,
    and MissingDependencyError when it needs the ``[deep]`` extra that is not installed.
    """
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, IsADirectoryError, OSError) as err:
        raise InputError(f"{path}: not a saved pixelmeans features file ({err})") from None
    with zf:
        try:
            meta = json.loads(zf.read("meta.json"))
        except (KeyError, ValueError) as err:
            raise InputError(f"{path}: not a saved pixelmeans features file (no valid meta.json: {err})") from None
        if meta.get("format") != FORMAT:
            raise InputError(f"{path}: not a saved pixelmeans features file (format {meta.get('format')!r})")
        if meta.get("version") != VERSION:
            raise InputError(f"{path}: features file version {meta.get('version')} is not supported (expected {VERSION})")
        with np.load(io.BytesIO(zf.read("arrays.npz")), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        return _build(meta["transformer"], arrays, zf, fitted=True)

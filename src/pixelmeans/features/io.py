"""Save and load fitted feature transformers (one zip file; written through fileio).

File layout (a zip archive of stored, uncompressed members; any name, ``.pmfeat`` is
suggested):

- ``meta.json``: format name and version, pixelmeans version, and a tree
  ``{"class", "params", "state"}`` describing the transformer; nested fitted stages
  (``AEUMAP``) appear as sub-trees; arrays are referenced by name. A
  ``sklearn.pipeline.Pipeline`` is ``{"class": "Pipeline", "steps": [[name, tree], ...]}``,
  only at the top, its stages before the last :class:`Deskew` or :class:`HOG`.
- ``arrays.npz``: every numeric array (network weights, PCA axes, UMAP's training data,
  embedding and fuzzy graph), loaded with ``allow_pickle=False``.

Nothing in the file is executable: no pickles, only JSON and numeric arrays. Loading
checks the file before trusting it (class names against the transformers below,
parameter names and types against the class's constructor, array dtypes, sizes against
the bytes actually present, shapes against each other) and raises InputError, one
line, for anything that does not fit. Version 1 files held pickled UMAP models and are
refused. Version 2 files gave some transformers ``deskew`` and ``hog`` options; they are
read when those are off, and refused when on (those are Pipelines now).
"""

from __future__ import annotations

import inspect
import io
import json
import math
import os
import re
import zipfile

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from pixelmeans.data.files import npy_member_header
from pixelmeans.errors import InputError
from pixelmeans.features.aeumap import AEUMAP
from pixelmeans.features.autoencoder import AutoencoderFeatures
from pixelmeans.features.contrastive import ContrastiveFeatures
from pixelmeans.features.deskew import Deskew
from pixelmeans.features.hog import HOG
from pixelmeans.features.pca import PCAFeatures
from pixelmeans.features.pixels import PixelFeatures
from pixelmeans.features.umap import UMAPFeatures

FORMAT = "pixelmeans-features"
VERSION = 3
REGISTRY = {cls.__name__: cls for cls in (PixelFeatures, PCAFeatures, AutoencoderFeatures, ContrastiveFeatures,
                                          UMAPFeatures, AEUMAP, Deskew, HOG)}
PREPARATION = (Deskew, HOG)  # the stages a Pipeline may hold before its last one
MAX_META_BYTES = 1 << 20  # parameters only: a few kB in practice
MAX_DEPTH = 3  # a Pipeline holds an AEUMAP, which holds two stages; nothing nests deeper
MAX_STEPS = 8
_STEP_NAME = re.compile(r"^[A-Za-z0-9_.+-]{1,64}$")
_ARRAY_KINDS = "biuf"  # bool, integers, floats: never objects, strings or records


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
    from pixelmeans.features.frozen import FrozenFeatures

    while isinstance(transformer, FrozenFeatures):
        transformer = transformer.features
    return transformer


def _encode(est, prefix: str, arrays: dict) -> dict:
    if isinstance(est, Pipeline):
        steps = [[key, _encode(step, f"{prefix}{key}/", arrays)] for key, step in est.steps]
        _checked_steps([list(pair) for pair in est.steps], "cannot save the Pipeline")
        return {"class": "Pipeline", "steps": steps}
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
            state[key] = {"estimator": _encode(value, ref + "/", arrays)}
        else:
            arrays[ref] = np.asarray(value)
            state[key] = {"array": ref}
    return {"class": name, "params": params, "state": state}


def _checked_steps(steps, where: str) -> list:
    """The ``[name, stage]`` pairs of a Pipeline, checked: 1 to MAX_STEPS, distinct
    plain names, Deskew or HOG before the last stage, each stage's input as wide as the
    previous stage's output."""
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise InputError(f"{where}: a Pipeline holds 1 to {MAX_STEPS} steps")
    names = []
    for pair in steps:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str)
                and _STEP_NAME.match(pair[0]) and "__" not in pair[0]):
            raise InputError(f"{where}: a step must be a [name, transformer] pair with a plain name")
        names.append(pair[0])
    if len(set(names)) != len(names):
        raise InputError(f"{where}: step names must differ")
    if not all(isinstance(step, PREPARATION) for _, step in steps[:-1]):
        raise InputError(f"{where}: only Deskew and HOG stages may come before the last one")
    for (_, step), (_, following) in zip(steps[:-1], steps[1:]):
        width = step._n_features_out if isinstance(step, HOG) else step.n_features_in_
        if getattr(following, "n_features_in_", width) != width:
            raise InputError(f"{where}: the widths of its stages do not fit together")
    return [(key, step) for key, step in steps]


def _encode_unfitted(est, where: str) -> dict:
    name = type(est).__name__
    if REGISTRY.get(name) is not type(est):
        raise InputError(f"cannot save parameter {where}: a {name} is not a pixelmeans feature transformer")
    params = {k: _jsonable(v, f"{where}.{k}") for k, v in est.get_params(deep=False).items()}
    return {"class": name, "params": params}


def _param(cls, key: str, value, depth: int):
    """A saved parameter value, rebuilt and checked against the type of its default."""
    default = inspect.signature(cls).parameters[key].default
    if isinstance(value, dict) and list(value) == ["estimator"]:
        return _build(value["estimator"], None, depth + 1)
    sequence = isinstance(value, list) or (isinstance(value, dict) and list(value) == ["tuple"])
    if sequence and (default is None or isinstance(default, (list, tuple))):
        return _plain(value, f"{cls.__name__}: parameter {key}")
    if not _fits_default(value, default):
        raise InputError(f"saved {cls.__name__}: parameter {key}={value!r} is not a "
                         f"{type(default).__name__} like its default {default!r}")
    return value


def _plain(value, where: str, depth: int = 0):
    """A list, tuple or scalar made of JSON numbers, strings, booleans and None."""
    if isinstance(value, dict) and list(value) == ["tuple"] and isinstance(value["tuple"], list):
        return tuple(_plain(v, where, depth + 1) for v in value["tuple"])
    if isinstance(value, list) and depth < MAX_DEPTH:
        return [_plain(v, where, depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, str)) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise InputError(f"saved {where} is not made of finite numbers, strings, lists or tuples")


def _fits_default(value, default) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if value is None:
        return True  # "not set": the transformers check their parameters where they use them
    if default is None:
        return isinstance(value, (bool, int, float, str))
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _build(tree, arrays: dict | None, depth: int = 0):
    """The transformer a tree describes; fitted (from ``arrays``) unless ``arrays`` is None."""
    if depth == 0 and arrays is not None and isinstance(tree, dict) and tree.get("class") == "Pipeline":
        return _build_pipeline(tree, arrays)
    keys = {"class", "params"} if arrays is None else {"class", "params", "state"}
    if depth > MAX_DEPTH or not isinstance(tree, dict) or set(tree) != keys:
        raise InputError(f"saved features: a transformer entry must hold exactly {sorted(keys)}")
    cls = REGISTRY.get(tree["class"]) if isinstance(tree["class"], str) else None
    if cls is None:
        raise InputError(f"saved features: unknown transformer class {tree['class']!r}")
    params = tree["params"]
    names = set(cls._get_param_names())
    if not isinstance(params, dict) or set(params) != names:
        raise InputError(f"saved {cls.__name__}: parameters must be {sorted(names)}")
    est = cls(**{k: _param(cls, k, v, depth) for k, v in params.items()})
    if arrays is None:
        return est
    if not isinstance(tree["state"], dict):
        raise InputError(f"saved {cls.__name__}: state must be an object")
    state = {key: _state_value(cls, key, ref, arrays, depth) for key, ref in tree["state"].items()}
    try:
        est._set_state(state)
    except KeyError as err:
        raise InputError(f"saved {cls.__name__}: state has no {err}") from None
    except (ValueError, TypeError, IndexError, RuntimeError) as err:
        # InputError is a ValueError: keep the specific message when there is one
        if isinstance(err, InputError):
            raise
        raise InputError(f"saved {cls.__name__}: state does not fit its parameters "
                         f"({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None
    return est


def _build_pipeline(tree: dict, arrays: dict) -> Pipeline:
    steps = tree.get("steps")
    if set(tree) != {"class", "steps"} or not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise InputError(f"saved features: a Pipeline entry must hold exactly ['class', 'steps'], "
                         f"1 to {MAX_STEPS} steps")
    built = []
    for pair in steps:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise InputError("saved Pipeline: a step must be a [name, transformer] pair")
        built.append([pair[0], _build(pair[1], arrays, 1)])
    return Pipeline(_checked_steps(built, "saved Pipeline"))


def _state_value(cls, key: str, ref, arrays: dict, depth: int):
    if isinstance(ref, dict) and list(ref) == ["estimator"]:
        return _build(ref["estimator"], arrays, depth + 1)
    if isinstance(ref, dict) and list(ref) == ["array"] and isinstance(ref["array"], str):
        if ref["array"] not in arrays:
            raise InputError(f"saved {cls.__name__}: state {key} names a missing array {ref['array']!r}")
        return arrays[ref["array"]]
    raise InputError(f"saved {cls.__name__}: state {key} is neither an array nor a transformer")


def save_features(transformer, path: str | os.PathLike) -> None:
    """Save a fitted feature transformer to ``path`` (one zip file, written atomically).

    ``transformer``: a fitted PixelFeatures, PCAFeatures, AutoencoderFeatures,
    ContrastiveFeatures, UMAPFeatures, AEUMAP, Deskew or HOG, a Pipeline of Deskew and
    HOG stages and one of them (only its steps are saved), or a FrozenFeatures around
    one. Its parameters (the configuration) and its fitted state are stored;
    ``load_features`` gives back an equivalent transformer whose ``transform`` returns
    identical features.
    """
    from pixelmeans import fileio

    est = _unwrap(transformer)
    arrays: dict = {}
    tree = _encode(est, "", arrays)
    from pixelmeans import __version__

    meta = {"format": FORMAT, "version": VERSION, "pixelmeans": __version__, "transformer": tree}
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("meta.json", json.dumps(meta, indent=1, sort_keys=True))
        zf.writestr("arrays.npz", npz.getvalue())
    fileio.write_bytes(path, buf.getvalue())


def load_features(path: str | os.PathLike):
    """Load a transformer saved by :func:`save_features`; it is fitted and ready to transform.

    Nothing in the file is executed (see the module notes). Raises InputError when the
    file is missing, is not a pixelmeans features file, was written by an older format,
    or does not hold a consistent transformer; MissingDependencyError when it needs the
    ``[deep]`` extra that is not installed.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from pixelmeans.features import make_features, save_features
    >>> X = np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    >>> t = make_features("deskew+pca:3").fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_features(t, os.path.join(tmp, "pca.pmfeat"))
    ...     same = load_features(os.path.join(tmp, "pca.pmfeat"))
    >>> bool((same.transform(X) == t.transform(X)).all())
    True
    """
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, IsADirectoryError, OSError, ValueError, EOFError) as err:
        raise InputError(f"{path}: not a saved pixelmeans features file ({err})") from None
    with zf:
        meta = _read_meta(zf, path)
        try:
            arrays = _read_arrays(_member(zf, "arrays.npz", None))
        except InputError as err:
            raise InputError(f"{path}: {err}") from None
        try:
            return _build(meta["transformer"], arrays)
        except InputError as err:
            raise InputError(f"{path}: {err}") from None


def _member(zf: zipfile.ZipFile, name: str, limit: int | None) -> bytes:
    """A stored member's bytes: never more than the archive holds (no decompression)."""
    try:
        info = zf.getinfo(name)
        if info.compress_type != zipfile.ZIP_STORED:
            raise InputError(f"{name} is compressed; saved features store their members as they are")
        if limit is not None and info.file_size > limit:
            raise InputError(f"{name} is {info.file_size} bytes, more than the {limit} allowed")
        return zf.read(info)
    except KeyError:
        raise InputError(f"not a saved pixelmeans features file (no {name})") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(f"{name} cannot be read ({err})") from None


def _read_meta(zf: zipfile.ZipFile, path) -> dict:
    try:
        meta = json.loads(_member(zf, "meta.json", MAX_META_BYTES))
    except InputError as err:
        raise InputError(f"{path}: {err}") from None
    except (ValueError, RecursionError) as err:
        raise InputError(f"{path}: not a saved pixelmeans features file (meta.json is not valid JSON: "
                         f"{type(err).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(f"{path}: not a saved pixelmeans features file (meta.json names no format {FORMAT!r})")
    if meta.get("version") == 1:
        raise InputError(f"{path}: features file version 1 (it held pickled UMAP models, which pixelmeans "
                         f"no longer loads); fit and save the features again")
    if meta.get("version") == 2 and "transformer" in meta:
        try:
            meta["transformer"] = _from_version_2(meta["transformer"])
        except InputError as err:
            raise InputError(f"{path}: {err}") from None
    elif meta.get("version") != VERSION or "transformer" not in meta:
        raise InputError(f"{path}: features file version {meta.get('version')!r} is not supported "
                         f"(expected {VERSION})")
    return meta


def _from_version_2(tree, depth: int = 0):
    """A version-2 tree without the ``deskew`` and ``hog`` options it gave pixels, PCA,
    UMAP and the encoders (the contrastive encoder keeps ``hog``); InputError when one
    is on: that transformer is a Pipeline now, with nothing saved to rebuild it from."""
    if depth > MAX_DEPTH or not isinstance(tree, dict):
        return tree  # _build refuses it
    tree = dict(tree)
    for part in ("params", "state"):
        if isinstance(tree.get(part), dict):
            tree[part] = {key: {"estimator": _from_version_2(value["estimator"], depth + 1)}
                          if isinstance(value, dict) and list(value) == ["estimator"] else value
                          for key, value in tree[part].items()}
    params = tree.get("params")
    for flag in ("deskew", "hog"):
        if isinstance(params, dict) and flag in params and not (
                flag == "hog" and tree.get("class") == "ContrastiveFeatures"):
            if params.pop(flag) is not False:
                raise InputError(f"features file version 2 with {flag} on (now a Deskew or HOG stage of a "
                                 f"Pipeline); fit and save the features again")
    return tree


def _read_arrays(blob: bytes) -> dict:
    """The arrays of ``arrays.npz``: numeric only, each no larger than its stored bytes, finite."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as inner:
            for info in inner.infolist():
                _check_npy_header(inner, info)
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(f"arrays.npz cannot be read ({type(err).__name__}: {err})") from None
    for name, arr in arrays.items():
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise InputError(f"arrays.npz: {name} holds NaN or infinity")
    return arrays


def _check_npy_header(inner: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
        raise InputError(f"arrays.npz: {info.filename} is not a stored .npy array")
    _, dtype = npy_member_header(inner, info, f"arrays.npz: {info.filename}")
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise InputError(f"arrays.npz: {info.filename} has dtype {dtype}, not a plain number type")

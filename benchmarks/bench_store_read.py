"""Reading an InfiMNIST store: through zarr against straight from its chunk files.

Reads the first ``--chunks`` chunks of the largest cached store three ways: through
zarr (``images[lo:hi]``), through :class:`pixelmeans.data.store.Head` copying each
chunk file into a new array (``mapped=False``: a seek and one read per file), and
through ``Head`` mapping each file into memory (the default); every page of what is
read is touched, as a fit does. Checks that all give the same bytes, and reports wall
and CPU seconds per GB (best of ``--repeat``; later passes find the chunks in the page
cache, as a fit's later steps do).

Writes JSON (default ``benchmarks/results/store-read-<date>-<commit>.json``).

    .venv/bin/python benchmarks/bench_store_read.py --chunks 16
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from provenance import provenance, result_name, write_result


def timed(read, n_chunks, step):
    wall, cpu = time.perf_counter(), time.process_time()
    for c in range(n_chunks):
        rows = read(c * step, (c + 1) * step)
        int(rows.reshape(-1)[::4096].sum())  # a byte of every page: a mapping reads here
        del rows
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()

    from pixelmeans.data.infimnist import _find_store
    from pixelmeans.data.store import Head, open_store

    size, path = _find_store(None, None)
    images, _, _ = open_store(path)
    step = int(images.chunks[0])
    n_chunks = min(args.chunks, size // step)
    copied = Head(images, size, path / "images", mapped=False)
    direct = Head(images, size, path / "images")
    gb = n_chunks * step * int(np.prod(images.shape[1:])) / 1e9
    res = dict(provenance(), store=str(path.name), chunks=n_chunks, gigabytes=gb,
               load_average=os.getloadavg())
    ways = (("zarr", lambda lo, hi: images[lo:hi]), ("files", lambda lo, hi: copied[lo:hi]),
            ("files_mapped", lambda lo, hi: direct[lo:hi]))
    for name, read in ways:
        runs = [timed(read, n_chunks, step) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r[1])
        res[name] = dict(wall_seconds_per_gb=best[0] / gb, cpu_seconds_per_gb=best[1] / gb)
        print(f"{name}: {best[0] / gb:.2f} s wall, {best[1] / gb:.2f} s CPU per GB")
    lo = (n_chunks - 1) * step
    res["same_bytes"] = bool(np.array_equal(images[lo:lo + step], copied[lo:lo + step])
                             and np.array_equal(images[lo:lo + step], direct[lo:lo + step]))
    res["cpu_ratio"] = res["zarr"]["cpu_seconds_per_gb"] / res["files"]["cpu_seconds_per_gb"]
    res["cpu_ratio_mapped"] = (res["files"]["cpu_seconds_per_gb"]
                               / res["files_mapped"]["cpu_seconds_per_gb"])
    print(f"same bytes: {res['same_bytes']}; zarr costs {res['cpu_ratio']:.1f}x the CPU of "
          f"copying the files, copying {res['cpu_ratio_mapped']:.1f}x that of mapping them")
    out = write_result(Path(args.out) if args.out else result_name("store-read"), res)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

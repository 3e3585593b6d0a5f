"""Time `pixelmeans --help`: how long the command takes to answer before any work.

Each measurement is a fresh process (interpreter start, imports, argument parsing), as
a user typing the command feels it; the median of ``--repeat`` runs (default 5) is
reported against the target of 0.5 s (the exit status is 1 above it). The figures are
also written as JSON (default ``benchmarks/results/cli-<date>-<commit>.json``) with the
commit, machine, library versions and command line (``provenance.py``).

    .venv/bin/python benchmarks/bench_cli.py [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from provenance import provenance, result_name, write_result

TARGET_SECONDS = 0.5


def command() -> list[str]:
    """The installed ``pixelmeans`` script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("pixelmeans")
    if script.is_file():
        return [str(script)]
    found = shutil.which("pixelmeans")
    return [found] if found else [sys.executable, "-m", "pixelmeans"]


def wall_times(cmd: list[str], repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` fresh runs of ``cmd --help``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([*cmd, "--help"], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes to time (default: 5)")
    parser.add_argument("--json", help="JSON file (default benchmarks/results/cli-<date>-<commit>.json)")
    args = parser.parse_args()
    cmd = command()
    times = wall_times(cmd, args.repeat)
    median = statistics.median(times)
    print(f"{' '.join(cmd)} --help: median {median:.3f} s of {len(times)} "
          f"(min {min(times):.3f}, max {max(times):.3f}); target < {TARGET_SECONDS} s")
    written = write_result(Path(args.json) if args.json else result_name("cli"),
                           dict(provenance(), help_seconds_median=median, help_seconds=times,
                                target_seconds=TARGET_SECONDS))
    print(f"wrote {written}")
    return 0 if median < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

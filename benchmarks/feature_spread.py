"""The spread over seeds of one recipe, from the result files of ``bench_features.py``.

    .venv/bin/python benchmarks/feature_spread.py --dataset mnist --features hog+umap \
        benchmarks/results/features-2026-12-03-spread.json [more files ...]

Prints one line per run of the recipe found in the files (seed, Hungarian accuracy,
NMI, wall seconds, date, commit, CPU, file), then the spread of the Hungarian accuracy
(min-max and mean) and the means of NMI and wall time over those runs. A file from
before per-row provenance gives its file-level date and machine, and no commit. Nothing
is measured here: the lines are what the files hold.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def runs(paths, dataset: str, features: str) -> list[dict]:
    """Every row of ``dataset`` and ``features`` in the files, with its provenance."""
    out = []
    for path in paths:
        doc = json.loads(Path(path).read_text())
        for row in doc["runs"]:
            if row["dataset"] != dataset or row["features"] != features:
                continue
            prov = row.get("provenance") or doc
            machine = prov.get("machine")
            cpu = machine.get("cpu") if isinstance(machine, dict) else machine
            out.append({**row, "date": prov.get("date"), "commit": prov.get("commit"), "cpu": cpu,
                        "command": prov.get("command"), "file": Path(path).name})
    return sorted(out, key=lambda r: (r["seed"], r["file"]))


def spread(rows: list[dict]) -> dict:
    """n, min, max and mean Hungarian accuracy, mean NMI and mean wall seconds."""
    acc = np.array([r["hungarian_accuracy"] for r in rows])
    return {"n": len(rows), "seeds": sorted({r["seed"] for r in rows}), "min": float(acc.min()),
            "max": float(acc.max()), "mean": float(acc.mean()),
            "nmi": float(np.mean([r["nmi"] for r in rows])),
            "wall_seconds": float(np.mean([r["wall_seconds"] for r in rows]))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--features", required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    rows = runs(args.files, args.dataset, args.features)
    if not rows:
        print(f"no run of {args.features} on {args.dataset} in these files", file=sys.stderr)
        return 1
    for r in rows:
        print(f"seed {r['seed']}  hungarian {r['hungarian_accuracy']:.4f}  nmi {r['nmi']:.4f}  "
              f"wall {r['wall_seconds']:.0f} s  {r['date']}  {r['commit'] or 'no commit recorded'}  "
              f"{r['cpu']}  {r['file']}")
    s = spread(rows)
    print(f"{s['n']} runs, seeds {' '.join(map(str, s['seeds']))}: hungarian {s['min']:.4f}-{s['max']:.4f}, "
          f"mean {s['mean']:.4f}; mean nmi {s['nmi']:.4f}; mean wall {s['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

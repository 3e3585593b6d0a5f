"""How far InfiMNIST's deformed copies are from MNIST's digits, and a picture of them.

* A grid (``docs/images/infimnist-deformations.png``): one training digit of each class
  (the first of its class), then copies 1.. of it, as ``pixelmeans fetch infimnist``
  generates them (seed 0).
* The mean absolute pixel change (0..255) between a copy and its original, and the
  fraction of pixels that change by more than 64, over copies 1..C of all 60,000
  training digits.
* A nearest-centroid check: k-means (k = 10 and 256, k-means++, seed 0) fitted on the
  60,000 originals, each centroid named by the majority label of its members; the
  accuracy of those names on the originals, on the deformed copies and on MNIST's test
  digits. Deformed copies that still look like their digit are named about as well as
  the originals.
* With ``--components``: the same naming (k = 256) of copy 1 of every third digit
  deformed by each part of the deformation alone (rotation, scale, shear, shift,
  elastic field, thickness), by all of them, and by all but the shift.

Writes JSON (default ``benchmarks/results/infimnist-deformations-<date>-<commit>.json``)
with the commit, machine, versions and command line.

    .venv/bin/python benchmarks/infimnist_deformations.py [--copies 3] [--picture-copies 11]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from provenance import provenance, result_name

ROOT = Path(__file__).resolve().parents[1]


def picture(train, path: Path, n_copies: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pixelmeans.data.infimnist import N_SOURCE, generate

    firsts = [int(np.flatnonzero(train.labels == c)[0]) for c in range(10)]
    fig, axes = plt.subplots(10, n_copies + 1, figsize=((n_copies + 1) * 0.62, 10 * 0.62))
    for r, src in enumerate(firsts):
        idx = src + N_SOURCE * np.arange(n_copies + 1)
        imgs = generate(idx, train.images)
        for c in range(n_copies + 1):
            ax = axes[r, c]
            ax.imshow(imgs[c], cmap="gray_r", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title("original" if c == 0 else f"copy {c}", fontsize=6)
    fig.subplots_adjust(wspace=0.05, hspace=0.05, left=0.01, right=0.99, top=0.96, bottom=0.01)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3, help="deformed copies measured per digit")
    parser.add_argument("--picture-copies", type=int, default=11)
    parser.add_argument("--components", action="store_true",
                        help="also name copies deformed by each part of the deformation alone")
    parser.add_argument("--out")
    args = parser.parse_args()

    from pixelmeans import KMeans
    from pixelmeans.data.infimnist import N_SOURCE, generate
    from pixelmeans.data.load import load_dataset

    train = load_dataset("mnist", split="train")
    test = load_dataset("mnist", split="test")
    picture(train, ROOT / "docs" / "images" / "infimnist-deformations.png", args.picture_copies)

    orig = train.images.reshape(N_SOURCE, -1)
    copies = generate(np.arange(N_SOURCE, N_SOURCE * (args.copies + 1)), train.images)
    copies = copies.reshape(len(copies), -1)
    diff = np.abs(copies.astype(np.int16) - np.tile(orig, (args.copies, 1)).astype(np.int16))
    res = dict(provenance(), copies=args.copies,
               mean_abs_pixel_change=float(diff.mean()),
               fraction_pixels_changed_over_64=float((diff > 64).mean()),
               mean_ink_original=float(orig.mean()), mean_ink_copies=float(copies.mean()))
    del diff
    truth_copies = np.tile(train.labels, args.copies)
    res["nearest_centroid"] = []
    for k in (10, 256):
        km = KMeans(k, random_state=0, n_init=1).fit(orig)
        table = np.zeros((k, 10), dtype=np.int64)
        np.add.at(table, (km.labels_, train.labels), 1)
        name = table.argmax(axis=1)
        row = dict(k=k,
                   originals=float(np.mean(name[km.labels_] == train.labels)),
                   deformed_copies=float(np.mean(name[km.predict(copies)] == truth_copies)),
                   mnist_test=float(np.mean(name[km.predict(test.images.reshape(len(test.images), -1))]
                                            == test.labels)))
        res["nearest_centroid"].append(row)
        print(row, flush=True)
    if args.components:  # km, name: the k = 256 fit of the loop above
        from dataclasses import replace

        from pixelmeans.data.infimnist import Deformation

        idx = np.arange(N_SOURCE, 2 * N_SOURCE)[::3]
        truth = train.labels[idx % N_SOURCE]
        full = Deformation()
        none = Deformation(*(0.0 for _ in full.as_array()))
        cases = {f"{f} only": replace(none, **{f: getattr(full, f)}) for f in full.as_dict()}
        cases.update({"all": full, "all but shift": replace(full, shift=0.0)})
        res["components_k256"] = {
            label: float(np.mean(name[km.predict(generate(idx, train.images, deformation=d)
                                                 .reshape(len(idx), -1))] == truth))
            for label, d in cases.items()}
        print(res["components_k256"], flush=True)
    print(json.dumps({k: v for k, v in res.items() if k not in ("machine", "versions")}, indent=2))
    out = Path(args.out) if args.out else result_name("infimnist-deformations")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

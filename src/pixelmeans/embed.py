"""``pixelmeans embed``: fit a feature transformer once and save it for later runs.
"""

from __future__ import annotations

import time
from pathlib import Path

from pixelmeans.errors import InputError

def embed(*, features, dataset="mnist", data=None, split="train", seed=0, out, overwrite=False,
          feature_options=None, echo=print) -> Path:
    """Fit a feature transformer on a data set and save it for ``run --features FILE``.

    Parameters
    ----------
    features : str
        A spec of :func:`pixelmeans.features.make_features` (not a saved path).
    split : {"train", "all"}
        Which images to train on.
    overwrite : bool
        Replace an existing file, but only one that pixelmeans saved (a features file).
    feature_options : dict, optional
        Parameters for :func:`~pixelmeans.features.make_features` (``--set KEY=VALUE``).

    Returns
    -------
    Path of the saved file.
    """
    from pixelmeans.data import load_dataset, load_path
    from pixelmeans.features import make_features, save_features

    out = Path(out)
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder; expected a file name")
    if out.exists() and not overwrite:
        raise InputError(f"--out {out}: exists; pass --overwrite to replace it")
    if out.exists() and not _is_saved_features(out):
        raise InputError(f"--out {out}: is not a features file pixelmeans saved; refusing to replace it")
    if not out.parent.exists():
        raise InputError(f"--out {out}: folder {out.parent} does not exist")
    ds = load_path(data, split=split) if data else load_dataset(dataset, split=split)
    transformer = make_features(features, random_state=seed, **(feature_options or {}))
    echo(f"{ds.name}: fitting {features} on {len(ds.images)} images")
    start = time.perf_counter()
    transformer.fit(ds.images.reshape(len(ds.images), -1))
    save_features(transformer, out)
    echo(f"saved in {time.perf_counter() - start:.1f} s: {out} "
         f"(use it with: pixelmeans run --features {out})")
    return out


def _is_saved_features(path: Path) -> bool:
    """Whether ``path`` is a zip whose meta.json names the saved-features format."""
    import json
    import zipfile

    from pixelmeans.features.io import FORMAT

    try:
        with zipfile.ZipFile(path) as zf:
            meta = json.loads(zf.read("meta.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT

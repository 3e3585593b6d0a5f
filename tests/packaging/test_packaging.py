"""What a scientific-Python package ships: a licence, type information, a changelog,
one version, and a command line that starts without the numerical stack."""

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import pixelmeans
from pixelmeans.cli import main

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_is_the_installed_metadata(capsys):
    installed = metadata.version("pixelmeans")
    assert pixelmeans.__version__ == installed
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"pixelmeans {installed}"


def test_the_version_is_written_in_pyproject_only():
    assert PYPROJECT["project"]["version"] == metadata.version("pixelmeans")
    assert "version" not in PYPROJECT["project"].get("dynamic", [])
    init = (ROOT / "src" / "pixelmeans" / "__init__.py").read_text(encoding="utf-8")
    assert re.search(r'__version__ = "\d+\.\d+', init) is None


def test_the_changelog_has_a_section_for_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert f"## [{pixelmeans.__version__}]" in text


def test_the_licence_file_is_the_licence_pyproject_names():
    assert PYPROJECT["project"]["license"] == "BSD-3-Clause"
    assert "LICENSE" in PYPROJECT["project"]["license-files"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License")
    assert "Copyright (c) the pixelmeans developers" in text
    assert "Neither the name of the copyright holder" in text


def test_type_information_ships_with_the_package():
    assert (ROOT / "src" / "pixelmeans" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["pixelmeans"]


def test_lazy_re_exports_resolve():
    for name in pixelmeans.__all__:
        assert getattr(pixelmeans, name) is not None
    assert pixelmeans.KMeans.__module__ == "pixelmeans.cluster.estimator"
    assert set(pixelmeans.__all__) <= set(dir(pixelmeans))
    with pytest.raises(AttributeError, match="no_such_name"):
        pixelmeans.no_such_name


HEAVY = ("sklearn", "numba", "matplotlib", "torch", "scipy", "umap", "zarr")

_PROBE = """
import contextlib, io, json, sys
import pixelmeans.cli
parser = pixelmeans.cli.build_parser()
for argv in (["--help"], ["run", "--help"], ["sweep", "--help"], ["--version"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        pixelmeans.cli.main(argv)
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def test_the_command_line_starts_without_the_numerical_stack():
    probe = _PROBE.format(heavy=repr(HEAVY))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []

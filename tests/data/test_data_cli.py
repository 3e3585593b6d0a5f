"""`pixelmeans datasets` and `pixelmeans fetch`: output and exit codes."""

import os

import pytest

from pixelmeans.cli import main


def test_datasets_lists_every_known_set(data_home, capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist", "fashion-mnist", "kmnist", "emnist-letters", "emnist-balanced", "emnist-digits"):
        assert f"\n{name} " in out
    assert out.startswith("name") and "test split bundled" in out and str(data_home) in out


def test_datasets_shows_a_cached_set(mnist_home, capsys):
    assert main(["datasets", "--data-dir", str(mnist_home)]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("mnist "))
    assert line.split()[1] == "yes" and str(mnist_home / "mnist") in line


def test_fetch_verifies_a_cached_set(mnist_home, no_network, capsys):
    assert main(["fetch", "mnist", "--data-dir", str(mnist_home)]) == 0
    out = capsys.readouterr().out
    assert "mnist: 4 files verified in" in out and "train-images-idx3-ubyte.gz" in out


def test_fetch_unknown_name_suggests_and_exits_2(capsys):
    assert main(["fetch", "mnsit"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pixelmeans: error: unknown data set 'mnsit'; did you mean 'mnist'?")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_fetch_unknown_name_with_debug_shows_the_exception():
    from pixelmeans.errors import InputError

    with pytest.raises(InputError):
        main(["--debug", "fetch", "mnsit"])


def test_fetch_fashion_without_debian_package_says_what_to_do(data_home, no_network, monkeypatch, capsys):
    from data_helpers import patch_entry

    patch_entry(monkeypatch, "fashion-mnist", system_dirs=(str(data_home / "not-installed"),))
    assert main(["fetch", "fashion-mnist"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install dataset-fashion-mnist" in err and str(data_home / "fashion-mnist") in err
    assert err.count("\n") == 1
    assert not data_home.exists() or not any(p.is_file() for p in data_home.rglob("*"))


def test_fetch_fashion_from_debian_package(tmp_path, no_network, capsys):
    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    assert main(["fetch", "fashion-mnist", "--data-dir", str(tmp_path / "d")]) == 0
    assert "fashion-mnist: 4 files verified" in capsys.readouterr().out
    assert len(list((tmp_path / "d" / "fashion-mnist").iterdir())) == 4

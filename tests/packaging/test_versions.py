"""summary.json's ``versions``: the libraries a result depends on, and the machine."""

from importlib import metadata

from pixelmeans.outputs import cpu_model, versions


def test_versions_record_the_compiler_the_deep_extra_and_the_cpu():
    found = versions()
    assert found["numba"] == metadata.version("numba")
    assert found["torch"] == metadata.version("torch")  # the test extra installs the deep one
    assert found["umap-learn"] == metadata.version("umap-learn")
    assert found["cpu"] == cpu_model() and found["cpu"].strip()
    assert {"pixelmeans", "python", "numpy", "scipy", "scikit-learn", "matplotlib", "platform"} <= set(found)


def test_a_library_that_is_not_installed_is_left_out(monkeypatch):
    real = metadata.version

    def without_torch(name):
        if name == "torch":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", without_torch)
    found = versions()
    assert "torch" not in found and "numba" in found

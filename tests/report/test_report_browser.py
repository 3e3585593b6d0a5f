"""Open generated reports in a real browser (Debian's chromium) and check every image loaded.

Part of ``make test``, which installs chromium when it is missing (``make browser``).
Without chromium this test fails, with a message saying how to install it.
"""

import re

import pytest

from pixelmeans.report import write_run_report, write_sweep_report

from report_helpers import check_in_browser, chromium, run_figures, run_summary, sweep_inputs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def browser():
    exe = chromium()
    if exe is None:
        pytest.fail("Debian's chromium is not installed (looked on PATH and at /usr/bin/chromium); "
                    "run `make browser` (apt-get install chromium) and test again")
    return exe


@pytest.mark.parametrize("page", ["run", "sweep"])
def test_every_image_loads_in_chromium(browser, tmp_path, page):
    path = tmp_path / "report.html"
    if page == "sweep":
        summary, figures = sweep_inputs()
        write_sweep_report(path, summary=summary, figures=figures)
    else:
        labels = page == "run"
        write_run_report(path, summary=run_summary(labels=labels),
                         figures=run_figures(labels=labels))
    html = path.read_text(encoding="utf-8")
    expected = len(re.findall(r"<img\b", html))
    assert expected >= 4

    found = check_in_browser(browser, path, tmp_path)

    assert found["violations"] == [], "the page tried to load something from outside itself"
    assert found["broken"] == [], "images that did not load"
    assert found["total"] == found["loaded"] == expected
    assert not found["overflowing"], "the page is wider than a 1366-pixel window"
    if page == "run":
        assert_shape_pieces_shown(found)


def assert_shape_pieces_shown(found, umap=True):
    """The silhouettes, the distance map, the 2-D maps (UMAP's where ``umap``) and the
    label measures are on screen."""
    shown = " | ".join(found["shown"])
    for words in ("Silhouettes of", "centroids placed by their distances", "PCA map",
                  *(["UMAP map"] if umap else [])):
        assert words in shown, f"{words!r} not among the images shown: {shown}"
    assert "How the clusters lie" in found["headings"]
    for header in ("homogeneity", "completeness", "V-measure", "NMI", "AMI", "ARI"):
        assert header in found["headers"], f"no {header} column: {found['headers']}"


def test_the_browser_check_sees_broken_and_outside_images(browser, tmp_path):
    """Negative control: the probe must notice a corrupt image and one from outside the page."""
    from pixelmeans.report import Section, write_report

    from report_helpers import run_figures

    path = tmp_path / "report.html"
    write_report(path, title="control", sections=[Section("s", figures=[("ok", run_figures(2)["centroids.png"])])])
    html = path.read_text(encoding="utf-8").replace(
        "</footer>", '</footer><img alt="outside" src="https://example.com/x.png">'
                     '<img alt="corrupt" src="data:image/png;base64,iVBORw0KGgo=">', 1)
    path.write_text(html, encoding="utf-8")
    found = check_in_browser(browser, path, tmp_path)
    assert sorted(found["broken"]) == ["corrupt", "outside"]
    assert any("example.com" in v for v in found["violations"])

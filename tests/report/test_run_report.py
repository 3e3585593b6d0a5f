import re

from pixelmeans.report import write_run_report

from report_helpers import parse, run_figures, run_summary


def headings(html):
    return re.findall(r"<h2>(.*?)</h2>", html)


def test_run_report_with_labels(tmp_path):
    path = write_run_report(tmp_path / "report.html", summary=run_summary(), figures=run_figures())
    html = path.read_text(encoding="utf-8")
    assert parse(html).problems == []
    assert headings(html) == ["Centroids", "How the centroids moved", "Clusters against the labels",
                              "How the clusters lie", "What each cluster stands for",
                              "Restarts, settings and timings"]
    assert "k-means on mnist, k = 10" in html
    for number in ("0.5912", "0.5951", "2,353,117", "60,000", "1234567",
                   "0.4876", "0.5091", "0.4979",  # homogeneity, completeness, AMI (train)
                   "Silhouettes of 5,000 training images (a fixed random sample)", "mean 0.062"):
        assert number in html
    for header in ("homogeneity", "completeness", "V-measure", "AMI"):
        assert f">{header}</th>" in html
    assert html.count("data:image/gif") == 1
    # grid, gif, first and last frame, confusion, silhouettes, distance map, PCA and UMAP maps,
    # members
    assert len(re.findall(r"<img\b", html)) == 10
    assert 'class="note"' not in html


def test_run_report_without_labels_says_why(tmp_path):
    html = write_run_report(tmp_path / "r.html", summary=run_summary(labels=False),
                            figures=run_figures(labels=False)).read_text(encoding="utf-8")
    assert "no labels" in html and "confusion" not in html.lower().replace("confusion matrix are left out", "")
    assert "test accuracy" not in html.lower().split("<section")[0]  # no accuracy tiles


def test_run_report_without_animation_says_why(tmp_path):
    html = write_run_report(tmp_path / "r.html", summary=run_summary(),
                            figures=run_figures(animation=False)).read_text(encoding="utf-8")
    assert "--no-animation" in html
    assert "data:image/gif" not in html


def test_run_report_says_which_maps_were_left_out(tmp_path):
    figures = run_figures()
    del figures["embedding_umap.png"]
    summary = run_summary()
    summary["config"]["map"] = "pca"
    html = write_run_report(tmp_path / "r.html", summary=summary, figures=figures).read_text(encoding="utf-8")
    assert "PCA map" in html and "UMAP map of" not in html
    assert "The UMAP map was not drawn (--map pca)." in html
    del figures["embedding.png"]
    summary["config"]["map"] = "none"
    html = write_run_report(tmp_path / "r.html", summary=summary, figures=figures).read_text(encoding="utf-8")
    assert "PCA map" not in html and "The 2-D maps were not drawn (--map none)." in html


def test_run_report_tolerates_a_sparse_summary(tmp_path):
    html = write_run_report(tmp_path / "r.html", summary={}, figures={}).read_text(encoding="utf-8")
    assert parse(html).problems == [] and "<h2>Centroids</h2>" in html


def test_first_and_last_frames_are_picked_by_step_number(tmp_path):
    figures = run_figures(animation=True)
    steps = sorted(n for n in figures if n.startswith("steps/"))
    first, last = figures[steps[0]], figures[steps[-1]]
    for n in steps:
        del figures[n]
    figures["steps/step999.png"], figures["steps/step1000.png"], figures["steps/step000.png"] = figures["centroids.png"], last, first
    html = write_run_report(tmp_path / "r.html", summary=run_summary(), figures=figures).read_text(encoding="utf-8")
    import base64
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    decoded = [base64.b64decode(u) for u in uris]
    assert decoded.index(first) < decoded.index(last)  # step000 first, step1000 (not step999) last

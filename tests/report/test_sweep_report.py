import re

from pixelmeans.report import write_sweep_report

from report_helpers import parse, sweep_inputs


def test_sweep_report(tmp_path):
    summary, figures = sweep_inputs(ks=(5, 7, 10, 12, 16, 20))
    html = write_sweep_report(tmp_path / "report.html", summary=summary,
                              figures=figures).read_text(encoding="utf-8")
    assert parse(html).problems == []
    assert "k-means sweep on mnist, k = 5 to 20" in html
    heads = re.findall(r"<h2>(.*?)</h2>", html)
    assert heads[:3] == ["Inertia against k (the elbow)", "Accuracy against k", "Silhouette and stability"]
    assert "Centroids of the best restart for each k" in heads
    assert re.findall(r"<figcaption>(k = \d+)</figcaption>", html) == ["k = 5", "k = 7", "k = 10", "k = 12", "k = 16", "k = 20"]
    assert len(re.findall(r"<img\b", html)) == len(figures)
    assert "<details><summary>Every restart (30 rows)</summary>" in html
    if summary["knee"] is not None:
        assert f"k = {summary['knee']}." in html


def test_sweep_report_without_labels(tmp_path):
    summary, figures = sweep_inputs(labels=False)
    html = write_sweep_report(tmp_path / "r.html", summary=summary, figures=figures).read_text(encoding="utf-8")
    assert "no labels, so accuracy is left out" in html
    assert "best test accuracy" not in html

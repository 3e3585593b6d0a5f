import base64
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from pixelmeans import plots
from pixelmeans.errors import InputError
from pixelmeans.report import Section, format_cell, render_report, write_report

from report_helpers import parse

EVIL = """<script>alert("x")</script> & 'q' <img src=http://evil.example/x.png>"""


def png(k=2):
    return plots.figure_png_bytes(plots.centroid_grid(np.random.default_rng(0).random((k, 6, 6))), dpi=30)


def test_self_contained_and_well_formed(tmp_path):
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1])
    gif = plots.gif_bytes(plots.evolution_frames([np.zeros((2, 4))] * 3, shape=(2, 2)))
    (tmp_path / "fig.png").write_bytes(png())
    sections = [
        Section("Bytes", "one", figures=[("a png", png()), ("a gif", gif)]),
        Section("Path and Figure", "two", figures=[("from a file", tmp_path / "fig.png"),
                                                   ("from str path", str(tmp_path / "fig.png")),
                                                   ("a matplotlib figure", fig)]),
        Section("Tables", tables=[("t", ["a", "b"], [[1, "x"], [2.5, None]])]),
    ]
    html = render_report(title="T", sections=sections, summary={"n": 3})
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", html)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "@import" not in html and "url(" not in html
    tags = parse(html)
    assert tags.problems == []
    srcs = [a["src"] for t, a in tags.tags if t == "img"]
    assert len(srcs) == 5 and all(s.startswith(("data:image/png;base64,", "data:image/gif;base64,")) for s in srcs)
    assert base64.b64decode(srcs[0].split(",", 1)[1]) == png()
    hrefs = [a["href"] for t, a in tags.tags if "href" in a]
    assert hrefs and all(h.startswith("#") for h in hrefs)
    ids = {a["id"] for t, a in tags.tags if "id" in a}
    assert {h[1:] for h in hrefs} <= ids
    csp = [a for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]


def test_user_text_is_escaped_everywhere():
    sections = [Section(EVIL, EVIL, figures=[(EVIL, png())], tables=[(EVIL, [EVIL], [[EVIL]])], note=EVIL)]
    html = render_report(title=EVIL, subtitle=EVIL, summary={EVIL: EVIL}, sections=sections, footer=EVIL)
    assert "<script" not in html.lower()
    assert "evil.example" in html  # it is there, as text ...
    tags = parse(html)
    assert tags.problems == []
    assert [t for t, _ in tags.tags].count("img") == 1  # ... not as an element
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;") >= 9


def test_text_paragraphs_and_note():
    html = render_report(title="t", sections=[Section("h", "first  para\nstill first\n\nsecond", note="why")])
    assert "<p>first para still first</p>" in html and "<p>second</p>" in html
    assert '<p class="note">why</p>' in html


def test_pixel_art_enlarged_colour_figures_not():
    grey = plots.image_png(np.eye(8), scale=4)  # 32 px wide, grey
    html = render_report(title="t", sections=[Section("h", figures=[("g", grey), ("c", png()),
                                                                     ("fixed", grey, 50)])])
    imgs = re.findall(r"<img [^>]*>", html)
    assert 'class="pixel"' in imgs[0] and 'style="width:128px"' in imgs[0]  # 4x at most
    assert "pixel" not in imgs[1] and "style" not in imgs[1]
    assert 'style="width:50px"' in imgs[2]
    assert 'width="32" height="32"' in imgs[0]


def test_long_tables_fold_and_numbers_align():
    rows = [[i, f"c{i}", i / 7] for i in range(40)]
    html = render_report(title="t", sections=[Section("h", tables=[("many", ["n", "name", "x"], rows)])])
    assert "<details><summary>many (40 rows)</summary>" in html
    assert '<th scope="col" class="num">n</th>' in html and '<th scope="col">name</th>' in html
    assert '<td class="num">0.1429</td>' in html
    with pytest.raises(InputError, match="row 0"):
        render_report(title="t", sections=[Section("h", tables=[("bad", ["a", "b"], [[1]])])])


def test_duplicate_headings_get_distinct_anchors():
    html = render_report(title="t", sections=[Section("Same"), Section("Same"), Section("Same!")])
    assert re.findall(r'<section id="([^"]+)"', html) == ["same", "same-2", "same-3"]


@pytest.mark.parametrize("value, text", [
    (None, "—"), (float("nan"), "—"), (True, "yes"), (np.bool_(False), "no"), (60000, "60,000"),
    (np.int64(7), "7"), (0.59123, "0.5912"), (12.3456, "12.35"), (2.0, "2.000"), (2353117.25, "2,353,117"),
    (0.0, "0.0000"), (1.5e-5, "1.5e-05"), (float("inf"), "∞"), ("mnist", "mnist"), ([1, 2], "[1, 2]"),
])
def test_format_cell(value, text):
    assert format_cell(value) == text


def test_bad_figures_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="not a PNG"):
        render_report(title="t", sections=[Section("h", figures=[("x", b"hello")])])
    with pytest.raises(InputError, match="cannot read"):
        render_report(title="t", sections=[Section("h", figures=[("x", tmp_path / "missing.png")])])
    with pytest.raises(InputError, match="caption, image"):
        render_report(title="t", sections=[Section("h", figures=[png()])])
    with pytest.raises(InputError, match="Section"):
        render_report(title="t", sections=["not a section"])


def test_write_report_is_atomic_and_utf8(tmp_path):
    path = write_report(tmp_path / "report.html", title="Ünïcödé · k = 10", sections=[Section("h", "é")])
    assert path == tmp_path / "report.html"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    text = path.read_bytes().decode("utf-8")
    assert '<meta charset="utf-8">' in text and "Ünïcödé · k = 10" in text

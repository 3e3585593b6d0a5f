"""The report page: one self-contained HTML file.

Everything it needs is inside it: the CSS inline, every image a base64 data URI.
It runs no script and fetches nothing; a Content-Security-Policy in the page makes
the browser refuse any outside resource, so a mistake shows up as a missing image,
not as a page that quietly depends on the network. All text given is HTML-escaped
(data set names and captions come from users).
"""

from __future__ import annotations

import html
import math
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from pixelmeans import fileio
from pixelmeans.errors import InputError
from pixelmeans.report.embed import embed
from pixelmeans.report.section import Section

#: Tables with more rows than this fold behind a "show" toggle (``<details>``).
FOLD_ROWS = 25
#: Pixel-art images (grey PNGs, GIFs) are shown enlarged by a whole factor (at most 4)
#: to about this many CSS pixels wide, sharp-edged; never wider than the page.
PIXEL_ART_WIDTH = 600

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def format_cell(value: Any) -> str:
    """Format a table or summary value as text (not yet escaped).

    ``None`` and NaN → "—"; bool → "yes"/"no"; integers with thousands separators;
    floats: ``0.5912`` below 1, 4 significant digits up to 1000, ``2,353,123`` above.
    Anything else: ``str(value)``.
    """
    if value is None:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "—"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        a = abs(v)
        if a >= 1000:
            return f"{v:,.0f}"
        if a >= 1:
            return f"{v:#.4g}".rstrip(".")
        if a == 0 or a >= 0.001:
            return f"{v:.4f}"
        return f"{v:.3g}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_))


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _paragraphs(text: str) -> str:
    parts = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join(f"<p>{_esc(' '.join(p.split()))}</p>\n" for p in parts)


def _figure(caption: str, source, width: int | None = None) -> str:
    img = embed(source, caption)
    attrs = [f'src="{img.uri}"', f'alt="{_esc(caption)}"']
    if img.width and img.height:
        attrs.append(f'width="{img.width}" height="{img.height}"')
    if img.pixel_art:
        attrs.append('class="pixel"')
    if width is None and img.pixel_art and img.width:
        factor = max(1, min(4, math.ceil(PIXEL_ART_WIDTH / img.width)))
        width = img.width * factor if factor > 1 else None
    if width is not None:
        attrs.append(f'style="width:{int(width)}px"')
    cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
    return f"<figure><img {' '.join(attrs)}>{cap}</figure>\n"


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    header = [str(h) for h in header]
    rows = [list(r) for r in rows]
    for i, r in enumerate(rows):
        if header and len(r) != len(header):
            raise InputError(f"report table {caption!r}: row {i} has {len(r)} cells, the header {len(header)}")
    width = len(header) if header else max((len(r) for r in rows), default=0)
    numeric = [bool(rows) and all(j < len(r) and (_is_number(r[j]) or r[j] is None) for r in rows)
               for j in range(width)]
    out = ['<div class="table-wrap"><table>']
    if caption:
        out.append(f"<caption>{_esc(caption)}</caption>")
    if header:
        num = ' class="num"'
        cells = "".join(f'<th scope="col"{num if numeric[j] else ""}>{_esc(h)}</th>'
                        for j, h in enumerate(header))
        out.append(f"<thead><tr>{cells}</tr></thead>")
    out.append("<tbody>")
    for r in rows:
        cells = "".join(f'<td class="num">{_esc(format_cell(v))}</td>' if numeric[j] else
                        f"<td>{_esc(format_cell(v))}</td>" for j, v in enumerate(r))
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table></div>\n")
    body = "".join(out)
    if len(rows) > FOLD_ROWS:
        label = f"{caption} ({len(rows)} rows)" if caption else f"table ({len(rows)} rows)"
        return f"<details><summary>{_esc(label)}</summary>{body}</details>\n"
    return body


def _summary(summary) -> str:
    items = list(summary.items()) if isinstance(summary, Mapping) else [tuple(i) for i in summary]
    if not items:
        return ""
    cells = "".join(f"<div><dt>{_esc(k)}</dt><dd>{_esc(format_cell(v))}</dd></div>" for k, v in items)
    return f'<dl class="summary">{cells}</dl>\n'


def _css() -> str:
    return resources.files("pixelmeans.report").joinpath("style.css").read_text(encoding="utf-8")


def render_report(*, title: str, sections: Sequence[Section],
                  summary: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
                  subtitle: str | None = None, footer: str | None = None) -> str:
    """Build the report page as a string (see `write_report`)."""
    from pixelmeans import __version__

    for s in sections:
        if not isinstance(s, Section):
            raise InputError(f"report: sections must be Section objects, got {type(s).__name__}")
    taken: set[str] = set()
    ids = [_slug(s.heading, taken) for s in sections]
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f'<meta name="generator" content="pixelmeans {_esc(__version__)}">\n',
        f"<title>{_esc(title)}</title>\n<style>\n{_css()}</style>\n</head>\n<body>\n<main>\n",
        f"<header><h1>{_esc(title)}</h1>\n",
    ]
    if subtitle:
        parts.append(f'<p class="subtitle">{_esc(subtitle)}</p>\n')
    parts.append("</header>\n")
    if summary is not None:
        parts.append(_summary(summary))
    if len(sections) >= 3:
        links = "".join(f'<li><a href="#{i}">{_esc(s.heading)}</a></li>' for i, s in zip(ids, sections))
        parts.append(f'<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>{links}</ol></nav>\n')
    for sid, s in zip(ids, sections):
        parts.append(f'<section id="{sid}">\n<h2>{_esc(s.heading)}</h2>\n')
        parts.append(_paragraphs(s.text))
        if s.note:
            parts.append(f'<p class="note">{_esc(s.note)}</p>\n')
        if s.figures:
            parts.append('<div class="figures">\n')
            for item in s.figures:
                if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
                    raise InputError(f"report section {s.heading!r}: a figure must be (caption, image) "
                                     "or (caption, image, display width)")
                parts.append(_figure(str(item[0]), item[1], *(item[2:] or (None,))))
            parts.append("</div>\n")
        for item in s.tables:
            if not isinstance(item, (tuple, list)) or len(item) != 3:
                raise InputError(f"report section {s.heading!r}: a table must be (caption, header, rows)")
            parts.append(_table(str(item[0]), item[1], item[2]))
        parts.append("</section>\n")
    foot = footer if footer is not None else f"Written by pixelmeans {__version__}."
    parts.append(f"<footer>{_esc(foot)}</footer>\n</main>\n</body>\n</html>\n")
    return "".join(parts)


def write_report(path: str | os.PathLike, *, title: str, sections: Sequence[Section],
                 summary: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
                 subtitle: str | None = None, footer: str | None = None) -> Path:
    """Write the report: one self-contained HTML file that opens from disk.

    Parameters
    ----------
    path : path-like
        Destination, e.g. ``results/mnist-k10/report.html``; written atomically.
    title : str
        Page title and top heading.
    sections : sequence of Section
        In order. With three or more, a contents list links to each.
    summary : mapping or sequence of (label, value), optional
        Headline numbers shown as tiles under the title (e.g. train accuracy).
        Values are formatted by `format_cell`.
    subtitle : str, optional
        One line under the title (e.g. data set, k, number of images).
    footer : str, optional
        Default: "Written by pixelmeans <version>."

    Returns
    -------
    pathlib.Path
        The file written.
    """
    text = render_report(title=title, sections=sections, summary=summary,
                         subtitle=subtitle, footer=footer)
    path = Path(path)
    fileio.write_text(path, text)
    return path

"""The HTML report: one self-contained page (inline CSS, images as data URIs, no script).

`write_report` writes any page from `Section` objects; `write_run_report` and
`write_sweep_report` build the pages of ``pixelmeans run`` and ``pixelmeans sweep``
from their summary and figures.
"""

from pixelmeans.report.html import format_cell, render_report, write_report
from pixelmeans.report.run_report import write_run_report
from pixelmeans.report.section import Section
from pixelmeans.report.sweep_report import write_sweep_report

__all__ = ["Section", "format_cell", "render_report", "write_report", "write_run_report",
           "write_sweep_report"]

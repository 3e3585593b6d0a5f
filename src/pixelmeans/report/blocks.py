"""Pieces shared by the run and sweep reports: key-value tables, figure lookup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pixelmeans.report.section import TableItem


def key_value_table(caption: str, mapping: Mapping[str, Any] | None,
                    header: tuple[str, str] = ("setting", "value")) -> list[TableItem]:
    """A two-column table of a mapping, or nothing when it is empty.

    Lists and other containers are shown as text (``[5, 7, 10]``).
    """
    if not mapping:
        return []
    rows = []
    for key, value in mapping.items():
        if isinstance(value, (list, tuple, dict, set)):
            value = str(value)
        rows.append([str(key), value])
    return [(caption, list(header), rows)]


def pick(figures: Mapping[str, bytes], name: str, caption: str) -> list[tuple[str, bytes]]:
    """``[(caption, figures[name])]`` when the figure exists, else ``[]``."""
    data = figures.get(name)
    return [(caption, data)] if data else []


def data_description(data: Mapping[str, Any]) -> str:
    """One line about the data: name, image size and split sizes."""
    name = data.get("name", "data")
    shape = data.get("image_shape")
    n_train, n_test = data.get("n_train"), data.get("n_test")
    parts = [str(name)]
    if shape and len(shape) == 2:
        parts.append(f"{shape[0]}×{shape[1]} images")
    if n_train:
        parts.append(f"{n_train:,} training images")
    if n_test:
        parts.append(f"{n_test:,} test images")
    return ", ".join(parts)

"""Build a run's ``report.md`` (experiments and searches): headings, paragraphs, tables, figures.

Example:
    >>> r = Report("Demo")
    >>> r.table([{"alpha": 0.5, "mse": 1.25e-4}])
    >>> print(r.markdown().splitlines()[2])
    | alpha | mse |
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..io import atomic_write_bytes

__all__ = ["Report", "format_value", "markdown_table"]


def format_value(value: Any, digits: int = 4) -> str:
    """Numbers with ``digits`` significant digits (scientific when tiny or huge), text as is."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and not 1e-3 <= abs(value) < 1e5:
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}g}"
    return str(value).replace("|", "\\|")


def markdown_table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None, digits: int = 4
) -> str:
    """A GitHub-flavoured markdown table of dict rows (columns default to the first row's keys)."""
    rows = list(rows)
    if columns is None:
        columns = list(rows[0]) if rows else []
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        cells = (format_value(row.get(c, ""), digits) for c in columns)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


class Report:
    """A markdown document assembled block by block and written atomically."""

    def __init__(self, title: str) -> None:
        self.blocks: list[str] = [f"# {title}"]

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(f"{'#' * level} {text}")

    def paragraph(self, text: str) -> None:
        self.blocks.append(text.strip())

    def bullets(self, items: Iterable[str]) -> None:
        self.blocks.append("\n".join(f"- {item}" for item in items))

    def table(
        self,
        rows: Iterable[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        digits: int = 4,
    ) -> None:
        self.blocks.append(markdown_table(rows, columns, digits))

    def image(self, path: str | os.PathLike, alt: str = "", base: str | os.PathLike | None = None):
        """Link a figure; ``base`` (the report's folder) makes the link relative."""
        path = Path(path)
        if base is not None:
            with contextlib.suppress(ValueError):
                path = path.relative_to(base)
        self.blocks.append(f"![{alt or path.stem}]({path.as_posix()})")

    def markdown(self) -> str:
        return "\n\n".join(self.blocks) + "\n"

    def write(self, path: str | os.PathLike) -> Path:
        return atomic_write_bytes(path, self.markdown().encode())

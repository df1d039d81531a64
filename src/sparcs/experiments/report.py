"""Alias of :mod:`sparcs.report`, where ``Report`` lives (searches use it too, and they sit below
the experiments). Kept so that ``from ..report import Report`` inside ``sparcs.experiments``
keeps working."""

from ..report import Report, format_value, markdown_table

__all__ = ["Report", "format_value", "markdown_table"]

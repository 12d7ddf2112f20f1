"""Rows for a terminal: a Rich table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table


def rows_to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str) -> Table:
    """A Rich table of rows; numbers right-aligned with thousands separators."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        table.add_row(*[_human(row.get(column)) for column in columns])
    return table


def _human(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)

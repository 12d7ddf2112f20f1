"""Rows for tools: CSV safe to open in a spreadsheet, and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from lifecycle_metrics.io.cells import safe_cell
from lifecycle_metrics.render.values import plain_value


def rows_to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """CSV text with a header; text cells neutralised for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(plain_value(row.get(column))) for column in columns])
    return buffer.getvalue()


def rows_to_json(rows: Iterable[dict[str, Any]]) -> str:
    """A JSON array of row objects (null where undefined)."""
    return json.dumps(list(rows), ensure_ascii=False, indent=1)

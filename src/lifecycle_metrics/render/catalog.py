"""The metric catalog as a listing: plain rows, a terminal table, a Markdown page."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from lifecycle_metrics.metrics.spec import Metric, Registry
from lifecycle_metrics.render.tables import rows_to_table

TABLE_COLUMNS = ("id", "stage", "kind", "unit", "needs", "dimensions")


def catalog_rows(catalog: Registry) -> list[dict[str, Any]]:
    """One plain dict per metric, for listings and docs."""
    return [_metric_row(metric) for metric in catalog]


def _metric_row(metric: Metric) -> dict[str, Any]:
    return {
        "id": metric.id,
        "stage": metric.stage.value,
        "kind": metric.kind.value,
        "unit": metric.unit.value,
        "better": metric.better.value,
        "question": metric.question,
        "definition": metric.definition,
        "needs": list(metric.needs),
        "dimensions": list(metric.dimensions),
    }


def catalog_table(catalog: Registry) -> Table:
    """The catalog for a terminal: one line per metric, its tables and dimensions joined."""
    rows = catalog_rows(catalog)
    listing = [
        {
            **row,
            "needs": ", ".join(row["needs"]),
            "dimensions": ", ".join(row["dimensions"]) or "—",
        }
        for row in rows
    ]
    return rows_to_table(listing, TABLE_COLUMNS, f"{len(rows)} metrics")


def catalog_markdown(catalog: Registry) -> str:
    """The catalog as a Markdown page, stage by stage."""
    lines = [
        "# Metric definitions",
        "",
        "Generated from the catalog (`lifecycle catalog --format markdown`); do not edit by hand.",
        "The rules every metric shares (months, time zones, `as_of`, internal contacts, empty",
        "values) are in [rules.md](rules.md).",
        "",
    ]
    current = None
    for metric in catalog:
        if metric.stage != current:
            current = metric.stage
            lines += [f"## {metric.stage.value.title()}", ""]
        dims = ", ".join(f"`{d}`" for d in metric.dimensions) or "total only"
        lines += [
            f"### `{metric.id}` — {metric.kind.value}, {metric.unit.value}",
            "",
            f"*{metric.question}*",
            "",
            metric.definition,
            "",
            f"- tables needed: {', '.join(f'`{t}`' for t in metric.needs)}",
            f"- dimensions: {dims}",
            f"- better when: {metric.better.value}",
            "",
        ]
    return "\n".join(lines)

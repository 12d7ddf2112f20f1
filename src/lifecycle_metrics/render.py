"""Render results for people and tools: Rich tables, CSV (formula-safe), JSON, Markdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from rich.table import Table

from lifecycle_metrics.io.cells import safe_cell
from lifecycle_metrics.metrics.spec import Metric, Registry, Unit
from lifecycle_metrics.validate.issues import Level, ValidationReport


def plain_value(value: Any) -> str:
    """A value as text at full precision: empty when undefined, true/false for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


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


def rows_to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str) -> Table:
    """A Rich table of rows; numbers right-aligned with thousands separators."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        table.add_row(*[_human(row.get(column)) for column in columns])
    return table


def human_value(value: float | int | None, unit: Unit) -> str:
    """A value formatted for people by its unit: 12,345 · 23.4% · 1,250.00 · 12.5 d."""
    if value is None:
        return "—"
    if unit is Unit.RATE:
        return f"{value * 100:,.1f}%"
    if unit is Unit.CURRENCY:
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:,.2f}"
    if unit is Unit.DAYS:
        return f"{value:,.1f} d"
    if unit is Unit.SCORE:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def metrics_overview(result: Any, months: int = 3) -> Table:
    """Totals of every metric for the last `months` months, stage by stage (fits 80 columns)."""
    labels = list(result.window.labels[-months:])
    table = Table(title="Lifecycle metrics (totals)", header_style="bold")
    table.add_column("metric", no_wrap=True)
    table.add_column("", no_wrap=True)  # kind: A(ctivity) or O(utcome)
    for label in labels:
        table.add_column(label, justify="right", no_wrap=True)
    values = {
        (row["metric"], row["month"]): row
        for row in result.rows
        if row["dimension"] is None and row["month"] in labels
    }
    stage = None
    for metric in result.metrics:
        if metric.stage != stage:
            stage = metric.stage
            table.add_row(f"[bold]{stage.value.title()}[/bold]", "", *["" for _ in labels])
        cells = []
        for label in labels:
            row = values.get((metric.id, label))
            text = human_value(row["value"], metric.unit) if row else "—"
            cells.append(text + ("*" if row and not row["mature"] else ""))
        table.add_row(f"  {metric.id}", metric.kind.value[0].upper(), *cells)
    table.caption = "A activity · O outcome metric · * immature cohort (window still open)"
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


def validation_table(report: ValidationReport) -> Table:
    """Rows per table, date range and quarantine counts."""
    table = Table(title="Tables", header_style="bold")
    table.add_column("table", no_wrap=True)
    for column in ("rows read", "used", "set aside"):
        table.add_column(column, justify="right")
    table.add_column("first event", no_wrap=True)
    table.add_column("last event", no_wrap=True)
    for stats in report.tables.values():
        table.add_row(
            stats.table,
            f"{stats.rows_read:,}",
            f"{stats.rows_used:,}",
            f"{stats.rows_quarantined:,}",
            (stats.first_event or "")[:10],
            (stats.last_event or "")[:10],
        )
    return table


def issue_lines(report: ValidationReport, level: Level, shown_per_rule: int) -> list[str]:
    """Grouped issue lines: one heading per (table, rule, column), then the first examples."""
    lines: list[str] = []
    for rule in report.rules:
        if rule.level is not level:
            continue
        column = f", column {rule.column}" if rule.column else ""
        lines.append(f"{rule.table}: {rule.rule}{column} — {rule.count:,} row(s)")
        for issue in rule.examples[:shown_per_rule]:
            lines.append(f"  {issue.describe()}")
        hidden = rule.count - min(len(rule.examples), shown_per_rule)
        if hidden > 0:
            lines.append(f"  … and {hidden:,} more")
    return lines

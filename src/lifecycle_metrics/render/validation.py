"""A validation report for a terminal: rows per table, then the issues grouped by rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table

from lifecycle_metrics.validate.issues import Level, ValidationReport


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


def print_report(
    console: Console,
    report: ValidationReport,
    enables: Mapping[str, Sequence[str]],
    shown_per_rule: int,
) -> None:
    """The report: tables, absent ones and what they would enable (`enables`), issues by level."""
    # issue lines quote values from the data: printed literally, never read as markup
    console.print(validation_table(report))
    absent = report.absent(enables)
    if absent:
        console.print("[bold]Tables absent[/bold] (and the metrics they would enable):")
        for name in absent:
            metrics = ", ".join(enables[name]) or "no v1 metric"
            console.print(f"  {name}: {metrics}", highlight=False)
    if report.ignored:
        console.print(
            f"Ignored (not canonical tables): {', '.join(report.ignored)}", highlight=False
        )
    errors = issue_lines(report, Level.ERROR, shown_per_rule)
    warnings = issue_lines(report, Level.WARNING, shown_per_rule)
    if errors:
        console.print(f"[bold red]{report.error_count:,} error(s)[/bold red]")
        for line in errors:
            console.print(line, highlight=False, markup=False)
    if warnings:
        console.print(
            f"[bold yellow]Warnings ({sum(r.count for r in report.warnings):,})[/bold yellow]"
        )
        for line in warnings:
            console.print(line, highlight=False, markup=False)
    if not errors:
        console.print("[green]Valid.[/green]")

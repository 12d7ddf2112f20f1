"""One value as text: for people by its unit, or at full precision for tools."""

from __future__ import annotations

from typing import Any

from lifecycle_metrics.metrics.spec import Unit


def plain_value(value: Any) -> str:
    """A value as text at full precision: empty when undefined, true/false for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


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

"""The monthly lifecycle report: one model, rendered as HTML, terminal, JSON or Markdown."""

from __future__ import annotations

import json

from lifecycle_metrics.report.build import Report, build_report


def render(report: Report, output_format: str) -> str:
    """The report as text in `output_format` (html, json or markdown)."""
    if output_format == "html":
        from lifecycle_metrics.report.html import render_html

        return render_html(report)
    if output_format == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
    if output_format == "markdown":
        from lifecycle_metrics.report.text import render_markdown

        return render_markdown(report)
    raise ValueError(f"unknown report format {output_format!r}")


__all__ = ["Report", "build_report", "render"]

"""The report as one self-contained HTML file: inline styles and SVG, one hashed inline script.

Autoescaping is on for every value; only the SVG made by `charts` (numbers and fixed names) is
inserted as markup. The Content-Security-Policy forbids every outside load, and allows only the
table-sorting script whose hash it carries.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.spec import Unit
from lifecycle_metrics.render.values import human_value
from lifecycle_metrics.report import charts
from lifecycle_metrics.report.build import CHANNEL_COLUMNS, Report
from lifecycle_metrics.report.text import MODEL_SHORT

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th[data-sort]").forEach(function (th, column) {
    var ascending = false;
    th.addEventListener("click", function () {
      ascending = !ascending;
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = th.getAttribute("data-sort") === "num";
      rows.sort(function (a, b) {
        var x = a.cells[column], y = b.cells[column];
        if (numeric) {
          var p = parseFloat(x.getAttribute("data-value"));
          var q = parseFloat(y.getAttribute("data-value"));
          p = isNaN(p) ? -Infinity : p; q = isNaN(q) ? -Infinity : q;
          return ascending ? p - q : q - p;
        }
        return ascending ? x.textContent.localeCompare(y.textContent)
                         : y.textContent.localeCompare(x.textContent);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


MODEL_LABELS = {
    "first_touch": "first touch",
    "last_touch": "last touch",
    "linear": "linear",
    "position_based": "U-shaped",
    "w_shaped": "W-shaped",
    "time_decay": "time decay",
    "markov": "Markov",
}


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def _unit(metric_id: str) -> Unit:
    return CATALOG.get(metric_id).unit if metric_id in CATALOG else Unit.COUNT


def _signed(value: float, metric_id: str) -> str:
    text = human_value(abs(value), _unit(metric_id))
    return ("+" if value >= 0 else "−") + text


def _charts(report: Report, data: dict[str, Any]) -> dict[str, Any]:
    spark = {
        metric_id: charts.sparkline(view["trend"], view["unit"])
        for metric_id, view in data["metrics"].items()
    }
    funnel_steps = [
        {"label": CATALOG.get(s["metric"]).label, "count": s["count"]} for s in report.funnel
    ]
    retention = {
        name: data["metrics"][metric_id]["trend"]
        for metric_id, name in (
            ("churn_rate", "churn"),
            ("gross_revenue_retention", "gross revenue retention"),
            ("net_revenue_retention", "net revenue retention"),
        )
        if metric_id in data["metrics"]
    }
    return {
        "spark": spark,
        "funnel": charts.funnel(funnel_steps),
        "retention": charts.lines(retention, percent=True, title="rate") if retention else "",
        "scores": charts.score_histogram(report.scores["bins"], report.month)
        if report.scores
        else "",
        "nps": charts.nps_split(report.nps["split"]) if report.nps else "",
        "attribution": _attribution_chart(report),
    }


def _attribution_chart(report: Report) -> str:
    acquisition = report.attribution.get("acquisition")
    if not acquisition or not acquisition["deals"]:
        return ""
    shares = {
        row["member"]: {
            MODEL_LABELS[m]: (row["models"][m]["customers"] or 0.0) / acquisition["deals"]
            for m in report.attribution["models"]
        }
        for row in acquisition["channels"]
    }
    return charts.model_shares(shares, list(MODEL_LABELS.values()))


def render_html(report: Report) -> str:
    """The report as a standalone HTML page."""
    env = Environment(
        loader=PackageLoader("lifecycle_metrics.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    data = report.to_dict()
    template = env.get_template("report.html.j2")
    return template.render(
        r=data,
        csp=_csp(SORT_SCRIPT),
        script=SORT_SCRIPT,
        charts=_charts(report, data),
        channel_columns=CHANNEL_COLUMNS,
        fmt=lambda value, metric_id: human_value(value, _unit(metric_id)),
        pct=lambda value: human_value(value, Unit.RATE),
        count=lambda value: human_value(value, Unit.COUNT),
        days=lambda value: human_value(value, Unit.DAYS),
        raw=lambda value: "" if value is None else repr(float(value)),
        label=lambda metric_id: CATALOG.get(metric_id).label,
        signed=_signed,
        model_label=MODEL_LABELS.get,
        model_short=MODEL_SHORT.get,
        credit=lambda value: human_value(value, Unit.SCORE),
    )

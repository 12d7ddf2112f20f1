"""Charts as inline SVG: Altair (Vega-Lite) specs rendered by vl-convert, no script, no network.

Only month labels, numbers and fixed series names go into a chart, never strings from the
data, so an SVG needs no escaping of its own. Colours are the Okabe–Ito palette, which stays
distinguishable for the common kinds of colour blindness.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import vl_convert

BLUE, ORANGE, GREEN, VERMILLION, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#999999"
PALETTE = [BLUE, ORANGE, GREEN, VERMILLION]
FONT = "sans-serif"
BEFORE = "3 months before"


def _svg(chart: alt.TopLevelMixin) -> str:
    svg: str = vl_convert.vegalite_to_svg(chart.to_dict())
    # the XML prolog is not allowed inside HTML
    return svg.split("?>", 1)[1] if svg.startswith("<?xml") else svg


def _configured(chart: Any) -> Any:
    return chart.configure_view(stroke=None).configure_axis(
        labelFont=FONT, titleFont=FONT, labelFontSize=10, titleFontSize=10, grid=False
    )


def sparkline(points: list[dict[str, Any]], unit: str) -> str:
    """A 13-month trend: a line, immature months hollow, the report month emphasised."""
    data = [p for p in points if p["value"] is not None]
    if not data:
        return ""
    values = alt.Data(
        values=[
            {
                "month": p["month"],
                "value": p["value"] * (100 if unit == "rate" else 1),
                "state": "immature" if not p["mature"] else "final",
            }
            for p in data
        ]
    )
    x = alt.X("month:O", axis=None, sort=None)
    y = alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False))
    line = alt.Chart(values).mark_line(color=BLUE, strokeWidth=1.5).encode(x=x, y=y)
    dots = (
        alt.Chart(values)
        .mark_point(size=18, filled=True, color=BLUE)
        .encode(
            x=x,
            y=y,
            fill=alt.Fill(
                "state:N",
                scale=alt.Scale(domain=["final", "immature"], range=[BLUE, "white"]),
                legend=None,
            ),
        )
    )
    chart = (line + dots).properties(width=150, height=34)
    return _svg(_configured(chart).configure(padding=2))


def funnel(steps: list[dict[str, Any]]) -> str:
    """Horizontal bars: leads, MQLs, SQLs, new customers of the month."""
    rows = [{"step": s["label"], "count": s["count"] or 0} for s in steps]
    if not rows:
        return ""
    order = [r["step"] for r in rows]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color=BLUE)
        .encode(
            y=alt.Y("step:N", sort=order, title=None),
            x=alt.X("count:Q", title="contacts / accounts"),
        )
        .properties(width=420, height=28 * len(rows))
    )
    labels = (
        alt.Chart(alt.Data(values=rows))
        .mark_text(align="left", dx=4, font=FONT, fontSize=11)
        .encode(y=alt.Y("step:N", sort=order), x="count:Q", text=alt.Text("count:Q", format=","))
    )
    return _svg(_configured(chart + labels))


def lines(series: dict[str, list[dict[str, Any]]], percent: bool, title: str) -> str:
    """Several monthly series on one chart (e.g. churn, gross and net revenue retention)."""
    rows = [
        {"month": p["month"], "value": p["value"] * (100 if percent else 1), "series": name}
        for name, points in series.items()
        for p in points
        if p["value"] is not None
    ]
    if not rows:
        return ""
    names = list(series)
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title=None, sort=None),
            y=alt.Y("value:Q", title=title + (" (%)" if percent else "")),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=names, range=PALETTE[: len(names)]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
        )
        .properties(width=520, height=160)
    )
    return _svg(_configured(chart))


def score_histogram(bins: list[dict[str, Any]], month: str) -> str:
    """Shares of new leads by score band: the month against the three months before."""
    rows = []
    for b in bins:
        band = f"{b['low']:g}–{b['high']:g}"
        rows.append({"band": band, "share": (b["current_share"] or 0) * 100, "leads": month})
        rows.append({"band": band, "share": (b["before_share"] or 0) * 100, "leads": BEFORE})
    order: list[str] = list(dict.fromkeys(str(r["band"]) for r in rows))
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("band:N", sort=order, title="lead score"),
            xOffset=alt.XOffset("leads:N", sort=[month, "3 months before"]),
            y=alt.Y("share:Q", title="share of new leads (%)"),
            color=alt.Color(
                "leads:N",
                scale=alt.Scale(domain=[month, "3 months before"], range=[BLUE, GREY]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
        )
        .properties(width=520, height=160)
    )
    return _svg(_configured(chart))


def nps_split(split: dict[str, dict[str, int]]) -> str:
    """Promoters, passives and detractors per month, stacked."""
    kinds = ["promoters", "passives", "detractors"]
    rows = [
        {"month": month, "answers": counts[kind], "kind": kind, "order": kinds.index(kind)}
        for month, counts in split.items()
        for kind in kinds
    ]
    if not rows:
        return ""
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=None, sort=None),
            y=alt.Y("answers:Q", title="responses"),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=kinds, range=[GREEN, GREY, VERMILLION]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("order:Q"),
        )
        .properties(width=520, height=160)
    )
    return _svg(_configured(chart))


def model_shares(shares: dict[str, dict[str, float]], models: list[str]) -> str:
    """Each channel's share of new customers under every model, side by side.

    Channel names come from the data: Vega's SVG writer escapes text, and a test holds it to it.
    """
    rows = [
        {"channel": channel, "model": model, "share": share * 100}
        for channel, by_model in shares.items()
        for model, share in by_model.items()
    ]
    if not rows:
        return ""
    palette = [BLUE, ORANGE, GREEN, VERMILLION, "#56B4E9", "#CC79A7", "#F0E442"]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("channel:N", sort=list(shares), title=None),
            xOffset=alt.XOffset("model:N", sort=models),
            y=alt.Y("share:Q", title="share of new customers (%)"),
            color=alt.Color(
                "model:N",
                scale=alt.Scale(domain=models, range=palette[: len(models)]),
                legend=alt.Legend(orient="bottom", title=None, columns=4),
            ),
        )
        .properties(width=620, height=180)
    )
    return _svg(_configured(chart))

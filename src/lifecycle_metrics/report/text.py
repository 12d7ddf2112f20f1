"""The report for a terminal (Rich, within 100 columns) and for a wiki (Markdown).

Strings from the data are never read as markup: Rich gets them as `Text`, Markdown gets them
with its table and HTML characters escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.spec import Unit
from lifecycle_metrics.render.values import human_value
from lifecycle_metrics.report.build import CHANNEL_COLUMNS, Report

BLOCKS = "▁▂▃▄▅▆▇█"
WIDTH = 100


def sparkline(values: list[float | None]) -> str:
    """Unicode block sparkline; a gap for an empty month."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    return "".join(
        " "
        if v is None
        else BLOCKS[min(int((v - low) / span * (len(BLOCKS) - 1) + 0.5), len(BLOCKS) - 1)]
        if span
        else BLOCKS[3]
        for v in values
    )


def _fmt(report: Report, metric_id: str, value: float | None) -> str:
    unit = Unit(report.metrics[metric_id].unit) if metric_id in report.metrics else Unit.COUNT
    return human_value(value, unit)


def _flag_lines(report: Report) -> list[tuple[str, str]]:
    lines = []
    for flag in report.flags:
        text = flag.message
        if flag.driver:
            text += f" — driver: {flag.driver.dimension} {flag.driver.member}"
        lines.append(("▲ " if flag.favourable else "⚠ ", text))
    return lines


def render_terminal(report: Report) -> RenderableType:
    """The report as Rich renderables (tables, sparklines, coloured flags)."""
    parts: list[RenderableType] = []
    for section in TERMINAL_SECTIONS:
        section(report, parts)
    return Group(*parts)


def _terminal_header(report: Report, parts: list[RenderableType]) -> None:
    """Dataset, month, as_of, zone and what is unavailable."""
    header = Text(f"Lifecycle report — {report.month}\n", style="bold")
    header.append(f"{report.dataset} · as of {report.as_of} · time zone {report.tz}", style="dim")
    if report.partial_month:
        header.append(f" · partial month ({report.month_share:.0%})", style="yellow")
    for missing in report.unavailable:
        header.append(f"\nunavailable: {missing['metric']} ({missing['reason']})", style="dim")
    parts.append(Panel(header, width=WIDTH))


def _terminal_flags(report: Report, parts: list[RenderableType]) -> None:
    """Early warnings and the quarter-to-date projections."""
    flags = Text()
    lines = _flag_lines(report)
    if not any(not f.favourable for f in report.flags):
        flags.append("No metric moved against its target or out of its normal range.\n", "green")
    for (mark, line), flag in zip(lines, report.flags, strict=True):
        flags.append(mark + line + "\n", style="blue" if flag.favourable else "bold red")
    for q in report.quarters:
        scope = f"{q.dimension} {q.member}" if q.dimension else "total"
        state = "on track" if q.on_track else "behind"
        flags.append(
            f"{q.label} {q.metric} ({scope}): {_fmt(report, q.metric, q.to_date)} so far, "
            f"projected {_fmt(report, q.metric, q.projection)} against "
            f"{_fmt(report, q.metric, q.target)} — {state}\n",
            style="green" if q.on_track else "red",
        )
    parts.append(Panel(flags, title="Early warnings", width=WIDTH))


def _terminal_headline(report: Report, parts: list[RenderableType]) -> None:
    """The headline strip."""
    headline = Table(box=None, width=WIDTH, show_edge=False)
    for metric_id in report.headline:
        headline.add_column(CATALOG.get(metric_id).label, justify="right", no_wrap=True)
    headline.add_row(
        *[
            Text(
                _fmt(report, m, report.metrics[m].value),
                style="bold red" if report.metrics[m].flagged else "bold",
            )
            for m in report.headline
        ]
    )
    parts.append(headline)


def _terminal_stages(report: Report, parts: list[RenderableType]) -> None:
    """One table per stage, its questions answered by its metrics."""
    for stage in report.stages:
        table = Table(
            title=stage.title, title_style="bold", title_justify="left", width=WIDTH, expand=False
        )
        table.add_column("metric", max_width=36, overflow="fold")
        table.add_column("", no_wrap=True)
        table.add_column(report.month, justify="right", no_wrap=True)
        table.add_column("prev.", justify="right", no_wrap=True)
        table.add_column("year ago", justify="right", no_wrap=True)
        table.add_column("13 months", no_wrap=True)
        table.add_column("target", justify="right", no_wrap=True)
        for question in stage.questions:
            table.add_row(Text(question.question, style="italic dim"), end_section=False)
            for metric_id in question.metrics:
                view = report.metrics[metric_id]
                value = _fmt(report, metric_id, view.value) + ("*" if not view.mature else "")
                target = (
                    f"{_fmt(report, metric_id, view.target)} {view.status}"
                    if view.target is not None
                    else ""
                )
                table.add_row(
                    Text(
                        ("⚠ " if view.flagged else "  ") + metric_id,
                        style="red" if view.flagged else "",
                    ),
                    "O" if view.kind == "outcome" else "A",
                    value,
                    _fmt(report, metric_id, view.previous),
                    _fmt(report, metric_id, view.last_year),
                    sparkline([p.value for p in view.trend]),
                    Text(target, style="red" if view.status == "missed" else "green"),
                )
        parts.append(table)
    parts.append(Text("O outcome · A activity · * immature cohort month", style="dim"))


def _terminal_channels(report: Report, parts: list[RenderableType]) -> None:
    """The channel table."""
    if report.channels:
        channels = Table(title="Channels", title_justify="left", width=WIDTH)
        channels.add_column("channel", no_wrap=True, max_width=18)
        for column in CHANNEL_COLUMNS:
            channels.add_column(CATALOG.get(column).label, justify="right")
        for row in report.channels:
            channels.add_row(
                Text(row["channel"]), *[_fmt(report, c, row[c]) for c in CHANNEL_COLUMNS]
            )
        parts.append(channels)


def _terminal_programs(report: Report, parts: list[RenderableType]) -> None:
    """Nurture programs ranked by click rate."""
    if report.programs:
        programs = Table(title="Nurture programs by click rate", title_justify="left", width=WIDTH)
        for column in ("program", "delivered", "click rate", "unsub. rate", "MQLs touched"):
            programs.add_column(column, justify="left" if column == "program" else "right")
        for p in report.programs:
            programs.add_row(
                Text(p["name"], overflow="ellipsis", no_wrap=True),
                human_value(p["delivered"], Unit.COUNT),
                human_value(p["click_rate"], Unit.RATE),
                human_value(p["unsubscribe_rate"], Unit.RATE),
                human_value(p["mqls_touched"], Unit.COUNT),
            )
        parts.append(programs)


def _terminal_stall(report: Report, parts: list[RenderableType]) -> None:
    """Where leads stall."""
    if report.stall:
        cohort = f" (cohort {report.stall_cohort})" if report.stall_cohort else ""
        stall = Table(title="Where leads stall", title_justify="left", width=WIDTH)
        for column in ("stage", "moved on", "median", "mean", "p90", f"nowhere in 90 d{cohort}"):
            stall.add_column(column, justify="left" if column == "stage" else "right")
        for s in report.stall:
            stall.add_row(
                f"{s['stage']} → {s['next']}",
                human_value(s["contacts"], Unit.COUNT),
                human_value(s["median"], Unit.DAYS),
                human_value(s["mean"], Unit.DAYS),
                human_value(s["p90"], Unit.DAYS),
                human_value(s.get("nowhere_share"), Unit.RATE),
            )
        parts.append(stall)


def _terminal_nps(report: Report, parts: list[RenderableType]) -> None:
    """The NPS split and the latest comments."""
    if report.nps and report.nps["comments"]:
        split = report.nps["split"][report.month]
        comments = Text(
            f"{split['promoters']} promoters · {split['passives']} passives · "
            f"{split['detractors']} detractors\n",
            style="bold",
        )
        for c in report.nps["comments"]:
            comments.append(f"{c['score']:>2} ", style="bold")
            comments.append(str(c["comment"]).replace("\n", " ") + "\n")
        parts.append(Panel(comments, title="NPS: latest comments", width=WIDTH))


def _terminal_customers(report: Report, parts: list[RenderableType]) -> None:
    """The customer accounts in a few sentences."""
    if report.customers:
        parts.append(
            Panel(
                Text("\n".join(customer_lines(report.customers))),
                title="Customer accounts",
                width=WIDTH,
            )
        )


# Model names short enough for a 100-column table, in SPEC order.
MODEL_SHORT = {
    "first_touch": "first",
    "last_touch": "last",
    "linear": "linear",
    "position_based": "U-shape",
    "w_shaped": "W-shape",
    "time_decay": "decay",
    "markov": "markov",
}


def attribution_lines(
    a: dict[str, Any], parts: tuple[str, ...] = ("acquisition", "expansion")
) -> list[str]:
    """The sentences beside the attribution tables: totals and where the models disagree."""
    lines = []
    if "acquisition" in a and "acquisition" in parts:
        acquisition = a["acquisition"]
        lines.append(
            f"{human_value(acquisition['deals'], Unit.COUNT)} new customers won in {a['window']} "
            f"({human_value(acquisition['amount'], Unit.CURRENCY)}); every model credits them all."
        )
        for d in acquisition["disagreements"]:
            lines.append(
                f"Models disagree on {d['member']}: {d['highest'].replace('_', ' ')} credits it "
                f"{human_value(d['high_share'], Unit.RATE)} of new customers, "
                f"{d['lowest'].replace('_', ' ')} {human_value(d['low_share'], Unit.RATE)}."
            )
    if "expansion" in a and "expansion" in parts:
        expansion = a["expansion"]
        lines.append(
            f"{human_value(expansion['deals'], Unit.COUNT)} upsell and cross-sell deals won in "
            f"{a['window']} ({human_value(expansion['amount'], Unit.CURRENCY)})"
            + ("" if expansion["has_customer_campaigns"] else "; no customer campaign is given")
            + "."
        )
    return lines


def _dimension(row: dict[str, Any]) -> str:
    return "activity type" if row["dimension"] == "type" else "campaign"


def lift_lines(lift: dict[str, Any]) -> list[str]:
    """The activities that lift lead scores most, and those with no visible effect."""
    lines = []
    for kind, rows in (("lifts", lift["lifting"]), ("no visible effect", lift["no_effect"])):
        for r in rows:
            # a lift reads "+2.6 points in 7 days"; no effect only its signed mean
            moved = (
                f"+{r['mean_lift']:.1f} points in 7 days"
                if kind == "lifts"
                else f"{r['mean_lift']:+.1f}"
            )
            lines.append(
                f"{kind}: {r['name'] or r['member']} ({_dimension(r)}) {moved} "
                f"(95 % {r['ci_low']:.1f} to {r['ci_high']:.1f}, {r['touches']:,} touches)"
            )
    return lines


def _attribution_table(title: str, members: list[dict[str, Any]], column: str) -> Table:
    table = Table(title=title, title_justify="left", width=WIDTH)
    table.add_column(column, no_wrap=True, max_width=16, overflow="ellipsis")
    for short in MODEL_SHORT.values():
        table.add_column(short, justify="right")
    table.add_column("cost", justify="right")
    table.add_column("ROI (markov)", justify="right")
    for m in members:
        table.add_row(
            Text(m["name"] or m["member"], overflow="ellipsis", no_wrap=True),
            *[human_value(m["models"][model]["customers"], Unit.SCORE) for model in MODEL_SHORT],
            human_value(m["cost"], Unit.CURRENCY),
            human_value(m["models"]["markov"]["roi"], Unit.RATE),
        )
    return table


def _terminal_attribution(report: Report, parts: list[RenderableType]) -> None:
    """Which sources and programs bring customers; which customer programs; which activities."""
    a = report.attribution
    if "acquisition" in a and a["acquisition"]["channels"]:
        parts.append(
            _attribution_table(
                f"New customers credited by channel, {a['window']}",
                a["acquisition"]["channels"],
                "channel",
            )
        )
    if "expansion" in a and a["expansion"]["campaigns"]:
        parts.append(
            _attribution_table(
                f"Expansion deals credited to customer programs, {a['window']}",
                a["expansion"]["campaigns"],
                "program",
            )
        )
    lines = attribution_lines(a) + (lift_lines(a["score_lift"]) if "score_lift" in a else [])
    if lines:
        parts.append(Panel(Text("\n".join(lines)), title="Which programs work", width=WIDTH))


TERMINAL_SECTIONS: tuple[Callable[[Report, list[RenderableType]], None], ...] = (
    _terminal_header,
    _terminal_flags,
    _terminal_headline,
    _terminal_stages,
    _terminal_channels,
    _terminal_programs,
    _terminal_stall,
    _terminal_attribution,
    _terminal_nps,
    _terminal_customers,
)


def customer_lines(c: dict[str, Any]) -> list[str]:
    """The Expand stage's account view in a few plain sentences."""
    money = lambda v: human_value(v, Unit.CURRENCY)  # noqa: E731
    lines = [
        f"{c['accounts']:,} customer accounts, MRR {money(c['mrr'])}; {c['at_risk_accounts']:,} at "
        f"risk (churn risk ≥ 60) holding {money(c['at_risk_mrr'])}.",
        "Advocacy: "
        + ", ".join(
            f"{name}s {v['share']:.1%} (rule of thumb {v['rule_of_thumb']:.0%})"
            for name, v in c["advocacy"].items()
        )
        + ".",
    ]
    m, pr = c["loyalty_is_not_advocacy"], c["profit_is_not_advocacy"]
    rho = pr["spearman_mrr_advocacy"]
    lines.append(
        f"{m['loyal_never_advocate']:,} of {m['loyal_accounts']:,} highly loyal accounts never "
        "advocate; rank correlation of MRR and advocacy "
        + ("not defined." if rho is None else f"{rho:+.2f}.")
    )
    if c["cross_sell"]:
        lines.append(
            "Ready for cross-sell: "
            + "; ".join(f"{x['product']} {x['ready']:,}" for x in c["cross_sell"])
            + "."
        )
    return lines


# Markdown's inline syntax: links and images ([x](…), ![x](…)), emphasis, code, tables,
# strikethrough, headings. Each is escaped with a backslash, which CommonMark allows before any
# ASCII punctuation, so a name like `[x](javascript:…)` stays text.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()|~!#])")


def _md(value: Any) -> str:
    """A data string made safe for a Markdown table cell: no link, markup or HTML survives."""
    text = html.escape(str(value), quote=False)
    return MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")


def _markdown_attribution(members: list[dict[str, Any]], column: str) -> list[str]:
    heads = " | ".join(MODEL_SHORT.values())
    out = [f"| {column} | {heads} | cost | ROI (markov) |", "|---|" + "---:|" * 9]
    for m in members:
        cells = " | ".join(
            human_value(m["models"][model]["customers"], Unit.SCORE) for model in MODEL_SHORT
        )
        out.append(
            f"| {_md(m['name'] or m['member'])} | {cells} | {human_value(m['cost'], Unit.CURRENCY)}"
            f" | {human_value(m['models']['markov']['roi'], Unit.RATE)} |"
        )
    return [*out, ""]


def _markdown_programs(report: Report, stage: str) -> list[str]:
    """Convert's and Expand's attribution tables, Nurture's score lift, in Markdown."""
    a = report.attribution
    out: list[str] = []
    if stage == "convert" and "acquisition" in a and a["acquisition"]["channels"]:
        out += [f"New customers credited by channel under each model, {a['window']}:", ""]
        out += _markdown_attribution(a["acquisition"]["channels"], "channel")
        out += [f"- {_md(line)}" for line in attribution_lines(a, ("acquisition",))]
        out.append("")
    if stage == "expand" and "expansion" in a:
        out += [f"Expansion deals credited to customer programs, {a['window']}:", ""]
        if a["expansion"]["campaigns"]:
            out += _markdown_attribution(a["expansion"]["campaigns"], "program")
        out += [f"- {_md(line)}" for line in attribution_lines(a, ("expansion",))]
        out.append("")
    if stage == "nurture" and "score_lift" in a:
        lines = lift_lines(a["score_lift"])
        out += [f"Lead-score lift in {a['score_lift']['month']}:", ""]
        out += [f"- {_md(line)}" for line in lines] or ["- no activity with enough scored touches"]
        out.append("")
    return out


def render_markdown(report: Report) -> str:
    """The report as Markdown for a wiki."""
    out = [f"# Lifecycle report — {report.month}", ""]
    out.append(f"Dataset {_md(report.dataset)} · data as of {report.as_of} · time zone {report.tz}")
    out.append("")
    out += ["## Early warnings", ""]
    if not report.flags:
        out.append("No metric moved against its target or out of its normal range.")
    for mark, line in _flag_lines(report):
        out.append(f"- {mark}{_md(line)}")
    out.append("")
    out.append("| " + " | ".join(CATALOG.get(m).label for m in report.headline) + " |")
    out.append("|" + "---:|" * len(report.headline))
    out.append(
        "| " + " | ".join(_fmt(report, m, report.metrics[m].value) for m in report.headline) + " |"
    )
    for stage in report.stages:
        out += ["", f"## {stage.title}", ""]
        for question in stage.questions:
            out += [f"*{question.question}*", ""]
            if not question.metrics:
                out += ["No metric of this question can be computed from the tables given.", ""]
                continue
            out.append(
                f"| metric | kind | {report.month} | previous | a year ago | trend | target |"
            )
            out.append("|---|---|---:|---:|---:|---|---:|")
            for metric_id in question.metrics:
                v = report.metrics[metric_id]
                target = f"{_fmt(report, metric_id, v.target)} {v.status}" if v.target else ""
                value = _fmt(report, metric_id, v.value) + ("" if v.mature else " (immature)")
                out.append(
                    f"| `{metric_id}` | {v.kind} | {value} | {_fmt(report, metric_id, v.previous)}"
                    f" | {_fmt(report, metric_id, v.last_year)} | "
                    f"{sparkline([p.value for p in v.trend])} | {target} |"
                )
            out.append("")
        if stage.stage == "convert" and report.channels:
            names = " | ".join(CATALOG.get(c).label for c in CHANNEL_COLUMNS)
            out.append(f"| channel | {names} |")
            out.append("|---|" + "---:|" * len(CHANNEL_COLUMNS))
            for row in report.channels:
                cells = " | ".join(_fmt(report, c, row[c]) for c in CHANNEL_COLUMNS)
                out.append(f"| {_md(row['channel'])} | {cells} |")
            out.append("")
        if stage.stage == "nurture" and report.programs:
            out.append("| program | delivered | click rate | unsubscribe rate | MQLs touched |")
            out.append("|---|---:|---:|---:|---:|")
            for p in report.programs:
                out.append(
                    f"| {_md(p['name'])} | {human_value(p['delivered'], Unit.COUNT)} | "
                    f"{human_value(p['click_rate'], Unit.RATE)} | "
                    f"{human_value(p['unsubscribe_rate'], Unit.RATE)} | {p['mqls_touched']} |"
                )
            out.append("")
        out += _markdown_programs(report, stage.stage)
        if stage.stage == "expand" and report.nps and report.nps["comments"]:
            out += ["Latest NPS comments:", ""]
            for c in report.nps["comments"]:
                out.append(f"> **{c['score']}** · {_md(c['segment'])}: {_md(c['comment'])}")
                out.append(">")
            out.append("")
    if report.customers:
        out += ["## Customer accounts", ""]
        out += [f"- {_md(line)}" for line in customer_lines(report.customers)]
        out.append("")
    out += ["## Definitions", ""]
    for d in report.appendix["definitions"]:
        out.append(f"- `{d['id']}` ({d['kind']}, {d['unit']}): {_md(d['definition'])}")
    out.append("")
    return "\n".join(out)

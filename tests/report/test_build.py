"""The report's model on a hand-made dataset: every panel's numbers worked out by hand.

March 2025, UTC, as of 2025-07-15 (so the March cohort's 90-day window has closed):

  contact  created      mql          sql          other
  c1       03-01 00:00  03-03 (2 d)  03-13 (10 d)
  c2       03-05        03-11 (6 d)
  c3       03-10        03-20 (10 d)
  c4       03-15        —                         (goes nowhere)
  c5       03-20        —                         recycled 03-25
  c6       02-01        03-02 (29 d)              disqualified 03-05
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from lifecycle_metrics.dataset import load
from lifecycle_metrics.metrics.engine import compute_result
from lifecycle_metrics.report import build_report, render
from lifecycle_metrics.report.build import Report
from tests.conftest import write_tables

AS_OF = "2025-07-15T00:00:00Z"
HOSTILE_NAME = "Welcome <script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"
HOSTILE_COMMENT = "<script>alert('x')</script> [bold]boom[/bold]"


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def contact(cid: str, created: str, channel: str = "paid_search") -> dict:
    return {"contact_id": cid, "created_at": t(created), "channel": channel}


def change(cid: str, stage: str, at: str) -> dict:
    return {"contact_id": cid, "stage": stage, "changed_at": t(at)}


def activity(n: int, cid: str, kind: str, at: str, campaign: str, machine: bool = False) -> dict:
    return {
        "activity_id": f"a{n}",
        "contact_id": cid,
        "type": kind,
        "occurred_at": t(at),
        "campaign_id": campaign,
        "message_id": f"m-{campaign}-{cid}",
        "is_machine": machine,
    }


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("march")
    return write_tables(
        folder,
        {
            "contacts": [
                contact("c1", "2025-03-01T00:00:00"),
                contact("c2", "2025-03-05T00:00:00"),
                contact("c3", "2025-03-10T00:00:00", "events"),
                contact("c4", "2025-03-15T00:00:00", "events"),
                contact("c5", "2025-03-20T00:00:00"),
                contact("c6", "2025-02-01T00:00:00"),
            ],
            "stage_changes": [
                change("c1", "mql", "2025-03-03T00:00:00"),
                change("c1", "sql", "2025-03-13T00:00:00"),
                change("c2", "mql", "2025-03-11T00:00:00"),
                change("c3", "mql", "2025-03-20T00:00:00"),
                change("c5", "recycled", "2025-03-25T00:00:00"),
                change("c6", "mql", "2025-03-02T00:00:00"),
                change("c6", "disqualified", "2025-03-05T00:00:00"),
            ],
            "campaigns": [
                {
                    "campaign_id": "p1",
                    "name": HOSTILE_NAME,
                    "channel": "email",
                    "audience": "prospect",
                    "automated": True,
                },
                {
                    "campaign_id": "p2",
                    "name": FORMULA,
                    "channel": "email",
                    "audience": "prospect",
                    "automated": True,
                },
                {
                    "campaign_id": "k1",
                    "name": "Customer news",
                    "channel": "email",
                    "audience": "customer",
                    "automated": False,
                },
            ],
            "activities": [
                activity(1, "c1", "email_sent", "2025-03-01T01:00:00", "p1"),
                activity(2, "c2", "email_sent", "2025-03-06T00:00:00", "p1"),
                activity(3, "c3", "email_sent", "2025-03-12T00:00:00", "p1"),
                activity(4, "c4", "email_sent", "2025-03-16T00:00:00", "p1"),
                activity(5, "c1", "email_open", "2025-03-01T02:00:00", "p1"),
                activity(6, "c1", "email_click", "2025-03-01T03:00:00", "p1"),
                activity(7, "c2", "email_open", "2025-03-06T00:01:00", "p1", machine=True),
                activity(8, "c4", "email_unsubscribe", "2025-03-17T00:00:00", "p1"),
                activity(9, "c3", "email_sent", "2025-03-11T00:00:00", "p2"),
                activity(10, "c6", "email_sent", "2025-02-20T00:00:00", "p2"),
                activity(11, "c5", "email_sent", "2025-03-21T00:00:00", "p2"),
                activity(12, "c5", "email_bounce", "2025-03-21T00:00:01", "p2"),
            ],
            "nps_responses": [
                {
                    "response_id": "r1",
                    "score": 10,
                    "responded_at": t("2025-03-10T00:00:00"),
                    "comment": HOSTILE_COMMENT,
                },
                {
                    "response_id": "r2",
                    "score": 7,
                    "responded_at": t("2025-03-20T00:00:00"),
                    "comment": FORMULA,
                },
                {
                    "response_id": "r3",
                    "score": 3,
                    "responded_at": t("2025-03-25T00:00:00"),
                    "comment": None,
                },
                {
                    "response_id": "r4",
                    "score": 9,
                    "responded_at": t("2025-02-10T00:00:00"),
                    "comment": "ok",
                },
            ],
        },
    )


@pytest.fixture(scope="module")
def report(folder: Path) -> Report:
    return build_report(load(folder), month="2025-03", as_of=AS_OF)


def test_header_and_unavailable(report: Report) -> None:
    assert report.month == "2025-03" and report.tz == "UTC"
    assert report.as_of == "2025-07-15 00:00:00 UTC"
    assert not report.partial_month
    unavailable = {u["metric"] for u in report.unavailable}
    assert {"visits", "churn_rate", "bookings", "cost_per_mql"} <= unavailable
    assert "mqls" not in unavailable


def test_metric_views_equal_the_metrics_command(folder: Path, report: Report) -> None:
    rows = compute_result(load(folder), as_of=AS_OF).rows
    totals = {(r["metric"], r["month"]): r["value"] for r in rows if r["dimension"] is None}
    for metric_id, view in report.metrics.items():
        assert view.value == totals.get((metric_id, "2025-03")), metric_id
        assert view.previous == totals.get((metric_id, "2025-02")), metric_id
    assert report.metrics["mqls"].value == 4  # c1, c2, c3, c6
    assert report.metrics["new_leads"].value == 5  # c1..c5
    assert report.metrics["mqls"].last_year is None  # no row a year before


def test_funnel(report: Report) -> None:
    funnel = {s["metric"]: s for s in report.funnel}
    assert funnel["new_leads"]["count"] == 5
    assert funnel["mqls"]["count"] == 4 and funnel["mqls"]["rate"] == pytest.approx(3 / 5)
    assert funnel["mqls"]["mature"] is True
    assert funnel["sqls"]["count"] == 1 and funnel["sqls"]["rate"] == pytest.approx(1 / 4)


def test_where_leads_stall(report: Report) -> None:
    stall = {s["stage"]: s for s in report.stall}
    lead = stall["lead"]
    assert lead["contacts"] == 4  # reached MQL in March: 2, 6, 10 and 29 days
    assert lead["median"] == pytest.approx(8.0)
    assert lead["mean"] == pytest.approx(47 / 4)
    assert lead["p90"] == pytest.approx(10 + 0.7 * 19)  # interpolated at rank 2.7
    assert lead["cohort"] == 5 and lead["nowhere_share"] == pytest.approx(2 / 5)  # c4, c5
    mql = stall["mql"]
    assert mql["contacts"] == 1 and mql["median"] == pytest.approx(10.0)
    assert mql["cohort"] == 4 and mql["nowhere_share"] == pytest.approx(3 / 4)
    assert stall["sql"]["nowhere_share"] == 1.0
    assert stall["opportunity"]["cohort"] == 0 and stall["opportunity"]["nowhere_share"] is None
    assert report.stall_cohort == "2025-03"
    assert report.exits == {"recycled": 1, "disqualified": 1}


def test_nurture_programs(report: Report) -> None:
    p1, p2 = report.programs  # ranked by click rate
    assert (p1["campaign_id"], p1["name"]) == ("p1", HOSTILE_NAME)
    assert p1["delivered"] == 4 and p1["unique_opens"] == 1  # the machine open is not counted
    assert p1["click_rate"] == pytest.approx(1 / 4)
    assert p1["unsubscribe_rate"] == pytest.approx(1 / 4)
    assert p1["mqls_touched"] == 3  # c1, c2, c3 were sent p1 before their MQL
    assert p2["delivered"] == 1 and p2["click_rate"] == 0  # 2 sends − 1 bounce
    assert p2["mqls_touched"] == 2  # c3, and c6 by a February send 10 days before its MQL


def test_nps_answers(report: Report) -> None:
    assert report.nps["split"]["2025-03"] == {"promoters": 1, "passives": 1, "detractors": 1}
    assert report.nps["split"]["2025-02"] == {"promoters": 1, "passives": 0, "detractors": 0}
    assert [c["comment"] for c in report.nps["comments"]] == [FORMULA, HOSTILE_COMMENT]
    assert report.metrics["nps"].value == pytest.approx(0.0)


def test_appendix_counts_what_was_left_out(report: Report) -> None:
    excluded = report.appendix["excluded"]
    assert excluded == {
        "internal_contacts": 0,
        "machine_opens_and_clicks": 1,
        "quarantined_rows": 0,
    }
    assert {d["id"] for d in report.appendix["definitions"]} == set(report.metrics)


def test_json_is_the_whole_model(report: Report) -> None:
    data = json.loads(render(report, "json"))
    assert data["month"] == "2025-03"
    assert data["metrics"]["mqls"]["value"] == 4
    assert data["programs"][0]["name"] == HOSTILE_NAME  # JSON carries data as data
    assert set(data) >= {"flags", "quarters", "funnel", "channels", "stall", "nps", "appendix"}


def test_html_shows_hostile_strings_as_text(report: Report) -> None:
    html = render(report, "html")
    assert "<script>alert" not in html
    assert "Welcome &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; [bold]boom[/bold]" in html
    assert "=cmd|&#39; /C calc&#39;!A0" in html
    assert html.count("<script>") == 1  # only the table-sorting script


def _commonmark(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text)


def test_markdown_escapes_tables_and_html(report: Report) -> None:
    markdown = render(report, "markdown")
    assert "<script>" not in markdown
    assert "Welcome &lt;script&gt;alert\\(1\\)&lt;/script&gt;" in markdown
    assert "=cmd\\|' /C calc'\\!A0" in markdown  # a pipe would split the table cell
    # read by a CommonMark parser (markdown-it, as wikis use): data stays text
    html = _commonmark(markdown)
    assert "<script>" not in html and "<a " not in html
    assert "Welcome &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "## Nurture" in markdown and "| `mqls` | outcome | 4 |" in markdown


def test_terminal_prints_data_literally(report: Report) -> None:
    from rich.console import Console

    from lifecycle_metrics.report.text import render_terminal

    console = Console(width=100, record=True, color_system=None)
    console.print(render_terminal(report))
    text = console.export_text()
    assert "[bold]boom[/bold]" in text  # not read as Rich markup
    assert max(len(line) for line in text.splitlines()) <= 100
    for stage in ("Attract", "Capture", "Nurture", "Convert", "Expand"):
        assert stage in text


@pytest.mark.parametrize(
    "hostile",
    [
        "[x](javascript:alert(1))",
        "![x](http://example.invalid/pixel.png)",
        "<a href='javascript:alert(1)'>x</a>",
        "[x]: javascript:alert(1)\n[x]",
        "**bold** _em_ `code` ~~gone~~ | cell",
    ],
)
def test_a_hostile_name_in_markdown_is_text_not_a_link(hostile: str) -> None:
    from lifecycle_metrics.report.text import _md

    html = _commonmark(f"| name |\n|---|\n| {_md(hostile)} |\n")
    assert "<a " not in html and "<img" not in html and "<strong>" not in html
    assert "<em>" not in html and "<code>" not in html and "<s>" not in html
    assert html.count("<td>") == 1  # the pipe did not split the cell


def test_the_report_names_metrics_by_their_catalog_label(report: Report) -> None:
    markdown = render(report, "markdown").splitlines()
    assert "| New leads | MQLs | SQLs | New customers | NPS |" in markdown
    html = render(report, "html")
    assert '<div class="label">New leads</div>' in html
    assert '<div class="label">NPS</div>' in html


def test_appendix_cohort_windows_come_from_the_value_rules(report: Report) -> None:
    assert report.appendix["windows"][0] == (
        # SPEC §4: sql_to_opportunity_rate is the fourth cohort rate, with a 90-day window
        "Cohort rates: lead→MQL, MQL→SQL and SQL→opportunity within 90 days, SQL→customer within "
        "180 days of reaching the earlier stage (24-hour days); a month whose window has not closed by "
        "as_of is marked immature."
    )


def test_cohort_windows_follow_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    from lifecycle_metrics.metrics.catalog import CATALOG
    from lifecycle_metrics.metrics.spec import Registry
    from lifecycle_metrics.report import build

    # a third 90-day cohort and a changed window, as a new declaration would bring them
    lead, mql, sql = (
        CATALOG.get(m) for m in ("lead_to_mql_rate", "mql_to_sql_rate", "sql_to_customer_rate")
    )
    longer = replace(sql, value=replace(sql.value, window_days=365))
    opportunity = replace(mql, id="sql_to_opportunity_rate", label="sql_to_opportunity_rate")
    catalog = Registry()
    catalog.add(lead, mql, longer, opportunity, CATALOG.get("mqls"))
    monkeypatch.setattr(build, "CATALOG", catalog)
    assert build._cohort_windows() == (
        "lead→MQL, MQL→SQL and SQL→opportunity within 90 days, SQL→customer within 365 days"
    )

"""Score lift (SPEC §6.5) on the attribution fixture, every value worked by hand.

Scores: c1 10 (02-01), 25 (02-14); c2 5 (02-19), 8 and 12 (both 02-25: the highest counts);
c4 12 (02-12), 6 (02-23); c3 none. as_of = 2025-03-20 (d2's close).
February's events with a score strictly before and one at +7 days:
- a1 c1 click 02-10 (campaign from its send: cmpE): 10 → 25 at 02-17: +15
- a3 c1 open 02-11, cmpE: 10 → 25: +15
- a2 c2 form 02-20, cmpV: 5 → 12 at 02-27 (tie at 02-25, highest): +7
- a6 c4 click 02-20, cmpE: 12 → 6 at 02-27: −6
Left out: a4 (machine), a0 (a send), a5 (c3 has no score), a8 (03-15 + 7 d is after as_of),
a9 (internal contact).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.attribution.score_lift import score_lift
from lifecycle_metrics.cli import app
from lifecycle_metrics.dataset import load

FIXTURE = Path(__file__).parents[1] / "fixtures" / "attribution"


def _interval(lifts: list[float]) -> tuple[float, float, float]:
    n = len(lifts)
    mean = sum(lifts) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in lifts) / (n - 1))
    return mean, mean - 1.96 * sd / math.sqrt(n), mean + 1.96 * sd / math.sqrt(n)


def _rows(by: str) -> dict[tuple[str, str | None], dict]:  # type: ignore[type-arg]
    rows, _ = score_lift(load(FIXTURE), by=by)
    return {(r["month"], r["member"]): r for r in rows}


def test_by_type() -> None:
    rows = _rows("type")
    assert set(rows) == {
        ("2025-01", None),
        ("2025-02", None),
        ("2025-02", "email_click"),
        ("2025-02", "email_open"),
        ("2025-02", "form_submit"),
        ("2025-03", None),
    }
    # the total of February: 15, 15, 7, −6 → mean 7.75, s = √98.25; interval −1.96 … 17.46
    total = rows[("2025-02", None)]
    mean, low, high = _interval([15, 15, 7, -6])
    assert (total["touches"], total["dimension"]) == (4, None)
    assert total["mean_lift"] == pytest.approx(mean)
    assert (total["ci_low"], total["ci_high"]) == pytest.approx((low, high))
    assert low < 0 < high and total["no_visible_effect"] is True
    # two clicks, +15 and −6: mean 4.5 ± 1.96·14.85/√2 — holds 0
    clicks = rows[("2025-02", "email_click")]
    assert clicks["touches"] == 2 and clicks["no_visible_effect"] is True
    assert clicks["mean_lift"] == pytest.approx(4.5)
    # one open: n < 2 → no interval, not flagged
    opens = rows[("2025-02", "email_open")]
    assert (opens["touches"], opens["mean_lift"], opens["ci_low"], opens["ci_high"]) == (
        1,
        15.0,
        None,
        None,
    )
    assert opens["no_visible_effect"] is False
    assert rows[("2025-02", "form_submit")]["mean_lift"] == 7.0
    # months without any pair: a totals row with 0 touches
    assert rows[("2025-03", None)]["touches"] == 0
    assert rows[("2025-03", None)]["mean_lift"] is None


def test_by_campaign() -> None:
    rows = _rows("campaign_id")
    email = rows[("2025-02", "cmpE")]
    mean, low, high = _interval([15, 15, -6])  # a1, a3, a6
    assert email["touches"] == 3
    assert (email["mean_lift"], email["ci_low"], email["ci_high"]) == pytest.approx(
        (mean, low, high)
    )
    assert email["no_visible_effect"] is (low <= 0 <= high) is True
    assert rows[("2025-02", "cmpV")]["touches"] == 1


def test_the_command_writes_spec_columns() -> None:
    result = CliRunner().invoke(
        app, ["score-lift", str(FIXTURE), "--format", "csv", "--from", "2025-02", "--to", "2025-02"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "month,dimension,member,touches,mean_lift,ci_low,ci_high,no_visible_effect"
    assert lines[1].startswith("2025-02,,,4,7.75,")
    assert lines[1].endswith(",true")


def test_an_unknown_dimension_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["score-lift", str(FIXTURE), "--by", "channel", "-q"])
    assert result.exit_code == 2
    assert "expected one of type, campaign_id" in result.stderr

"""Early warnings on hand-made series: ranges, targets, quarter projections and drivers."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.spec import Unit
from lifecycle_metrics.periods import parse_month
from lifecycle_metrics.report.flags import drivers, evaluate_flags, normal_range, quarter_of
from lifecycle_metrics.report.targets import Targets

OCT = parse_month("2025-10", option="test")
BASELINE = list(range(OCT - 12, OCT))


def test_normal_range_is_robust_to_one_outlier_and_floors_counts() -> None:
    history = [10, 12, 11, 13, 9, 10, 100, 11, 12, 10, 11, 12]
    limits = normal_range(history, Unit.COUNT)
    assert limits is not None
    # median 11; MAD 1 → 1.4826, below the Poisson floor √11
    assert limits.center == 11
    assert limits.low == pytest.approx(11 - 3 * math.sqrt(11))
    assert limits.high == pytest.approx(11 + 3 * math.sqrt(11))


def test_normal_range_of_a_rate_uses_the_median_absolute_deviation() -> None:
    limits = normal_range([0.10, 0.12, 0.11, 0.13, 0.09, 0.10], Unit.RATE)
    assert limits is not None
    # median 0.105; deviations .005 .015 .005 .025 .015 .005 → MAD 0.01
    assert limits.center == pytest.approx(0.105)
    assert limits.low == pytest.approx(0.105 - 3 * 1.4826 * 0.01)
    assert limits.high == pytest.approx(0.105 + 3 * 1.4826 * 0.01)


def test_no_range_from_fewer_than_six_months() -> None:
    assert normal_range([1, 2, 3, 4, 5], Unit.COUNT) is None


def test_quarters() -> None:
    assert quarter_of(OCT) == (OCT, "2025-Q4")
    assert quarter_of(OCT + 2) == (OCT, "2025-Q4")
    assert quarter_of(OCT - 1) == (OCT - 3, "2025-Q3")


def _mqls(per_channel: dict[str, dict[int, int]]):  # type: ignore[no-untyped-def]
    """Family results and series for `mqls` from counts per channel and month."""
    ref = CATALOG.get("mqls").value.of  # type: ignore[attr-defined]
    rows: dict = {}
    series: dict = {}
    for channel, months in per_channel.items():
        for month, count in months.items():
            rows[(month, "channel", channel)] = {ref.name: count}
            total = rows.setdefault((month, None, None), {ref.name: 0})
            total[ref.name] += count
            series.setdefault(("mqls", "channel", channel), {})[month] = count
    for (month, dim, _), measures in rows.items():
        if dim is None:
            series.setdefault(("mqls", None, None), {})[month] = measures[ref.name]
    return {ref.family: rows}, series


def test_count_driver_is_the_member_that_fell() -> None:
    steady = {m: 10 for m in BASELINE}
    families, series = _mqls(
        {"events": {**steady, OCT: 10}, "paid_search": {**{m: 20 for m in BASELINE}, OCT: 2}}
    )
    found = drivers(CATALOG.get("mqls"), OCT, BASELINE, families, series, ["channel"])
    assert [(d.dimension, d.member) for d in found] == [("channel", "paid_search")]
    assert found[0].contribution == pytest.approx(-18)
    assert found[0].baseline == pytest.approx(20)


def test_ratio_driver_splits_the_move_exactly() -> None:
    metric = CATALOG.get("nurture_click_rate")
    numerator, denominator = metric.value.numerator, metric.value.denominator  # type: ignore[attr-defined]
    rows = {}
    for month in [*BASELINE, OCT]:
        for campaign, clicks, delivered in (("x", 10, 100), ("y", 30 if month != OCT else 5, 100)):
            rows[(month, "campaign_id", campaign)] = {
                numerator.name: clicks,
                denominator.name: delivered,
            }
    found = drivers(metric, OCT, BASELINE, {numerator.family: rows}, {}, ["campaign_id"])
    # baseline rate 40/200 = 0.2; now 15/200 = 0.075: y carries the whole −0.125
    assert found[0].member == "y"
    assert found[0].contribution == pytest.approx(-0.125)
    assert found[0].value == pytest.approx(0.05) and found[0].baseline == pytest.approx(0.3)


def _evaluate(series, families, targets, through, mature=None):  # type: ignore[no-untyped-def]
    return evaluate_flags(
        [m for m in CATALOG if m.id in {k[0] for k in series}],
        OCT,
        series=series,
        families=families,
        mature=mature or {},
        targets=Targets.model_validate(targets),
        tz="UTC",
        through=through,
        dims=["channel", "campaign_id", "segment"],
    )


END_OF_OCT = datetime(2025, 11, 1)


def test_monthly_and_quarterly_targets_with_a_projection() -> None:
    steady = {m: 80 for m in BASELINE}
    families, series = _mqls({"events": {**steady, OCT: 80}})
    flags, quarters = _evaluate(
        series, families, {"mqls": {"monthly": 100, "quarterly": 300}}, END_OF_OCT
    )
    assert [f.rule for f in flags] == ["target", "quarter"]
    assert flags[0].value == 80 and flags[0].expected == 100
    (quarter,) = quarters
    # October is 31 of the quarter's 92 days: 80 so far projects to 80 × 92 / 31
    assert quarter.elapsed == pytest.approx(31 / 92)
    assert quarter.projection == pytest.approx(80 * 92 / 31)
    assert not quarter.on_track
    assert flags[1].driver is not None and flags[1].driver.member == "events"


def test_a_month_not_over_is_judged_by_its_pace() -> None:
    steady = {m: 80 for m in BASELINE}
    half_way = datetime(2025, 10, 16, 12)  # 15.5 of October's 31 days
    families, series = _mqls({"events": {**steady, OCT: 40}})
    flags, quarters = _evaluate(series, families, {"mqls": {"monthly": 100}}, half_way)
    (flag,) = flags  # no range flag either: a month not over is still filling up
    assert flag.rule == "target" and flag.value == pytest.approx(80)
    assert quarters == []
    # 60 by mid-month is a pace of 120: no flag against 100
    families, series = _mqls({"events": {**steady, OCT: 60}})
    flags, _ = _evaluate(series, families, {"mqls": {"monthly": 100}}, half_way)
    assert flags == []


def test_range_flag_for_a_collapsed_channel_names_it() -> None:
    families, series = _mqls(
        {
            "events": {**{m: 10 + m % 3 for m in BASELINE}, OCT: 11},
            "paid_search": {**{m: 40 + m % 5 for m in BASELINE}, OCT: 0},
        }
    )
    flags, _ = _evaluate(series, families, {}, END_OF_OCT)
    described = {(f.dimension, f.member): f for f in flags}
    assert ("channel", "paid_search") in described
    assert ("channel", "events") not in described
    total = described[(None, None)]  # 11 against a median near 52: out of range
    assert not total.favourable and total.driver is not None
    assert (total.driver.dimension, total.driver.member) == ("channel", "paid_search")


def test_lower_is_better_and_immature_months_are_not_judged() -> None:
    series = {("cost_per_mql", None, None): {OCT: 120.0}}
    flags, _ = _evaluate(series, {}, {"cost_per_mql": {"monthly": 100}}, END_OF_OCT)
    assert [(f.rule, f.value) for f in flags] == [("target", 120.0)]
    flags, _ = _evaluate(series, {}, {"cost_per_mql": {"monthly": 150}}, END_OF_OCT)
    assert flags == []
    rate = {("lead_to_mql_rate", None, None): {OCT: 0.05}}
    immature = {("lead_to_mql_rate", OCT): False}
    flags, _ = _evaluate(rate, {}, {"lead_to_mql_rate": {"quarterly": 0.3}}, END_OF_OCT, immature)
    assert flags == []
    # a quarterly target of a rate is the level to hold in each month
    flags, quarters = _evaluate(rate, {}, {"lead_to_mql_rate": {"quarterly": 0.3}}, END_OF_OCT)
    assert [(f.rule, f.expected) for f in flags] == [("target", 0.3)] and quarters == []

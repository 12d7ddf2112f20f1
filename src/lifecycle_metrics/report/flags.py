"""Early warnings: a metric moving against its target or out of its normal range, and why.

Normal range: median ± 3 robust standard deviations (1.4826 × the median absolute deviation)
of the trailing 12 months, so one outlier month neither widens nor shifts it; counts also get a
Poisson floor (√median) so small counts do not flag on noise. A driver is the dimension member
that contributes most to the move from the trailing-12-month baseline: for counts and sums the
member's own change; for ratios an exact shift-share split (members' contributions add up to
the total's change); for medians and returns the member whose own value moved most.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.spec import Better, Metric, Unit
from lifecycle_metrics.metrics.values import FamilyResults, Series
from lifecycle_metrics.periods import month_start_utc
from lifecycle_metrics.render.values import human_value
from lifecycle_metrics.report.targets import Goal, Targets

HISTORY_MONTHS = 12
MIN_HISTORY = 6  # fewer trailing months with a value: no normal range
SIGMAS = 3.0
MAD_TO_SIGMA = 1.4826
DRIVER_DIMENSIONS = ("channel", "campaign_id", "segment")


@dataclass(frozen=True)
class Driver:
    """The member that moved a metric most, and by how much."""

    dimension: str
    member: str
    contribution: float  # in the metric's unit; members' contributions add up for sums/ratios
    value: float | None
    baseline: float | None


@dataclass(frozen=True)
class NormalRange:
    """The trailing-12-month normal range of a metric."""

    center: float
    low: float
    high: float
    months: int


@dataclass
class Flag:
    """One early warning."""

    metric: str
    rule: str  # target | quarter | range
    favourable: bool
    value: float | None
    expected: float | None  # the target, the projection's target, or the range's nearer bound
    message: str
    dimension: str | None = None  # set for per-channel targets and ranges
    member: str | None = None
    drivers: list[Driver] = field(default_factory=list)

    @property
    def driver(self) -> Driver | None:
        """The single member that contributes most."""
        return self.drivers[0] if self.drivers else None


@dataclass(frozen=True)
class Quarter:
    """Quarter-to-date progress of a flow metric against its quarterly target."""

    metric: str
    dimension: str | None
    member: str | None
    label: str  # e.g. 2025-Q4
    to_date: float
    elapsed: float  # share of the quarter's time past by the end of the report month (or as_of)
    projection: float
    target: float
    on_track: bool


def normal_range(history: Sequence[float], unit: Unit) -> NormalRange | None:
    """Median ± 3 robust sigmas of the trailing values; None with fewer than six."""
    if len(history) < MIN_HISTORY:
        return None
    center = statistics.median(history)
    sigma = MAD_TO_SIGMA * statistics.median(abs(x - center) for x in history)
    if unit is Unit.COUNT:
        sigma = max(sigma, math.sqrt(max(center, 1.0)))
    return NormalRange(center, center - SIGMAS * sigma, center + SIGMAS * sigma, len(history))


def _against(metric: Metric, value: float, reference: float) -> bool:
    """Whether `value` is worse than `reference` for this metric."""
    return value < reference if metric.better is Better.HIGHER else value > reference


def quarter_of(month: int) -> tuple[int, str]:
    """First month index of the quarter holding `month`, and its label."""
    first = month - month % 3
    return first, f"{first // 12}-Q{first % 12 // 3 + 1}"


def elapsed_share(start: datetime, end: datetime, through: datetime) -> float:
    """Share of [start, end) past at `through`."""
    total = (end - start).total_seconds()
    return min(max((through - start).total_seconds() / total, 0.0), 1.0)


def _members(families: FamilyResults, metric: Metric, dim: str, months: Sequence[int]) -> set[str]:
    wanted = set(months)
    return {
        key[2]
        for family in metric.families
        for key in families.get(family, {})
        if key[1] == dim and key[0] in wanted and key[2] is not None
    }


def drivers(
    metric: Metric,
    month: int,
    baseline: Sequence[int],
    families: FamilyResults,
    series: Series,
    dims: Sequence[str],
) -> list[Driver]:
    """The top member of each dimension by contribution to the move, biggest first."""
    if not baseline:
        return []
    found: list[Driver] = []
    for dim in (d for d in DRIVER_DIMENSIONS if d in dims and d in metric.dimensions):
        members = _members(families, metric, dim, [month, *baseline])
        if not members:
            continue
        contributions = metric.value.split.contributions(
            families, series, metric.id, dim, members, month, baseline
        )
        if not contributions:
            continue
        total_move = math.fsum(c for c, _, _ in contributions.values())
        sign = 1.0 if total_move >= 0 else -1.0
        member = max(sorted(contributions), key=lambda m: sign * contributions[m][0])
        contribution, value, base = contributions[member]
        found.append(Driver(dim, member, contribution, value, base))
    # the strongest across dimensions first; on a tie the order above (channel first) holds
    return sorted(found, key=lambda d: -abs(d.contribution))


def _format(metric: Metric, value: float | None) -> str:
    return human_value(value, metric.unit)


@dataclass(frozen=True)
class FlagContext:
    """What every check of one report month reads."""

    month: int
    series: Series
    families: FamilyResults
    mature: Mapping[tuple[str, int], bool]
    dims: Sequence[str]
    month_share: float  # share of the month past at as_of (1.0 for a month that is over)
    quarter_first: int
    quarter_label: str
    quarter_share: float

    @property
    def baseline(self) -> list[int]:
        """The trailing 12 months."""
        return list(range(self.month - HISTORY_MONTHS, self.month))


def evaluate_flags(
    metrics: Sequence[Metric],
    month: int,
    *,
    series: Series,
    families: FamilyResults,
    mature: Mapping[tuple[str, int], bool],
    targets: Targets,
    tz: str,
    through: datetime,
    dims: Sequence[str],
) -> tuple[list[Flag], list[Quarter]]:
    """Every flag of the report month, unfavourable first, and quarter-to-date projections."""
    quarter_first, quarter_label = quarter_of(month)
    context = FlagContext(
        month=month,
        series=series,
        families=families,
        mature=mature,
        dims=dims,
        month_share=elapsed_share(
            month_start_utc(month, tz), month_start_utc(month + 1, tz), through
        ),
        quarter_first=quarter_first,
        quarter_label=quarter_label,
        quarter_share=elapsed_share(
            month_start_utc(quarter_first, tz), month_start_utc(quarter_first + 3, tz), through
        ),
    )
    flags: list[Flag] = []
    quarters: list[Quarter] = []
    for metric in metrics:
        goal = targets.of(metric.id)
        if goal is not None:
            scopes: list[tuple[str | None, str | None, Goal]] = [(None, None, goal)]
            scopes += [("channel", name, g) for name, g in sorted(goal.channels.items())]
            for dim, member, scope_goal in scopes:
                found, quarter = _target_flags(metric, dim, member, scope_goal, context)
                flags += found
                quarters += quarter
        flags += _range_flags(metric, context)
    for flag in flags:
        flag.drivers = _explain(CATALOG.get(flag.metric), flag, context)
    flags.sort(key=lambda f: (f.favourable, f.dimension is not None))
    return flags, quarters


def _is_flow(metric: Metric) -> bool:
    return metric.additive and not metric.stock


def _where(dim: str | None, member: str | None) -> str:
    return f" ({dim} {member})" if dim else ""


def _target_flags(
    metric: Metric, dim: str | None, member: str | None, goal: Goal, context: FlagContext
) -> tuple[list[Flag], list[Quarter]]:
    flags: list[Flag] = []
    quarters: list[Quarter] = []
    values = context.series.get((metric.id, dim, member), {})
    flow, partial = _is_flow(metric), context.month_share < 1.0
    value = values.get(context.month)
    if flow:
        value = value or 0.0
        if partial:  # a flow of a month not over is judged by its pace
            value = value / context.month_share if context.month_share > 0 else None
    # for a rate or a level, a quarterly target is the value to hold every month
    monthly = goal.monthly if goal.monthly is not None or flow else goal.quarterly
    mature = context.mature.get((metric.id, context.month), True)
    if monthly is not None and value is not None and mature and _against(metric, value, monthly):
        pace = " at this month's pace" if flow and partial else ""
        flags.append(
            Flag(
                metric.id,
                "target",
                False,
                value,
                monthly,
                f"{metric.id}{_where(dim, member)} {_format(metric, value)}{pace} against a "
                f"monthly target of {_format(metric, monthly)}",
                dim,
                member,
            )
        )
    if flow and goal.quarterly is not None:
        share = context.quarter_share
        to_date = sum(values.get(m) or 0.0 for m in range(context.quarter_first, context.month + 1))
        projection = to_date / share if share > 0 else 0.0
        on_track = not _against(metric, projection, goal.quarterly)
        quarters.append(
            Quarter(
                metric.id,
                dim,
                member,
                context.quarter_label,
                to_date,
                share,
                projection,
                goal.quarterly,
                on_track,
            )
        )
        if not on_track:
            flags.append(
                Flag(
                    metric.id,
                    "quarter",
                    False,
                    projection,
                    goal.quarterly,
                    f"{metric.id}{_where(dim, member)}: {context.quarter_label} on course for "
                    f"{_format(metric, projection)} ({_format(metric, to_date)} so far, "
                    f"{share:.0%} of the quarter past) against a target of "
                    f"{_format(metric, goal.quarterly)}",
                    dim,
                    member,
                )
            )
    return flags, quarters


def _range_flags(metric: Metric, context: FlagContext) -> list[Flag]:
    """The total, and each channel of a flow, against its trailing-12-month normal range."""
    flow = _is_flow(metric)
    if not context.mature.get((metric.id, context.month), True):
        return []  # an immature cohort month is still filling up
    if flow and context.month_share < 1.0:
        return []  # so is a month not over
    scopes: list[tuple[str | None, str | None]] = [(None, None)]
    # each channel of a count too (amounts per channel are too lumpy for a range)
    if (
        flow
        and metric.unit is Unit.COUNT
        and "channel" in metric.dimensions
        and "channel" in context.dims
    ):
        scopes += sorted(
            ("channel", key[2])
            for key in context.series
            if key[0] == metric.id and key[1] == "channel" and key[2] is not None
        )
    total = context.series.get((metric.id, None, None), {})
    months = [m for m in context.baseline if m in total]  # months the run covers
    flags: list[Flag] = []
    for dim, member in scopes:
        values = context.series.get((metric.id, dim, member), {})
        if flow:
            # a member with no row in a month had none of it
            history = [values.get(m) or 0.0 for m in months]
            value: float | None = values.get(context.month) or 0.0
        else:
            history = [
                v
                for m in months
                if context.mature.get((metric.id, m), True) and (v := values.get(m)) is not None
            ]
            value = values.get(context.month)
        limits = normal_range(history, metric.unit)
        if limits is None or value is None or limits.low <= value <= limits.high:
            continue
        low_side = value < limits.low
        flags.append(
            Flag(
                metric.id,
                "range",
                (metric.better is Better.HIGHER) != low_side,
                value,
                limits.low if low_side else limits.high,
                f"{metric.id}{_where(dim, member)} {_format(metric, value)} is "
                f"{'below' if low_side else 'above'} its normal range "
                f"{_format(metric, limits.low)} – {_format(metric, limits.high)} "
                f"(median {_format(metric, limits.center)} of {limits.months} months)",
                dim,
                member,
            )
        )
    return flags


def _explain(metric: Metric, flag: Flag, context: FlagContext) -> list[Driver]:
    """Drivers of a flag: for a member's own flag, that member; else the top contributors."""
    total = context.series.get((metric.id, None, None), {})
    baseline = [m for m in context.baseline if m in total]
    if flag.dimension is not None and flag.member is not None:
        values = context.series.get((metric.id, flag.dimension, flag.member), {})
        now = values.get(context.month) or 0.0
        before = sum(values.get(m) or 0.0 for m in baseline) / len(baseline) if baseline else 0.0
        return [Driver(flag.dimension, flag.member, now - before, now, before)]
    return drivers(metric, context.month, baseline, context.families, context.series, context.dims)

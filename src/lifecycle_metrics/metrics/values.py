"""How a metric's value is formed from family measures: a closed, small set of value rules.

Families (one query each) return measures per (month, dimension, member). A value rule reads
those measures for one key and returns the value (None when undefined) and whether a dimension
member appears at all (SPEC §4: when its numerator or denominator set is non-empty). Each rule
also says which measures it reads, which of them a drill-down lists, and how a member
contributes to a move of the total (`split`), so drill-down and early warnings read the rule
instead of dispatching on its class.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from typing_extensions import override

Key = tuple[int, str | None, str | None]  # (month index, dimension, member); totals: None, None
Measures = Mapping[str, float | int | None]
FamilyResults = Mapping[str, Mapping[Key, Measures]]
# values[(metric id, dimension, member)][month index] = value (None when empty)
Series = Mapping[tuple[str, str | None, str | None], Mapping[int, float | None]]
# member → (contribution to the move, value in the month, baseline value)
Contributions = dict[str, tuple[float, float | None, float | None]]


def _number(value: float | int | None) -> float:
    return 0.0 if value is None else float(value)


@dataclass(frozen=True)
class Measure:
    """A measure of a family: its column in the family's result, and the record sets behind it.

    Families declare their measures; value rules hold these objects, so a reference that does
    not exist fails when the catalog is imported, not as a silent 0.
    """

    family: str
    name: str
    sets: tuple[str, ...]  # the drill-down record sets this measure counts or sums

    def read(self, results: FamilyResults, key: Key) -> float | int | None:
        """The measure's value at `key`, None when the family has no row there."""
        if self.family not in results:
            raise KeyError(f"family {self.family!r} was not computed (measure {self.name!r})")
        row = results[self.family].get(key)
        if row is None:
            return None
        if self.name not in row:
            raise KeyError(f"family {self.family!r} has no measure {self.name!r}")
        return row[self.name]

    def number(self, results: FamilyResults, key: Key) -> float:
        """The measure's value at `key`, 0 when the family has no row there."""
        return _number(self.read(results, key))


# -- How a dimension member contributes to a move of the total (early-warning drivers) --------
@dataclass(frozen=True)
class OwnChange:
    """Counts and sums: a member's contribution is its own change from the baseline mean."""

    of: Measure

    def contributions(
        self,
        families: FamilyResults,
        series: Series,
        metric_id: str,
        dim: str,
        members: set[str],
        month: int,
        baseline: Sequence[int],
    ) -> Contributions:
        """Member → (contribution, value in `month`, baseline value)."""
        result: Contributions = {}
        for member in members:
            now = self.of.number(families, (month, dim, member))
            before = sum(self.of.number(families, (b, dim, member)) for b in baseline)
            before /= len(baseline)
            result[member] = (now - before, now, before)
        return result


@dataclass(frozen=True)
class ShiftShare:
    """Ratios: the exact shift-share split, so members' contributions add up to the move."""

    numerator: Measure
    denominator: Measure
    scale: float = 1.0

    def contributions(
        self,
        families: FamilyResults,
        series: Series,
        metric_id: str,
        dim: str,
        members: set[str],
        month: int,
        baseline: Sequence[int],
    ) -> Contributions:
        """Member → (contribution, value in `month`, baseline value); empty without a base."""

        def pooled(months: Sequence[int], member: str) -> tuple[float, float]:
            n = sum(self.numerator.number(families, (k, dim, member)) for k in months)
            d = sum(self.denominator.number(families, (k, dim, member)) for k in months)
            return n / len(months), d / len(months)

        now_parts = {m: pooled([month], m) for m in members}
        base_parts = {m: pooled(baseline, m) for m in members}
        # fsum: exact, so the split does not depend on the order members come in (a set)
        d_now = math.fsum(d for _, d in now_parts.values())
        d_base = math.fsum(d for _, d in base_parts.values())
        if d_now <= 0 or d_base <= 0:
            return {}
        rate_base = math.fsum(n for n, _ in base_parts.values()) / d_base
        scale = self.scale
        result: Contributions = {}
        for member in members:
            n1, d1 = now_parts[member]
            n0, d0 = base_parts[member]
            contribution = scale * ((n1 - rate_base * d1) / d_now - (n0 - rate_base * d0) / d_base)
            result[member] = (
                contribution,
                scale * n1 / d1 if d1 > 0 else None,
                scale * n0 / d0 if d0 > 0 else None,
            )
        return result


@dataclass(frozen=True)
class OwnMove:
    """Medians and returns: a member's contribution is its own value's move from its median."""

    def contributions(
        self,
        families: FamilyResults,
        series: Series,
        metric_id: str,
        dim: str,
        members: set[str],
        month: int,
        baseline: Sequence[int],
    ) -> Contributions:
        """Member → (move, value in `month`, median of its baseline values)."""
        result: Contributions = {}
        for member in members:
            values = series.get((metric_id, dim, member), {})
            now_value = values.get(month)
            history = [v for b in baseline if (v := values.get(b)) is not None]
            if now_value is None or not history:
                continue
            before = statistics.median(history)
            result[member] = (now_value - before, now_value, before)
        return result


Split = OwnChange | ShiftShare | OwnMove


# -- Value rules -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ValueRule:
    """Base of all value rules."""

    @property
    def measures(self) -> tuple[Measure, ...]:
        """Every measure the rule reads."""
        raise NotImplementedError

    @property
    def drilled(self) -> tuple[Measure, ...]:
        """The measures whose records a drill-down of a value lists."""
        raise NotImplementedError

    @property
    def split(self) -> Split:
        """How a dimension member contributes to a move of the total."""
        return OwnMove()

    @property
    def families(self) -> tuple[str, ...]:
        """Families this rule reads."""
        return tuple(dict.fromkeys(measure.family for measure in self.measures))

    def value(self, results: FamilyResults, key: Key) -> float | None:
        """The metric's value at `key`, None when undefined."""
        raise NotImplementedError

    def present(self, results: FamilyResults, key: Key) -> bool:
        """Whether a dimension member has a row for this month."""
        raise NotImplementedError

    @property
    def cohort_days(self) -> int | None:
        """The cohort window in days, for rules whose months can be immature."""
        return None

    def months_read(self, month: int) -> range:
        """The months whose family rows a value of `month` reads (where members come from)."""
        return range(month, month + 1)


@dataclass(frozen=True)
class Count(ValueRule):
    """A count or sum: 0 when nothing happened; a member appears when its set is non-empty."""

    of: Measure
    size: Measure | None = (
        None  # the set's size, when `of` is a sum that may be 0 on a non-empty set
    )

    @property
    @override
    def measures(self) -> tuple[Measure, ...]:
        return (self.of,) if self.size is None else (self.of, self.size)

    @property
    @override
    def drilled(self) -> tuple[Measure, ...]:
        return (self.of,)

    @property
    @override
    def split(self) -> Split:
        return OwnChange(self.of)

    @override
    def value(self, results: FamilyResults, key: Key) -> float | None:
        return self.of.number(results, key)

    @override
    def present(self, results: FamilyResults, key: Key) -> bool:
        return (self.size or self.of).number(results, key) > 0


@dataclass(frozen=True)
class Ratio(ValueRule):
    """scale × numerator / denominator; empty when the denominator is ≤ 0."""

    numerator: Measure
    denominator: Measure
    present_when: tuple[Measure, ...] = ()
    scale: float = 1.0
    window_days: int | None = None  # set on cohort rates, by their cohort

    @property
    @override
    def measures(self) -> tuple[Measure, ...]:
        return tuple(dict.fromkeys((self.numerator, self.denominator, *self.present_when)))

    @property
    @override
    def drilled(self) -> tuple[Measure, ...]:
        return (self.numerator, self.denominator)

    @property
    @override
    def split(self) -> Split:
        return ShiftShare(self.numerator, self.denominator, self.scale)

    @override
    def value(self, results: FamilyResults, key: Key) -> float | None:
        denominator = self.denominator.number(results, key)
        if denominator <= 0:
            return None
        return self.scale * self.numerator.number(results, key) / denominator

    @override
    def present(self, results: FamilyResults, key: Key) -> bool:
        measures = self.present_when or (self.numerator, self.denominator)
        return any(measure.number(results, key) > 0 for measure in measures)

    @property
    @override
    def cohort_days(self) -> int | None:
        return self.window_days


@dataclass(frozen=True)
class CostPer(ValueRule):
    """Cost(m) / a count; empty when the month has no cost row or the count is zero."""

    cost: Measure
    cost_rows: Measure
    count: Measure

    @property
    @override
    def measures(self) -> tuple[Measure, ...]:
        return (self.cost, self.cost_rows, self.count)

    @property
    @override
    def drilled(self) -> tuple[Measure, ...]:
        return (self.cost, self.count)

    @property
    @override
    def split(self) -> Split:
        return ShiftShare(self.cost, self.count)

    @override
    def value(self, results: FamilyResults, key: Key) -> float | None:
        month = key[0]
        if not self.cost_rows.number(results, (month, None, None)):
            return None  # no cost row in the month: its cost is unknown
        denominator = self.count.number(results, key)
        if denominator <= 0:
            return None
        return self.cost.number(results, key) / denominator

    @override
    def present(self, results: FamilyResults, key: Key) -> bool:
        return self.cost_rows.number(results, key) > 0 or self.count.number(results, key) > 0


@dataclass(frozen=True)
class Median(ValueRule):
    """A median taken by the family's query; empty over an empty set."""

    of: Measure
    size: Measure

    @property
    @override
    def measures(self) -> tuple[Measure, ...]:
        return (self.of, self.size)

    @property
    @override
    def drilled(self) -> tuple[Measure, ...]:
        return (self.of,)

    @override
    def value(self, results: FamilyResults, key: Key) -> float | None:
        if self.size.number(results, key) <= 0:
            return None
        median = self.of.read(results, key)
        return None if median is None else float(median)

    @override
    def present(self, results: FamilyResults, key: Key) -> bool:
        return self.size.number(results, key) > 0


@dataclass(frozen=True)
class TrailingReturn(ValueRule):
    """(Σ gain − Σ cost) / Σ cost over the `months` months ending with m."""

    gain: Measure
    cost: Measure
    present_when: tuple[Measure, ...]
    months: int = 12

    @property
    @override
    def measures(self) -> tuple[Measure, ...]:
        return tuple(dict.fromkeys((self.gain, self.cost, *self.present_when)))

    @property
    @override
    def drilled(self) -> tuple[Measure, ...]:
        return (self.gain, self.cost)

    @override
    def months_read(self, month: int) -> range:
        return range(month - self.months + 1, month + 1)

    def _window(self, key: Key) -> list[Key]:
        month, dimension, member = key
        return [(month - back, dimension, member) for back in range(self.months)]

    @override
    def value(self, results: FamilyResults, key: Key) -> float | None:
        window = self._window(key)
        # fsum: exact, so the result does not depend on the order months are added in
        cost = math.fsum(self.cost.number(results, k) for k in window)
        if cost <= 0:
            return None
        gain = math.fsum(self.gain.number(results, k) for k in window)
        return (gain - cost) / cost

    @override
    def present(self, results: FamilyResults, key: Key) -> bool:
        return any(
            measure.number(results, k) > 0
            for measure in self.present_when
            for k in self._window(key)
        )

"""How a metric's value is formed from family measures: a closed, small set of value rules.

Families (one query each) return measures per (month, dimension, member). A value rule reads
those measures for one key and returns the value (None when undefined) and whether a dimension
member appears at all (SPEC §4: when its numerator or denominator set is non-empty).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

Key = tuple[int, str | None, str | None]  # (month index, dimension, member); totals: None, None
Measures = Mapping[str, float | int | None]
FamilyResults = Mapping[str, Mapping[Key, Measures]]


def _measure(results: FamilyResults, family: str, measure: str, key: Key) -> float | int | None:
    row = results.get(family, {}).get(key)
    if row is None:
        return None
    return row.get(measure)


def _number(value: float | int | None) -> float:
    return 0.0 if value is None else float(value)


@dataclass(frozen=True)
class Ref:
    """A measure of a family."""

    family: str
    measure: str

    def read(self, results: FamilyResults, key: Key) -> float | int | None:
        """The measure's value at `key`, None when the family has no row there."""
        return _measure(results, self.family, self.measure, key)


@dataclass(frozen=True)
class ValueRule:
    """Base of all value rules."""

    @property
    def families(self) -> tuple[str, ...]:
        """Families this rule reads."""
        raise NotImplementedError

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

    of: Ref
    size: Ref | None = None  # the set's size, when `of` is a sum that may be 0 on a non-empty set

    @property
    def families(self) -> tuple[str, ...]:
        return (self.of.family,)

    def value(self, results: FamilyResults, key: Key) -> float | None:
        return _number(self.of.read(results, key))

    def present(self, results: FamilyResults, key: Key) -> bool:
        return _number((self.size or self.of).read(results, key)) > 0


@dataclass(frozen=True)
class Ratio(ValueRule):
    """scale × numerator / denominator; empty when the denominator is ≤ 0."""

    numerator: Ref
    denominator: Ref
    present_when: tuple[Ref, ...] = ()
    scale: float = 1.0
    window_days: int | None = None  # set on cohort rates

    @property
    def families(self) -> tuple[str, ...]:
        refs = (self.numerator, self.denominator, *self.present_when)
        return tuple(dict.fromkeys(ref.family for ref in refs))

    def value(self, results: FamilyResults, key: Key) -> float | None:
        denominator = _number(self.denominator.read(results, key))
        if denominator <= 0:
            return None
        return self.scale * _number(self.numerator.read(results, key)) / denominator

    def present(self, results: FamilyResults, key: Key) -> bool:
        refs = self.present_when or (self.numerator, self.denominator)
        return any(_number(ref.read(results, key)) > 0 for ref in refs)

    @property
    def cohort_days(self) -> int | None:
        return self.window_days


@dataclass(frozen=True)
class CostPer(ValueRule):
    """Cost(m) / a count; empty when the month has no cost row or the count is zero."""

    count: Ref

    @property
    def families(self) -> tuple[str, ...]:
        return ("costs", self.count.family)

    def value(self, results: FamilyResults, key: Key) -> float | None:
        month = key[0]
        if not _number(_measure(results, "costs", "cost_rows", (month, None, None))):
            return None  # no cost row in the month: its cost is unknown
        denominator = _number(self.count.read(results, key))
        if denominator <= 0:
            return None
        return _number(_measure(results, "costs", "cost", key)) / denominator

    def present(self, results: FamilyResults, key: Key) -> bool:
        has_cost = _number(_measure(results, "costs", "cost_rows", key)) > 0
        return has_cost or _number(self.count.read(results, key)) > 0


@dataclass(frozen=True)
class Median(ValueRule):
    """A median taken by the family's query; empty over an empty set."""

    of: Ref
    size: Ref

    @property
    def families(self) -> tuple[str, ...]:
        return (self.of.family,)

    def value(self, results: FamilyResults, key: Key) -> float | None:
        if _number(self.size.read(results, key)) <= 0:
            return None
        median = self.of.read(results, key)
        return None if median is None else float(median)

    def present(self, results: FamilyResults, key: Key) -> bool:
        return _number(self.size.read(results, key)) > 0


@dataclass(frozen=True)
class TrailingReturn(ValueRule):
    """(Σ gain − Σ cost) / Σ cost over the `months` months ending with m."""

    gain: Ref
    cost: Ref
    present_when: tuple[Ref, ...]
    months: int = 12

    @property
    def families(self) -> tuple[str, ...]:
        refs = (self.gain, self.cost, *self.present_when)
        return tuple(dict.fromkeys(ref.family for ref in refs))

    def months_read(self, month: int) -> range:
        return range(month - self.months + 1, month + 1)

    def _window(self, key: Key) -> list[Key]:
        month, dimension, member = key
        return [(month - back, dimension, member) for back in range(self.months)]

    def value(self, results: FamilyResults, key: Key) -> float | None:
        window = self._window(key)
        # fsum: exact, so the result does not depend on the order months are added in
        cost = math.fsum(_number(self.cost.read(results, k)) for k in window)
        if cost <= 0:
            return None
        gain = math.fsum(_number(self.gain.read(results, k)) for k in window)
        return (gain - cost) / cost

    def present(self, results: FamilyResults, key: Key) -> bool:
        return any(
            _number(ref.read(results, k)) > 0
            for ref in self.present_when
            for k in self._window(key)
        )

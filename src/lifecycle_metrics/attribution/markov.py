"""First-order Markov attribution solved exactly (SPEC §6.3): transitions, then one solve.

Paths are counted into transitions by an Ibis query; the absorbing chain over start, the
member states, conversion and null is then solved once per month with NumPy. With N the
fundamental matrix (I − Q)⁻¹, x = N·b the probability of converting from each state and s the
start distribution, P = s·x; the chance of ever visiting c is f_c = (s·N)_c / N_cc, and since a
path either avoids c or converts from c, P₋c = P − f_c·x_c, so RE_c = f_c·x_c / P — every
removal effect from the one inverse, where removing each state in turn would take k solves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np

CONVERSION, NULL = "conversion", "null"


def transitions(
    rows: ir.Table, path: Sequence[str], group: Sequence[str], conversions: str, nulls: str
) -> ir.Table:
    """Counted transitions of positioned paths: (group…, from_state, to_state, absorb, weight).

    `rows` holds one row per step with `pos` (0-based), `n` and `state`; `conversions` and
    `nulls` name per-path weights of ending in conversion or null. `from_state` NULL is start;
    `absorb` names the end (conversion or null) of a last step's exit, with `to_state` NULL.
    """
    previous = rows.state.lag().over(group_by=[rows[c] for c in path], order_by=rows.pos)
    weight = (rows[conversions] + rows[nulls]).cast("float64")
    steps = rows.select(
        *[rows[c] for c in group],
        from_state=ibis.ifelse(rows.pos == 0, ibis.null("string"), previous),
        to_state=rows.state,
        absorb=ibis.null("string"),
        weight=weight,
    )
    last = rows.filter(rows.pos == rows.n - 1)
    ends = [
        last.select(
            *[last[c] for c in group],
            from_state=last.state,
            to_state=ibis.null("string"),
            absorb=ibis.literal(end),
            weight=last[column].cast("float64"),
        )
        for end, column in ((CONVERSION, conversions), (NULL, nulls))
    ]
    every = steps.union(ends[0], distinct=False).union(ends[1], distinct=False)
    every = every.filter(every.weight > 0)
    return every.group_by([*group, "from_state", "to_state", "absorb"]).aggregate(
        weight=every.weight.sum()
    )


def removal_effects(
    counted: Iterable[Mapping[str, Any]],
) -> tuple[float, dict[str, float | None]]:
    """P(conversion) and every state's removal effect from counted transitions (one solve).

    With P = 0 no path converts and RE = 1 − P₋c/P is undefined: every effect is None.
    """
    counts: dict[tuple[str | None, str], float] = {}
    for row in counted:
        target = row["to_state"] if row["absorb"] is None else f"\0{row['absorb']}"
        key = (row["from_state"], target)
        counts[key] = counts.get(key, 0.0) + float(row["weight"])
    states = sorted(
        {s for s, _ in counts if s is not None} | {t for _, t in counts if t[0] != "\0"}
    )
    if not states:
        return 0.0, {}
    index = {state: i for i, state in enumerate(states)}
    k = len(states)
    moves = np.zeros((k, k))
    converting = np.zeros(k)
    leaving = np.zeros(k)
    starting = np.zeros(k)
    for (source, target), weight in counts.items():
        if source is None:
            starting[index[target]] += weight
            continue
        i = index[source]
        leaving[i] += weight
        if target == f"\0{CONVERSION}":
            converting[i] += weight
        elif target[0] != "\0":
            moves[i, index[target]] += weight
    if starting.sum() <= 0:
        return 0.0, dict.fromkeys(states)
    out = np.where(leaving > 0, leaving, 1.0)
    q = moves / out[:, None]
    fundamental = np.linalg.inv(np.eye(k) - q)
    start = starting / starting.sum()
    converts_from = fundamental @ (converting / out)
    probability = float(start @ converts_from)
    if probability <= 0:
        return 0.0, dict.fromkeys(states)
    visits = start @ fundamental
    ever = visits / np.diag(fundamental)
    effects = ever * converts_from / probability
    return probability, {state: float(effects[index[state]]) for state in states}

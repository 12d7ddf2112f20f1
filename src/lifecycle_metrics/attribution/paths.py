"""ChannelAttribution's path files (SPEC §6.4 `--paths`): read, check, credit.

A file holds `path;total_conversions;total_conversion_value;total_null`, channels joined by
` > `. Every row is checked (a non-numeric or negative count, an empty path or an empty step
is named with its line); the credits follow the package's reading: heuristic models per path
weighted by its conversions and value, and Markov's global reading, the totals × RE_c / Σ RE.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv

from lifecycle_metrics.attribution.markov import removal_effects, transitions
from lifecycle_metrics.attribution.models import PATH_MODELS, RULE_MODELS
from lifecycle_metrics.errors import DataError, UsageError
from lifecycle_metrics.validate.issues import Issue, Level

PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
NUMBERS = PATH_COLUMNS[1:]
PATH_OUTPUT = ("model", "channel", "conversions", "value", "removal_effect")
SHOWN_PROBLEMS = 50


def read_paths(path: Path) -> pa.Table:
    """The file's rows as text, with `line` (the header is line 1); refuses a bad layout."""
    if not path.is_file():
        raise UsageError(f"--paths {str(path)!r}: no such file")
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=";", ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(PATH_COLUMNS, pa.string()),
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise DataError(
            f"{path}: not a ChannelAttribution path file ({_first_line(error)}); expected the "
            f"';'-separated columns {';'.join(PATH_COLUMNS)}"
        ) from error
    if tuple(table.column_names) != PATH_COLUMNS:
        raise DataError(
            f"{path}: header {';'.join(table.column_names)!r}: expected {';'.join(PATH_COLUMNS)!r}"
        )
    return table.append_column("line", pa.array(range(2, table.num_rows + 2), pa.int64()))


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]


def _problems(rows: ir.Table, path: Path) -> list[Issue]:
    """Every bad row of the file: counts that are not non-negative numbers, empty paths/steps."""
    checks: list[tuple[str, ir.BooleanValue, str]] = []
    for column in NUMBERS:
        number = rows[column].strip().try_cast("float64")
        checks.append(
            (
                column,
                number.isnull() | (number < 0) | number.isnan() | number.isinf(),
                "a number ≥ 0",
            )
        )
    steps = rows.path.split(">")
    empty_step = steps.map(lambda step: step.strip() == "").anys()
    checks.append(
        ("path", (rows.path.strip() == "") | empty_step, "channels joined by ' > ', none empty")
    )
    flagged = [
        rows.filter(bad).select(
            line=rows.line,
            column=ibis.literal(column),
            value=rows[column],
            expected=ibis.literal(why),
        )
        for column, bad, why in checks
    ]
    every = flagged[0]
    for part in flagged[1:]:
        every = every.union(part, distinct=False)
    found = every.order_by(["line", "column"]).to_pyarrow().to_pylist()
    return [
        Issue(
            level=Level.ERROR,
            rule="path_value",
            table="paths",
            file=str(path),
            row=int(row["line"]),
            column=row["column"],
            value=row["value"],
            expected=row["expected"],
        )
        for row in found
    ]


def path_steps(table: pa.Table, path: Path) -> ir.Table:
    """One row per step of every path (deal_id = its line), positioned, after every check."""
    con = ibis.duckdb.connect()
    rows = con.create_table("paths", table)
    problems = _problems(rows, path)
    if problems:
        raise DataError(
            f"{path}: {len(problems):,} bad value(s) in the path file", problems[:SHOWN_PROBLEMS]
        )
    parsed = rows.select(
        deal_id=rows.line.cast("string"),
        steps=rows.path.split(">"),
        conversions=rows.total_conversions.strip().cast("float64"),
        value=rows.total_conversion_value.strip().cast("float64"),
        nulls=rows.total_null.strip().cast("float64"),
    )
    unnested = parsed.unnest("steps", offset="pos")
    return unnested.select(
        unnested.deal_id,
        pos=unnested.pos.cast("int64"),
        n=unnested.steps.count().over(group_by=unnested.deal_id),
        member=unnested.steps.strip(),
        state=unnested.steps.strip(),
        conversions=unnested.conversions,
        value=unnested.value,
        nulls=unnested.nulls,
    )


def credit_paths(path: Path, models: tuple[str, ...] = PATH_MODELS) -> list[dict[str, Any]]:
    """One row per (model, channel): conversions, value and (markov) the removal effect."""
    unusable = [m for m in models if m not in PATH_MODELS]
    if unusable:
        raise UsageError(
            f"--model {unusable[0]} needs touch times or stages, which a path file does not "
            f"carry: with --paths use {', '.join(PATH_MODELS)}"
        )
    steps = path_steps(read_paths(path), path).cache()
    rows: list[dict[str, Any]] = []
    for model in models:
        if model == "markov":
            rows += _markov_rows(steps)
            continue
        weight = RULE_MODELS[model](steps, 1)
        credited = steps.mutate(_w=weight)
        found = (
            credited.group_by("member")
            .aggregate(
                conversions=(credited._w * credited.conversions).sum(),
                value=(credited._w * credited.value).sum(),
            )
            .order_by("member")
            .to_pyarrow()
            .to_pylist()
        )
        rows += [
            {
                "model": model,
                "channel": row["member"],
                "conversions": row["conversions"],
                "value": row["value"],
                "removal_effect": None,
            }
            for row in found
        ]
    return rows


def _markov_rows(steps: ir.Table) -> list[dict[str, Any]]:
    """The package's global reading: totals × RE_c / Σ RE, with the exact removal effects.

    A channel seen only on paths of no weight is never reached (RE 0); when no path converts,
    RE is undefined and every Markov value is empty.
    """
    counted = transitions(steps, ["deal_id"], [], "conversions", "nulls").to_pyarrow().to_pylist()
    _probability, effects = removal_effects(counted)
    channels = steps.select("member").distinct().to_pyarrow().column(0).to_pylist()
    defined = all(effect is not None for effect in effects.values())
    if defined:
        effects = {channel: effects.get(channel, 0.0) for channel in channels}
    else:
        effects = dict.fromkeys(channels)
    totals = steps.filter(steps.pos == 0).aggregate(
        conversions=steps.conversions.sum(), value=steps.value.sum()
    )
    total = totals.to_pyarrow().to_pylist()[0]
    effect_sum = math.fsum(e for e in effects.values() if e is not None)
    rows = []
    for channel, effect in sorted(effects.items()):
        share = effect / effect_sum if effect is not None and effect_sum > 0 else None
        rows.append(
            {
                "model": "markov",
                "channel": channel,
                "conversions": None if share is None else total["conversions"] * share,
                "value": None if share is None else total["value"] * share,
                "removal_effect": effect,
            }
        )
    return rows

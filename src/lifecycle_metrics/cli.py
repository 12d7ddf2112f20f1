"""The `lifecycle` command: parse, call the library, render, map errors to exit codes.

Exit status: 0 ok, 2 bad usage, 3 invalid data (SPEC §5).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console, RenderableType
from rich.text import Text

from lifecycle_metrics import __version__, engines
from lifecycle_metrics.console import err, out, progress
from lifecycle_metrics.errors import DataError, LifecycleError, UsageError
from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.render.catalog import catalog_markdown, catalog_rows, catalog_table
from lifecycle_metrics.render.rows import rows_to_csv, rows_to_json
from lifecycle_metrics.render.tables import rows_to_table
from lifecycle_metrics.render.validation import print_report
from lifecycle_metrics.schema import TABLE_NAMES

if TYPE_CHECKING:  # the heavy modules (Ibis, pandas, Altair) load only when a command runs
    from lifecycle_metrics.customers import CustomerView
    from lifecycle_metrics.dataset import Dataset
    from lifecycle_metrics.metrics.engine import MetricResult

app = typer.Typer(
    name="lifecycle",
    help="Monthly B2B marketing lifecycle metrics: Attract, Capture, Nurture, Convert, Expand.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ISSUES_SHOWN_PER_RULE = 5


class OutputFormat(StrEnum):
    """What a command prints on standard output; each command accepts the formats it declares."""

    table = "table"
    terminal = "terminal"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    html = "html"


# The formats each command accepts, declared once; `--help` lists them in this order, and a
# value outside them is refused with that list.
RowsFormat = Annotated[  # metrics, drill, accounts, cross-sell
    Literal[OutputFormat.table, OutputFormat.csv, OutputFormat.json], typer.Option("--format")
]
FindingsFormat = Annotated[  # validate, advocates
    Literal[OutputFormat.table, OutputFormat.json], typer.Option("--format")
]
CatalogFormat = Annotated[
    Literal[OutputFormat.table, OutputFormat.markdown, OutputFormat.json],
    typer.Option("--format"),
]
ReportFormat = Annotated[
    Literal[OutputFormat.terminal, OutputFormat.html, OutputFormat.json, OutputFormat.markdown],
    typer.Option("--format", help="What to print on standard output."),
]


class DemoFormat(StrEnum):
    """File formats the demo can write."""

    parquet = "parquet"
    csv = "csv"


DataArgument = Annotated[
    str,
    typer.Argument(
        help="Dataset folder (<table>.csv / <table>.parquet), DuckDB file, or connection URL."
    ),
]
TzOption = Annotated[str, typer.Option("--tz", help="Report time zone (IANA name).")]
QuarantineOption = Annotated[
    Path | None,
    typer.Option(
        "--quarantine",
        help="Set invalid rows aside in DIR/<table>.csv (with a reason "
        "column) and use the rest, instead of refusing the data.",
        metavar="DIR",
    ),
]
FromOption = Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Report as of this instant; later rows are ignored."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")]
if TYPE_CHECKING:
    EngineName = str
else:  # the registered engines' names, as an enum: typer offers an enum's values as choices
    EngineName = engines.choices()
EngineOption = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        help="Where to compute: embedded duckdb (default), pyspark (reads the folder's files, "
        "or DATA catalog:<database> of the Spark catalog), or postgres (DATA is a postgres:// "
        "URL holding the canonical tables).",
    ),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL for --engine pyspark (default local[*], or SPARK_REMOTE).",
    ),
]
MemoryOption = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="Memory budget of the run, e.g. 4GB (default: 60% of RAM; DuckDB gets three "
        "quarters of it); beyond it, work spills to a temporary folder.",
    ),
]


def _fail(error: LifecycleError) -> None:
    err.print(Text.assemble(("Error:", "bold red"), f" {error}"), highlight=False)
    if isinstance(error, DataError) and error.issues:
        shown: dict[tuple[str, str, str | None], int] = {}
        for issue in error.issues:
            group = (issue.table, issue.rule, issue.column)
            shown[group] = shown.get(group, 0) + 1
            if shown[group] <= ISSUES_SHOWN_PER_RULE:
                err.print(f"  {issue.describe()}", highlight=False, markup=False)
    raise typer.Exit(error.exit_code)


def _load(
    data: str,
    tz: str,
    quarantine: Path | None,
    quiet: bool,
    engine: str = engines.DEFAULT,
    spark_master: str | None = None,
    memory_limit: str | None = None,
) -> Dataset:
    from lifecycle_metrics.dataset import load

    # Every table is read even when few metrics are asked for: as_of and the default months
    # come from the events of all tables (SPEC §3), so a subset must not change them.
    with progress("loading", quiet=quiet) as say:
        dataset = load(
            data,
            tz=tz,
            quarantine=quarantine,
            progress=say,
            engine=engine,
            spark_master=spark_master,
            memory_limit=memory_limit,
            cache=True,
        )
    if quarantine is not None and dataset.rows_quarantined:
        err.print(
            f"{dataset.rows_quarantined:,} invalid row(s) set aside in {quarantine}/ "
            "(see the reason column); the rest is used",
            highlight=False,
        )
    return dataset


@app.command()
def validate(
    data: DataArgument,
    tz: TzOption = "UTC",
    output_format: FindingsFormat = OutputFormat.table,
    quarantine: QuarantineOption = None,
    engine: EngineOption = engines.DEFAULT,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryOption = None,
    quiet: QuietOption = False,
) -> None:
    """Check a dataset against the canonical tables: every problem with file, row and column."""
    from lifecycle_metrics.dataset import load

    try:
        with progress("validating", quiet=quiet) as say:
            dataset = load(
                data,
                tz=tz,
                quarantine=quarantine,
                strict=False,
                progress=say,
                engine=engine,
                spark_master=spark_master,
                memory_limit=memory_limit,
                cache=True,
            )
    except LifecycleError as error:
        _fail(error)
        return
    report = dataset.report
    enables = {name: CATALOG.enabled_by(name) for name in TABLE_NAMES}
    if output_format is OutputFormat.json:
        out.print_json(json.dumps(report.to_dict(enables)))
    else:
        print_report(out, report, enables, ISSUES_SHOWN_PER_RULE)
    if report.errors and quarantine is None:
        raise typer.Exit(DataError.exit_code)


@app.command()
def metrics(
    data: DataArgument,
    from_month: FromOption = None,
    to_month: ToOption = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by", help="Dimension (channel, source, campaign_id, segment); repeat for several."
        ),
    ] = None,
    tz: TzOption = "UTC",
    as_of: AsOfOption = None,
    output_format: RowsFormat = OutputFormat.table,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="Metric id; repeat for several (default: all)."),
    ] = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Only this stage's metrics (attract … expand).")
    ] = None,
    quarantine: QuarantineOption = None,
    engine: EngineOption = engines.DEFAULT,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryOption = None,
    quiet: QuietOption = False,
) -> None:
    """Compute every metric for every month, in long form (SPEC §5)."""
    from lifecycle_metrics.metrics.engine import compute_result

    try:
        dataset = _load(data, tz, quarantine, quiet, engine, spark_master, memory_limit)
        with progress("computing", quiet=quiet) as say:
            result = compute_result(
                dataset,
                metrics=metric or (),
                stage=stage,
                by=by or (),
                first_month=from_month,
                last_month=to_month,
                as_of=as_of,
                progress=say,
            )
    except LifecycleError as error:
        _fail(error)
        return
    _print_metrics(result, output_format, quiet)


def _print_metrics(result: MetricResult, output_format: OutputFormat, quiet: bool) -> None:
    from lifecycle_metrics.metrics.engine import COLUMNS

    for missing in result.unavailable:
        err.print(f"unavailable: {missing.metric} — {missing.reason}", highlight=False)
    window = result.window
    if not quiet and window is not None:
        span = f"{window.labels[0]} … {window.labels[-1]}" if window.months else "no month"
        err.print(
            f"as_of {window.as_of:%Y-%m-%d %H:%M:%S} UTC · months {span} (time zone {window.tz})",
            highlight=False,
        )
    _print_rows(
        result.rows,
        COLUMNS,
        output_format,
        lambda: rows_to_table(result.rows, COLUMNS, "Lifecycle metrics"),
        out,
    )


def _print_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    output_format: OutputFormat,
    table: Callable[[], RenderableType],
    console: Console,
) -> None:
    """Every row as CSV or JSON on standard output, or `table()` for a person."""
    if output_format is OutputFormat.csv:
        sys.stdout.write(rows_to_csv(rows, columns))
    elif output_format is OutputFormat.json:
        sys.stdout.write(rows_to_json(rows) + "\n")
    else:
        console.print(table())


def _wide(width: int) -> Console:
    """A console at least `width` columns wide: the customer tables are cut below it."""
    return Console(width=max(out.width, width), highlight=False)


ModelOption = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        help="Attribution model: first_touch, last_touch, linear, position_based, w_shaped, "
        "time_decay, markov; repeat for several (default: all).",
    ),
]
LookbackOption = Annotated[
    float,
    typer.Option("--lookback-days", help="Touches this many days before closed_at count."),
]
HalfLifeOption = Annotated[
    float, typer.Option("--half-life-days", help="time_decay: a touch's weight halves per N days.")
]
DealsOption = Annotated[
    str,
    typer.Option(
        "--deals",
        help="new_business (acquisition) or expansion (upsell and cross_sell deals).",
    ),
]


@app.command()
def drill(
    data: DataArgument,
    metric: Annotated[str, typer.Option("--metric", help="Metric id (see `lifecycle catalog`).")],
    month: Annotated[str, typer.Option("--month", help="Month, YYYY-MM.")],
    member: Annotated[
        str | None,
        typer.Option("--member", help="A dimension member, DIM=VALUE (e.g. channel=paid_search)."),
    ] = None,
    tz: TzOption = "UTC",
    as_of: Annotated[str | None, typer.Option("--as-of", help="As in `metrics`.")] = None,
    output_format: RowsFormat = OutputFormat.table,
    quarantine: QuarantineOption = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="With --metric attribution: the model whose credit to list."),
    ] = None,
    deals: DealsOption = "new_business",
    lookback_days: LookbackOption = 365.0,
    half_life_days: HalfLifeOption = 7.0,
    quiet: QuietOption = False,
) -> None:
    """List the records behind one number: the sets it counts, with the times that placed them.

    `--metric attribution --model M --member channel=X` lists the deals won in the month and
    the touches that earned channel X its credit under model M, with their weights.
    """
    from lifecycle_metrics.metrics.drill import RECORD_COLUMNS
    from lifecycle_metrics.metrics.drill import drill as drill_records
    from lifecycle_metrics.metrics.engine import compute_result

    if metric == "attribution":
        _drill_attribution(
            data,
            model,
            month,
            member,
            tz,
            as_of,
            output_format,
            quarantine,
            quiet,
            (deals, lookback_days, half_life_days),
        )
        return
    try:
        if model is not None:
            raise UsageError("--model is for --metric attribution")
        dataset = _load(data, tz, quarantine, quiet)
        dimension = member.partition("=")[0] if member else None
        result = drill_records(dataset, metric, month, member, as_of=as_of)
        computed = compute_result(
            dataset,
            metrics=[metric],
            by=[dimension] if dimension else [],
            first_month=month,
            last_month=month,
            as_of=as_of,
        )
    except LifecycleError as error:
        _fail(error)
        return
    wanted = (dimension, result.member[1] if result.member else None)
    value = next(
        (row["value"] for row in computed.rows if (row["dimension"], row["member"]) == wanted), None
    )
    columns = ("month", *RECORD_COLUMNS)
    if output_format is OutputFormat.csv:
        sys.stdout.write(rows_to_csv(result.rows, columns))
    elif output_format is OutputFormat.json:
        payload = {
            "metric": metric,
            "month": month,
            "member": member,
            "value": value,
            "records": [{c: row[c] for c in columns} for row in result.rows],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        where = f" · {member}" if member else ""
        out.print(
            f"[bold]{metric}[/bold] {month}{where} = {value if value is not None else '—'}",
            highlight=False,
        )
        out.print(rows_to_table(result.rows, columns, f"{len(result.rows):,} records"))


def _drill_attribution(
    data: str,
    model: str | None,
    month: str,
    member: str | None,
    tz: str,
    as_of: str | None,
    output_format: OutputFormat,
    quarantine: Path | None,
    quiet: bool,
    options: tuple[str, float, float],
) -> None:
    """`drill --metric attribution`: the touches behind one model's credit to one member."""
    from lifecycle_metrics.attribution import Settings
    from lifecycle_metrics.attribution.drill import DRILL_COLUMNS, drill_attribution

    deals, lookback_days, half_life_days = options
    try:
        if model is None or member is None:
            raise UsageError("--metric attribution needs --model M and --member channel=VALUE")
        settings = Settings(deals=deals, lookback_days=lookback_days, half_life_days=half_life_days)
        dataset = _load(data, tz, quarantine, quiet)
        found = drill_attribution(dataset, model, month, member, settings=settings, as_of=as_of)
    except LifecycleError as error:
        _fail(error)
        return
    if output_format is OutputFormat.csv:
        sys.stdout.write(rows_to_csv(found.rows, DRILL_COLUMNS))
    elif output_format is OutputFormat.json:
        payload = {
            "metric": "attribution",
            "model": found.model,
            "month": found.month,
            "member": member,
            "conversions": found.conversions,
            "value": found.value,
            "records": found.rows,
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        out.print(
            f"[bold]{found.model}[/bold] {found.month} · {member}: "
            f"{found.conversions:,.4f} conversions, {found.value:,.2f} value",
            highlight=False,
            markup=True,
        )
        _wide(140).print(
            rows_to_table(found.rows, DRILL_COLUMNS, f"{len(found.rows):,} touches credited")
        )


@app.command()
def attribution(
    data: Annotated[
        str | None,
        typer.Argument(
            help="Dataset folder, DuckDB file or connection URL (not with --paths).",
            show_default=False,
        ),
    ] = None,
    model: ModelOption = None,
    by: Annotated[
        str, typer.Option("--by", help="Credit channels or campaigns: channel or campaign_id.")
    ] = "channel",
    deals: DealsOption = "new_business",
    from_month: FromOption = None,
    to_month: ToOption = None,
    tz: TzOption = "UTC",
    as_of: AsOfOption = None,
    lookback_days: LookbackOption = 365.0,
    half_life_days: HalfLifeOption = 7.0,
    paths: Annotated[
        Path | None,
        typer.Option(
            "--paths",
            help="A ChannelAttribution path file (path;total_conversions;"
            "total_conversion_value;total_null) instead of DATA.",
            metavar="FILE",
        ),
    ] = None,
    output_format: RowsFormat = OutputFormat.table,
    quarantine: QuarantineOption = None,
    engine: EngineOption = engines.DEFAULT,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryOption = None,
    quiet: QuietOption = False,
) -> None:
    """Credit won deals to the touches before them under seven models, with cost and ROI."""
    from lifecycle_metrics.attribution import (
        COLUMNS,
        PATH_MODELS,
        PATH_OUTPUT,
        Settings,
        attribute,
        credit_paths,
    )

    try:
        if (data is None) == (paths is None):
            raise UsageError("give either DATA or --paths FILE")
        settings = Settings(
            deals=deals, by=by, lookback_days=lookback_days, half_life_days=half_life_days
        )
        if paths is not None:
            with progress("crediting paths", quiet=quiet):
                rows = credit_paths(paths, tuple(model) if model else PATH_MODELS)
            columns: tuple[str, ...] = PATH_OUTPUT
            title = f"Attribution of {paths.name}"
        else:
            assert data is not None
            dataset = _load(data, tz, quarantine, quiet, engine, spark_master, memory_limit)
            with progress("attribution", quiet=quiet) as say:
                result = attribute(
                    dataset,
                    models=model or (),
                    settings=settings,
                    first_month=from_month,
                    last_month=to_month,
                    as_of=as_of,
                    progress=say,
                )
            for warning in result.warnings:
                err.print(f"warning: {warning}", highlight=False)
            rows, columns = result.rows, COLUMNS
            title = f"Attribution of {deals.replace('_', ' ')} deals by {by}"
    except LifecycleError as error:
        _fail(error)
        return
    _print_rows(
        rows, columns, output_format, lambda: rows_to_table(rows, columns, title), _wide(110)
    )


@app.command("score-lift")
def score_lift_command(
    data: DataArgument,
    by: Annotated[str, typer.Option("--by", help="Group touches by type or campaign_id.")] = "type",
    from_month: FromOption = None,
    to_month: ToOption = None,
    tz: TzOption = "UTC",
    as_of: AsOfOption = None,
    output_format: RowsFormat = OutputFormat.table,
    quarantine: QuarantineOption = None,
    engine: EngineOption = engines.DEFAULT,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryOption = None,
    quiet: QuietOption = False,
) -> None:
    """How lead scores moved in the 7 days after each touch and open, with a 95 % interval."""
    from lifecycle_metrics.attribution.score_lift import LIFT_COLUMNS, score_lift

    try:
        dataset = _load(data, tz, quarantine, quiet, engine, spark_master, memory_limit)
        with progress("score lift", quiet=quiet) as say:
            rows, _window = score_lift(
                dataset,
                by=by,
                first_month=from_month,
                last_month=to_month,
                as_of=as_of,
                progress=say,
            )
    except LifecycleError as error:
        _fail(error)
        return
    _print_rows(
        rows,
        LIFT_COLUMNS,
        output_format,
        lambda: rows_to_table(rows, LIFT_COLUMNS, f"Score lift by {by}"),
        _wide(110),
    )


@app.command()
def catalog(
    output_format: CatalogFormat = OutputFormat.table,
) -> None:
    """List every metric: stage, kind, unit, the question it answers, its definition."""
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(catalog_rows(CATALOG), indent=1, ensure_ascii=False) + "\n")
    elif output_format is OutputFormat.markdown:
        sys.stdout.write(catalog_markdown(CATALOG) + "\n")
    else:
        out.print(catalog_table(CATALOG))


@app.command()
def report(
    data: DataArgument,
    month: Annotated[
        str | None,
        typer.Option(
            "--month",
            help="Report month, YYYY-MM (default: the latest month that is over by as_of).",
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the report to this file: .html (self-contained), .json or .md.",
            metavar="FILE",
        ),
    ] = None,
    targets: Annotated[
        Path | None,
        typer.Option(
            "--targets", help="targets.yaml: monthly/quarterly targets per metric and channel."
        ),
    ] = None,
    output_format: ReportFormat = OutputFormat.terminal,
    tz: TzOption = "UTC",
    as_of: AsOfOption = None,
    quarantine: QuarantineOption = None,
    engine: EngineOption = engines.DEFAULT,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryOption = None,
    quiet: QuietOption = False,
) -> None:
    """The monthly lifecycle report: stage by stage, with trends and early warnings."""
    from lifecycle_metrics.report.targets import NO_TARGETS, load_targets

    try:
        goals = load_targets(targets) if targets is not None else NO_TARGETS
        if out_file is not None and out_file.suffix.lower() not in OUT_SUFFIXES:
            raise UsageError(
                f"--out {out_file}: expected a file name ending in "
                f"{', '.join(sorted(OUT_SUFFIXES))}"
            )
        dataset = _load(data, tz, quarantine, quiet, engine, spark_master, memory_limit)
        _write_report(dataset, month, as_of, goals, out_file, output_format, quiet)
    except LifecycleError as error:
        _fail(error)


OUT_SUFFIXES = {
    ".html": OutputFormat.html,
    ".htm": OutputFormat.html,
    ".json": OutputFormat.json,
    ".md": OutputFormat.markdown,
}


def _write_report(
    dataset: Dataset,
    month: str | None,
    as_of: str | None,
    goals: object,
    out_file: Path | None,
    output_format: OutputFormat,
    quiet: bool,
) -> None:
    from lifecycle_metrics.report import build_report, render
    from lifecycle_metrics.report.text import render_terminal

    with progress("building the report", quiet=quiet) as say:
        built = build_report(dataset, month=month, as_of=as_of, targets=goals, progress=say)  # type: ignore[arg-type]
        if out_file is not None:
            say(f"writing {out_file}")
            try:
                text = render(built, OUT_SUFFIXES[out_file.suffix.lower()].value)
                out_file.write_text(text, encoding="utf-8")
            except OSError as error:
                raise UsageError(f"cannot write {out_file}: {error.strerror or error}") from None
    for missing in built.unavailable:
        err.print(f"unavailable: {missing['metric']} — {missing['reason']}", highlight=False)
    if output_format is OutputFormat.terminal:
        # the report is laid out for 100 columns; a narrower terminal gets its own width
        width = min(out.width, 100) if out.is_terminal else 100
        Console(width=width, highlight=False).print(render_terminal(built))
    else:
        sys.stdout.write(render(built, output_format.value))
    if out_file is not None:
        err.print(f"report written to {out_file}", highlight=False)


def _customers(
    data: str,
    tz: str,
    quarantine: Path | None,
    as_of: str | None,
    quiet: bool,
    config_file: Path | None = None,
) -> tuple[Dataset, CustomerView]:
    """Load, snapshot and score customer accounts; on bad input, print the error and exit."""
    from lifecycle_metrics.customers import customer_view
    from lifecycle_metrics.customers.config import load_scoring_config
    from lifecycle_metrics.periods import parse_instant

    try:
        config = load_scoring_config(config_file)
        dataset = _load(data, tz, quarantine, quiet)
        instant = parse_instant(as_of, dataset.tz) if as_of else None
        with progress("scoring accounts", quiet=quiet):
            return dataset, customer_view(dataset, instant, config)
    except LifecycleError as error:
        _fail(error)
        raise AssertionError("unreachable") from error


ScoringOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="scoring.yaml: loyalty weights, advocacy thresholds, cross-sell readiness.",
        metavar="FILE",
    ),
]
AccountsAsOf = Annotated[
    str | None, typer.Option("--as-of", help="Look at the accounts as of this instant.")
]


@app.command()
def accounts(
    data: DataArgument,
    as_of: AccountsAsOf = None,
    segment: Annotated[
        str | None, typer.Option("--segment", help="Only accounts of this segment.")
    ] = None,
    output_format: RowsFormat = OutputFormat.table,
    config_file: ScoringOption = None,
    tz: TzOption = "UTC",
    quarantine: QuarantineOption = None,
    quiet: QuietOption = False,
) -> None:
    """Customer accounts: adoption, loyalty score 0–100 with reasons, churn risk, advocacy."""
    from lifecycle_metrics.customers.views import AccountsView

    scored = _customers(data, tz, quarantine, as_of, quiet, config_file)[1].scored
    view = AccountsView.of(scored, segment)
    _print_rows(view.rows(), view.columns(), output_format, view.table, _wide(120))


@app.command()
def advocates(
    data: DataArgument,
    as_of: AccountsAsOf = None,
    output_format: FindingsFormat = OutputFormat.table,
    config_file: ScoringOption = None,
    tz: TzOption = "UTC",
    quarantine: QuarantineOption = None,
    quiet: QuietOption = False,
) -> None:
    """Lurkers, likers and lovers against 90 / 9 / 1, month by month; who is ready to advocate."""
    from lifecycle_metrics.customers.insights import advocacy_by_month
    from lifecycle_metrics.customers.views import AdvocacyView

    dataset, view = _customers(data, tz, quarantine, as_of, quiet, config_file)
    with progress("advocacy month by month", quiet=quiet) as say:
        months = advocacy_by_month(dataset, progress=say) if as_of is None else []
    found = AdvocacyView.of(view.scored, months)
    if output_format is OutputFormat.json:
        sys.stdout.write(found.to_json() + "\n")
        return
    console = _wide(100)
    for part in found.renderables():
        console.print(part)


@app.command("cross-sell")
def cross_sell_command(
    data: DataArgument,
    product: Annotated[str, typer.Option("--product", help="The product to offer.")],
    as_of: AccountsAsOf = None,
    output_format: RowsFormat = OutputFormat.table,
    min_breadth: Annotated[
        float | None,
        typer.Option("--min-breadth", min=0, max=1, help="Adoption needed, 0–1 (default 0.5)."),
    ] = None,
    max_risk: Annotated[
        float | None,
        typer.Option("--max-risk", min=0, max=100, help="Highest churn risk (default 50)."),
    ] = None,
    config_file: ScoringOption = None,
    tz: TzOption = "UTC",
    quarantine: QuarantineOption = None,
    quiet: QuietOption = False,
) -> None:
    """Accounts ready for a product they do not own, best prospects first (CSV for a campaign)."""
    from lifecycle_metrics.customers.crosssell import cross_sell
    from lifecycle_metrics.customers.views import CrossSellView

    _, view = _customers(data, tz, quarantine, as_of, quiet, config_file)
    readiness = view.config.readiness
    if min_breadth is not None:
        readiness = readiness.model_copy(update={"min_breadth": min_breadth})
    if max_risk is not None:
        readiness = readiness.model_copy(update={"max_risk": max_risk})
    try:
        ranked = cross_sell(view.scored, view.owned, product, readiness)
    except LifecycleError as error:
        _fail(error)
        return
    shown = CrossSellView(product, ranked)
    _print_rows(shown.rows(), shown.columns(), output_format, shown.table, _wide(120))


@app.command("load")
def load_command(
    data: DataArgument,
    url: Annotated[
        str, typer.Argument(help="postgres://user@host:port/database to write the tables to.")
    ],
    tz: TzOption = "UTC",
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite canonical tables already there.")
    ] = False,
    quarantine: QuarantineOption = None,
    quiet: QuietOption = False,
) -> None:
    """Check a dataset, then write its canonical tables to PostgreSQL (the only writing command)."""
    from lifecycle_metrics.engines.postgres import write_postgres
    from lifecycle_metrics.io.urls import safe_url

    try:
        dataset = _load(data, tz, quarantine, quiet)
        with progress("writing", quiet=quiet) as say:
            written = write_postgres(dataset, url, replace=replace, progress=say)
    except LifecycleError as error:
        _fail(error)
        return
    total = sum(written.values())
    out.print(
        f"{total:,} rows in {len(written)} tables written to {safe_url(url)}: "
        + ", ".join(f"{name} {rows:,}" for name, rows in written.items()),
        highlight=False,
    )
    out.print(f"Next: lifecycle metrics '{safe_url(url)}' --engine postgres", highlight=False)


@app.command("import")
def import_command(
    kind: Annotated[
        str,
        typer.Argument(
            metavar="KIND",
            help="Where the export comes from: hubspot, salesforce, marketo or mapping.",
        ),
    ],
    src: Annotated[
        str,
        typer.Argument(
            metavar="SRC",
            help="The export: a folder of CSV/Parquet files, a DuckDB file or a database URL.",
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DATASET",
            help="Dataset folder to write (new, empty, or written by an earlier import of the "
            "same kind, which is then updated).",
        ),
    ],
    quiet: QuietOption = False,
) -> None:
    """Turn a CRM's or automation platform's export into a canonical dataset, with a ledger."""
    from lifecycle_metrics.render.ledger import ledger_table, unavailable_lines
    from lifecycle_metrics.sources import import_source
    from lifecycle_metrics.sources.run import LEDGER_FILE, QUARANTINE_FILE

    try:
        with progress(f"importing {kind}", quiet=quiet) as say:
            result = import_source(kind, src, out_dir, progress=say)
    except LifecycleError as error:
        _fail(error)
        return
    if not result.changed:
        out.print(
            f"No change: {out_dir} already holds everything this export holds "
            f"({sum(result.rows.values()):,} rows in {len(result.rows)} tables).",
            highlight=False,
        )
        return
    _wide(160).print(ledger_table(result.ledger))
    for line in result.ledger.notes + unavailable_lines(result.ledger):
        err.print(line, highlight=False, markup=False)
    quarantined = sum(
        sum(account.quarantined.values()) for account in result.ledger.tables.values()
    )
    if quarantined:
        err.print(
            f"{quarantined:,} rows quarantined, each with its reason: "
            f"{out_dir / QUARANTINE_FILE}",
            highlight=False,
            markup=False,
        )
    out.print(
        f"{sum(result.rows.values()):,} rows in {len(result.rows)} tables written to {out_dir} "
        f"(ledger: {out_dir / LEDGER_FILE}). Next: lifecycle report {out_dir}",
        highlight=False,
    )


@app.command()
def demo(
    out_dir: Annotated[
        Path | None,
        typer.Argument(
            metavar="[OUT]",
            help="Folder to write the dataset to. Without it, a temporary folder is "
            "used and the monthly metrics are computed on it.",
        ),
    ] = None,
    contacts: Annotated[
        int, typer.Option("--contacts", min=10, help="Number of contacts to generate.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    file_format: Annotated[DemoFormat, typer.Option("--file-format")] = DemoFormat.parquet,
    with_report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report",
            help="End with the monthly report: HTML written beside the data, terminal printed.",
        ),
    ] = True,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Overwrite the dataset already in OUT (its tables)."),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Generate a realistic B2B SaaS demo dataset (seeded, deterministic) and report on it."""
    from lifecycle_metrics.demo import DemoConfig, generate
    from lifecycle_metrics.io.outputs import prepare_dataset_folder
    from lifecycle_metrics.report.targets import NO_TARGETS

    config = DemoConfig(contacts=contacts, seed=seed, file_format=file_format.value)
    try:
        if out_dir is None:
            target = Path(tempfile.mkdtemp(prefix="lifecycle-demo-"))
        else:
            target = prepare_dataset_folder(out_dir, replace=replace, option="OUT")
        with progress("generating demo data", quiet=quiet) as say:
            written = generate(target, config, progress=say)
        err.print(
            f"demo dataset: {sum(written.values()):,} rows in {len(written)} tables "
            f"written to {target}",
            highlight=False,
        )
        if not with_report:
            return
        dataset = _load(str(target), "UTC", None, quiet)
        html_file = target / "report.html"
        _write_report(dataset, None, None, NO_TARGETS, html_file, OutputFormat.terminal, quiet)
    except LifecycleError as error:
        _fail(error)
        return
    out.print(
        f"Open {html_file} in a browser for the full report. Next: "
        f"lifecycle metrics {target} --by channel --format csv",
        highlight=False,
    )


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"lifecycle-metrics {__version__}")
        raise typer.Exit(0)


def main() -> None:
    """Run the `lifecycle` command; errors raised outside a command's own handling end here."""
    try:
        app(standalone_mode=True)
    except UsageError as error:
        err.print(f"Error: {error}", highlight=False, markup=False)
        raise SystemExit(UsageError.exit_code) from None
    except Exception as error:
        if _out_of_memory(error):
            err.print(
                "Error: the run needed more memory than its budget allows (--memory-limit, "
                "default 60% of RAM): raise --memory-limit, or free memory and run again",
                highlight=False,
                markup=False,
            )
            raise SystemExit(UsageError.exit_code) from None
        raise


def _out_of_memory(error: BaseException) -> bool:
    """True for DuckDB's out-of-memory error (valid data, too small a budget)."""
    return type(error).__name__ == "OutOfMemoryException" or isinstance(error, MemoryError)


if __name__ == "__main__":
    main()

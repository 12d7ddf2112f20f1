"""The `lifecycle` command as a user runs it: exact output, exit codes, help everywhere."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.metrics.catalog import CATALOG

ACME = str(Path(__file__).resolve().parent / "fixtures" / "acme")
GROUP = typer.main.get_command(app)  # the commands as the app registers them
COMMANDS = list(GROUP.commands)


def test_the_commands_are_read_from_the_app() -> None:
    # a command added to the app is checked below without touching this file
    assert {"metrics", "validate", "report", "cross-sell", "load"} <= set(COMMANDS)
    assert len(COMMANDS) == len(app.registered_commands)


def test_the_top_level_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Usage: lifecycle [OPTIONS] COMMAND [ARGS]..." in result.output
    for name, command in GROUP.commands.items():
        summary = (command.help or "").splitlines()[0]
        assert any(
            line.startswith(f"│ {name} ") and summary in line for line in result.output.splitlines()
        )


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(runner: CliRunner, name: str) -> None:
    command = GROUP.commands[name]
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: lifecycle {name} [OPTIONS]" in result.output
    assert (command.help or "").splitlines()[0] in result.output  # the command's docstring
    for param in command.params:
        for option in getattr(param, "opts", []):
            if option.startswith("-"):
                assert option in result.output, option


# What each command accepts after --format, in the order its help lists them.
FORMATS = {
    "validate": ("table", "json"),
    "metrics": ("table", "csv", "json"),
    "drill": ("table", "csv", "json"),
    "attribution": ("table", "csv", "json"),
    "score-lift": ("table", "csv", "json"),
    "catalog": ("table", "markdown", "json"),
    "report": ("terminal", "html", "json", "markdown"),
    "accounts": ("table", "csv", "json"),
    "advocates": ("table", "json"),
    "cross-sell": ("table", "csv", "json"),
}
REQUIRED = {
    "drill": [ACME, "--metric", "mqls", "--month", "2024-01"],
    "catalog": [],
    "cross-sell": [ACME, "--product", "insights"],
}


def test_the_commands_with_a_format_are_those_declared() -> None:
    with_format = [
        name
        for name, command in GROUP.commands.items()
        if any("--format" in getattr(param, "opts", []) for param in command.params)
    ]
    assert with_format == list(FORMATS)


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_command_lists_and_checks_its_own_formats(runner: CliRunner, name: str) -> None:
    allowed = FORMATS[name]
    default = allowed[0]
    help_text = runner.invoke(app, [name, "--help"]).output
    line = next(line for line in help_text.splitlines() if "--format" in line)
    assert f"<{'|'.join(allowed)}>" in line and f"[default: {default}]" in line
    result = runner.invoke(app, [name, *REQUIRED.get(name, [ACME]), "--format", "xml"])
    assert result.exit_code == 2
    choices = ", ".join(repr(value) for value in allowed)
    assert f"Invalid value for '--format': Value error, 'xml' is not one of {choices}." in (
        result.output
    )


def test_metrics_csv_is_the_long_form_of_spec_section_5(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "metrics",
            ACME,
            "--metric",
            "new_leads",
            "--metric",
            "lead_to_mql_rate",
            "--from",
            "2024-03",
            "--to",
            "2024-04",
            "--by",
            "channel",
            "--as-of",
            "2024-06-30T23:59:59Z",
            "--format",
            "csv",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "metric,stage,kind,month,dimension,member,value,mature",
        "new_leads,capture,outcome,2024-03,,,1,true",
        "new_leads,capture,outcome,2024-03,channel,paid,1,true",
        "new_leads,capture,outcome,2024-04,,,1,true",
        "new_leads,capture,outcome,2024-04,channel,organic,1,true",
        "lead_to_mql_rate,nurture,outcome,2024-03,,,1.0,true",
        "lead_to_mql_rate,nurture,outcome,2024-03,channel,paid,1.0,true",
        "lead_to_mql_rate,nurture,outcome,2024-04,,,1.0,false",
        "lead_to_mql_rate,nurture,outcome,2024-04,channel,organic,1.0,false",
    ]


def test_empty_values_are_empty_and_json_has_nulls(runner: CliRunner) -> None:
    args = [
        "metrics",
        ACME,
        "--metric",
        "cost_per_lead",
        "--from",
        "2024-03",
        "--to",
        "2024-03",
        "--as-of",
        "2024-06-30T23:59:59Z",
        "-q",
    ]
    text = runner.invoke(app, [*args, "--format", "csv"]).stdout
    assert next(csv.DictReader(io.StringIO(text)))["value"] == ""
    rows = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert rows == [
        {
            "metric": "cost_per_lead",
            "stage": "capture",
            "kind": "activity",
            "month": "2024-03",
            "dimension": None,
            "member": None,
            "value": None,
            "mature": True,
        }
    ]


def test_several_by_give_each_dimension_separately(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "metrics",
            ACME,
            "--metric",
            "mqls",
            "--by",
            "channel",
            "--by",
            "segment",
            "--from",
            "2024-01",
            "--to",
            "2024-01",
            "--format",
            "csv",
            "-q",
        ],
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["dimension"], r["member"], r["value"]) for r in rows] == [
        ("", "", "2"),
        ("channel", "organic", "1"),
        ("channel", "paid", "1"),
        ("segment", "SMB", "2"),
    ]


def test_stage_selects_its_metrics(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "metrics",
            ACME,
            "--stage",
            "attract",
            "--format",
            "csv",
            "-q",
            "--to",
            "2024-01",
            "--from",
            "2024-01",
        ],
    )
    assert {row["metric"] for row in csv.DictReader(io.StringIO(result.stdout))} == {
        "visits",
        "unique_visitors",
    }


def test_unavailable_metrics_are_named_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "nps_responses.csv").write_text("response_id,score,responded_at\nr1,9,2024-01-05\n")
    result = runner.invoke(app, ["metrics", str(tmp_path), "--format", "csv", "-q"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "metric,stage,kind,month,dimension,member,value,mature",
        "nps,expand,outcome,2024-01,,,100.0,true",
    ]
    assert "unavailable: visits — needs table web_sessions" in result.stderr
    assert "unavailable: marketing_roi — needs tables deals, costs" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["metrics", ACME, "--by", "colour"], "unknown dimension 'colour'"),
        (["metrics", ACME, "--metric", "ltv"], "unknown metric 'ltv'"),
        (["metrics", ACME, "--from", "2024-3"], "--from '2024-3' is not a month"),
        (["metrics", ACME, "--tz", "Nowhere/City"], "unknown time zone"),
        (["metrics", ACME, "--as-of", "soon"], "--as-of 'soon' is not a timestamp"),
        (["metrics", ACME, "--format", "xml"], "xml"),
        (["metrics", "/no/such/folder"], "does not exist"),
    ],
)
def test_bad_usage_exits_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "-q"] if args[-1] != "xml" else args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_validate_a_valid_dataset(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", ACME, "-q"])
    assert result.exit_code == 0
    assert "Valid." in result.stdout
    assert "product_usage: no v1 metric" in result.stdout
    assert "contact_without_stage_change" in result.stdout


BROKEN = {
    "no canonical table": ({"notes.csv": "a\n1\n"}, "no canonical table found"),
    "missing column": ({"contacts.csv": "contact_id\nc1\n"}, "column created_at"),
    "empty required value": (
        {"contacts.csv": "contact_id,created_at\n,2024-01-01\n"},
        "row 2, column contact_id",
    ),
    "bad enum": (
        {"stage_changes.csv": "contact_id,stage,changed_at\nc1,won,2024-01-01\n"},
        "row 2, column stage): 'won'",
    ),
    "bad timestamp": (
        {"contacts.csv": "contact_id,created_at\nc1,01/02/2024\n"},
        "row 2, column created_at): '01/02/2024'",
    ),
    "duplicate id": (
        {"contacts.csv": "contact_id,created_at\nc1,2024-01-01\nc1,2024-01-02\n"},
        "row 3, column contact_id): 'c1'",
    ),
    "dangling reference": (
        {
            "contacts.csv": "contact_id,created_at\nc1,2024-01-01\n",
            "lead_scores.csv": "contact_id,score,scored_at\nc2,5,2024-01-01\n",
        },
        "row 2, column contact_id): 'c2'",
    ),
    "score out of range": (
        {"nps_responses.csv": "response_id,score,responded_at\nr,-1,2024-01-01\n"},
        "row 2, column score): '-1'",
    ),
    "mixed currencies": (
        {
            "costs.csv": "month,amount,category,currency\n2024-01,1,labor,EUR\n"
            "2024-01,1,labor,EUR\n2024-01,1,labor,USD\n"
        },
        "row 4, column currency): 'USD'",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_validate_broken_variants_exit_3_naming_table_row_column_value(
    runner: CliRunner, tmp_path: Path, case: str
) -> None:
    files, fragment = BROKEN[case]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = runner.invoke(app, ["validate", str(tmp_path), "-q"])
    assert result.exit_code == 3, result.output
    assert fragment in result.output
    # the compute commands refuse the same data with the same message
    computed = runner.invoke(app, ["metrics", str(tmp_path), "-q"])
    assert computed.exit_code == 3
    assert fragment in computed.output


def test_validate_json_report(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2024-01-01\nc1,x\n")
    result = runner.invoke(app, ["validate", str(tmp_path), "--format", "json", "-q"])
    report = json.loads(result.stdout)
    assert result.exit_code == 3
    assert report["valid"] is False
    assert {(p["rule"], p["count"]) for p in report["problems"]} == {
        ("invalid_value", 1),
        ("duplicate_id", 1),
    }
    absent = {entry["table"]: entry["enables"] for entry in report["absent"]}
    assert "mqls" in absent["stage_changes"]


def test_quarantine_lets_metrics_run_and_says_so(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2024-01-01\nc2,x\n")
    result = runner.invoke(
        app,
        [
            "metrics",
            str(tmp_path),
            "--quarantine",
            str(tmp_path / "q"),
            "--metric",
            "new_leads",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0
    assert "1 invalid row(s) set aside" in result.stderr
    assert result.stdout.splitlines()[1] == "new_leads,capture,outcome,2024-01,,,1,true"


def test_catalog_formats(runner: CliRunner) -> None:
    listing = json.loads(runner.invoke(app, ["catalog", "--format", "json"]).stdout)
    assert [entry["id"] for entry in listing] == list(CATALOG.ids())
    markdown = runner.invoke(app, ["catalog", "--format", "markdown"]).stdout
    assert markdown.count("### `") == len(CATALOG)
    table = runner.invoke(app, ["catalog"]).stdout
    assert f"{len(CATALOG)} metrics" in table


def test_generated_docs_match_the_catalog() -> None:
    from lifecycle_metrics.render.catalog import catalog_markdown

    docs = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
    assert docs.read_text() == catalog_markdown(CATALOG) + "\n", (
        "docs/metrics.md is stale: run `lifecycle catalog --format markdown > docs/metrics.md`"
    )


def test_hostile_member_names_are_neutralised_in_csv(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text(
        "contact_id,created_at,channel\nc1,2024-01-01,\"=cmd|' /C calc'!A0\"\n"
    )
    result = runner.invoke(
        app,
        [
            "metrics",
            str(tmp_path),
            "--metric",
            "new_leads",
            "--by",
            "channel",
            "--format",
            "csv",
            "-q",
        ],
    )
    assert "'=cmd|' /C calc'!A0" in result.stdout


def test_a_dataset_no_metric_can_use_lists_them_all_unavailable(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "features.csv").write_text("feature,product\ndashboards,analytics\n")
    result = runner.invoke(app, ["metrics", str(tmp_path), "--format", "csv", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["metric,stage,kind,month,dimension,member,value,mature"]
    assert result.stderr.count("unavailable:") == len(CATALOG)


def test_choosing_metrics_does_not_move_as_of_or_the_months(runner: CliRunner) -> None:
    # as_of and the first month come from the events of every table (SPEC §3): the
    # subscription starting 2023-12-15 opens the range even for a contact metric
    result = runner.invoke(app, ["metrics", ACME, "--metric", "new_leads", "--format", "csv"])
    months = [row["month"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert months[0] == "2023-12"
    assert "as_of 2024-07-02 00:00:00 UTC" in result.stderr  # d7 is won then, the last event


REPORT_ARGS = ["report", ACME, "--as-of", "2024-06-30T23:59:59Z", "-q"]


def test_report_writes_html_and_prints_the_terminal_report(
    runner: CliRunner, tmp_path: Path
) -> None:
    out_file = tmp_path / "acme.html"
    result = runner.invoke(app, [*REPORT_ARGS, "--out", str(out_file)])
    assert result.exit_code == 0, result.output
    assert "Lifecycle report — 2024-06" in result.stdout  # as_of is the month's last second
    assert out_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"report written to {out_file}" in result.stderr


@pytest.mark.parametrize(
    ("fmt", "start"),
    [("json", "{"), ("markdown", "# Lifecycle report"), ("html", "<!DOCTYPE html>")],
)
def test_report_formats_on_standard_output(runner: CliRunner, fmt: str, start: str) -> None:
    result = runner.invoke(app, [*REPORT_ARGS, "--month", "2024-05", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(start)
    if fmt == "json":
        report = json.loads(result.stdout)
        assert report["month"] == "2024-05" and report["tz"] == "UTC"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--month", "2019-01"], "outside the data's months"),
        (["--month", "May"], "--month"),
        (["--out", "report.pdf"], "expected a file name ending in"),
        (["--targets", "no-such-targets.yaml"], "cannot read targets file"),
    ],
)
def test_report_usage_errors_exit_2(runner: CliRunner, extra: list[str], message: str) -> None:
    result = runner.invoke(app, [*REPORT_ARGS, *extra])
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_report_with_targets_shows_status(runner: CliRunner, tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("new_leads:\n  monthly: 50\n", encoding="utf-8")
    result = runner.invoke(
        app, [*REPORT_ARGS, "--month", "2024-05", "--targets", str(targets), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["metrics"]["new_leads"]["target"] == 50
    assert report["metrics"]["new_leads"]["status"] == "missed"
    assert any(f["metric"] == "new_leads" and f["rule"] == "target" for f in report["flags"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "postgres"], "needs DATA to be a postgres:// URL"),
        (["--engine", "pyspark", "postgres://u:secret@h/db"], "is neither"),
        (["--memory-limit", "lots"], "expected a size such as 4GB"),
    ],
)
def test_engine_usage_errors(runner: CliRunner, extra: list[str], message: str) -> None:
    data = [a for a in extra if "://" in a] or [ACME]
    options = [a for a in extra if "://" not in a]
    result = runner.invoke(app, ["metrics", *data, *options, "-q"])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "secret" not in result.output


def test_memory_limit_is_the_whole_run_budget() -> None:
    from lifecycle_metrics.engines.duckdb import connect, memory_bytes

    assert memory_bytes("4GB") == 4 * 10**9 and memory_bytes(" 512 MiB ") == 512 * 2**20
    # DuckDB's own limit is three quarters of it: 3e9 bytes = 2861 MiB
    con = connect("4GB")
    (setting,) = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()
    assert setting == "2.7 GiB"

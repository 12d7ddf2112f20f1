"""The executable as a user runs it: one-line errors for faults, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle_metrics import entry
from lifecycle_metrics.cli import app

ACME = str(Path(__file__).resolve().parent / "fixtures" / "acme")
LIFECYCLE = [sys.executable, "-c", "from lifecycle_metrics.entry import main; main()"]


@pytest.mark.parametrize(
    "arguments",
    [
        ["metrics", ACME, "--from", "0000-01"],
        ["report", ACME, "--month", "0000-01"],
        ["drill", ACME, "--metric", "mqls", "--month", "0000-01"],
        ["metrics", ACME, "--as-of", "0001-01-01"],
        ["drill", ACME, "--metric", "mqls", "--month", "2999-01"],  # after as_of, as in report
    ],
)
def test_months_no_run_can_report_are_usage_errors(runner: CliRunner, arguments: list[str]) -> None:
    result = runner.invoke(app, [*arguments, "-q"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_smallest_demo_runs_through_the_report(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", str(tmp_path / "tiny"), "--contacts", "10", "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tiny" / "report.html").stat().st_size > 10_000


def test_out_of_memory_under_a_small_budget_is_not_called_invalid_data(
    demo_folder: Path,
) -> None:
    done = subprocess.run(
        [*LIFECYCLE, "metrics", str(demo_folder), "--memory-limit", "8MB", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert "needed more memory than its budget allows" in done.stderr
    assert "Traceback" not in done.stderr and "invalid" not in done.stderr


@pytest.mark.parametrize(
    ("stop", "code"),
    [(signal.SIGTERM, entry.TERMINATED), (signal.SIGINT, entry.INTERRUPTED)],
)
def test_a_signal_mid_run_ends_it_in_one_line_and_removes_the_spill_folder(
    demo_folder: Path, tmp_path: Path, stop: signal.Signals, code: int
) -> None:
    spill_parent = tmp_path / "tmp"
    spill_parent.mkdir()
    process = subprocess.Popen(
        [*LIFECYCLE, "metrics", str(demo_folder), "--format", "csv", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(spill_parent), "LIFECYCLE_CACHE_DIR": "off"},
    )
    deadline = time.monotonic() + 120
    while not any(spill_parent.glob("lifecycle-spill-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(spill_parent.glob("lifecycle-spill-*")), "the run never started"
    time.sleep(1.0)  # well into reading and checking: inside DuckDB's queries
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert not any(spill_parent.glob("lifecycle-spill-*"))


def test_ctrl_c_at_any_moment_of_start_up_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import lifecycle_metrics.cli

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(lifecycle_metrics.cli, "main", interrupted)
    with pytest.raises(SystemExit) as exited:
        entry.main()
    assert exited.value.code == entry.INTERRUPTED
    assert capsys.readouterr().err == "Interrupted.\n"

"""The demo dataset: complete, valid, deterministic, and holding the mechanics metrics need."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.dataset import load
from lifecycle_metrics.demo import DemoConfig, generate
from lifecycle_metrics.schema import ADVOCACY_ACTIVITY_TYPES, DEAL_TYPES, TABLE_NAMES


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, DemoConfig(contacts=3000, seed=11))
    return folder


def table(folder: Path, name: str) -> list[dict]:  # type: ignore[type-arg]
    return pq.read_table(folder / f"{name}.parquet").to_pylist()


def test_every_canonical_table_is_written_and_valid(demo: Path) -> None:
    assert sorted(p.stem for p in demo.iterdir()) == sorted(TABLE_NAMES)
    dataset = load(demo)
    assert not dataset.report.errors
    assert all(s.rows_read == s.rows_used > 0 for s in dataset.report.tables.values())


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    def digest(folder: Path) -> str:
        return hashlib.sha256(
            b"".join(p.read_bytes() for p in sorted(folder.iterdir()))
        ).hexdigest()

    generate(tmp_path / "a", DemoConfig(contacts=500, seed=3))
    generate(tmp_path / "b", DemoConfig(contacts=500, seed=3))
    generate(tmp_path / "c", DemoConfig(contacts=500, seed=4))
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")


def test_the_traps_metrics_must_handle_are_there(demo: Path) -> None:
    contacts = table(demo, "contacts")
    assert 0 < sum(c["is_internal"] for c in contacts) < len(contacts) * 0.02
    changes = table(demo, "stage_changes")
    stages_by_contact: dict[str, list[str]] = {}
    for change in sorted(changes, key=lambda c: c["changed_at"]):
        stages_by_contact.setdefault(change["contact_id"], []).append(change["stage"])
    histories = list(stages_by_contact.values())
    assert any("sql" in h and "mql" not in h for h in histories)  # skipped stage
    assert any(h[-2:] == ["recycled", "mql"] for h in histories)  # recycled, then back
    assert any("disqualified" in h for h in histories)
    activities = table(demo, "activities")
    kinds = {a["type"] for a in activities}
    assert {
        "email_sent",
        "email_bounce",
        "email_open",
        "email_click",
        "email_unsubscribe",
        "web_visit",
        "form_submit",
        "event_attended",
    } <= kinds
    assert kinds & set(ADVOCACY_ACTIVITY_TYPES)
    assert any(a["is_machine"] for a in activities)
    assert any(a["campaign_id"] is None and a["message_id"] for a in activities)
    deals = table(demo, "deals")
    assert {d["type"] for d in deals} == set(DEAL_TYPES)
    assert {d["status"] for d in deals} == {"open", "won", "lost"}
    subscriptions = table(demo, "subscriptions")
    assert any(s["ended_at"] is not None for s in subscriptions)  # churn
    accounts_with_lines = [s["account_id"] for s in subscriptions]
    assert len(accounts_with_lines) > len(set(accounts_with_lines))  # expansion lines
    costs = table(demo, "costs")
    assert {c["category"] for c in costs} == {"program", "labor", "technology"}
    assert any(c["campaign_id"] is None and c["channel"] is None for c in costs)  # unallocated
    comments = {r["comment"] for r in table(demo, "nps_responses") if r["comment"]}
    assert any("è" in c or "é" in c for c in comments)  # French
    assert any("ä" in c for c in comments) and any(c.isascii() for c in comments)  # German, English
    assert {f["product"] for f in table(demo, "features")} == {
        "analytics",
        "automation",
        "insights",
    }
    assert table(demo, "lead_scores") and table(demo, "web_sessions")
    assert table(demo, "product_usage")


def test_activities_scale_at_ten_per_contact(demo: Path) -> None:
    assert len(table(demo, "activities")) >= 10 * 3000


def test_csv_output_reads_back_the_same(tmp_path: Path) -> None:
    generate(tmp_path / "p", DemoConfig(contacts=200, seed=5))
    generate(tmp_path / "c", DemoConfig(contacts=200, seed=5, file_format="csv"))
    from_parquet = load(tmp_path / "p").tables["deals"].order_by("deal_id").to_pyarrow()
    from_csv = load(tmp_path / "c").tables["deals"].order_by("deal_id").to_pyarrow()
    assert from_parquet.drop(["_row"]).to_pylist() == from_csv.drop(["_row"]).to_pylist()


def test_demo_without_out_ends_with_the_monthly_report(runner: CliRunner) -> None:
    result = runner.invoke(app, ["demo", "--contacts", "400", "-q"])
    assert result.exit_code == 0, result.output
    assert "Lifecycle report — 2025-12" in result.stdout
    for title in ("Attract", "Capture", "Nurture", "Convert", "Expand", "Early warnings"):
        assert title in result.stdout
    written = Path(re.search(r"Open (\S+report\.html)", result.stdout).group(1))
    assert "Content-Security-Policy" in written.read_text(encoding="utf-8")


def test_demo_into_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", str(tmp_path / "out"), "--contacts", "100", "-q"])
    assert result.exit_code == 0
    assert (tmp_path / "out" / "contacts.parquet").exists()

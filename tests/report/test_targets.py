"""targets.yaml: read, checked, every mistake named with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.report.targets import load_targets


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_targets_with_channels(tmp_path: Path) -> None:
    targets = load_targets(
        write(
            tmp_path,
            "mqls:\n  monthly: 450\n  quarterly: 1400\n  channels:\n"
            "    paid_search: {monthly: 120}\ncost_per_mql:\n  monthly: 150.5\n",
        )
    )
    mqls = targets.of("mqls")
    assert mqls is not None and (mqls.monthly, mqls.quarterly) == (450, 1400)
    assert mqls.channels["paid_search"].monthly == 120
    assert targets.of("cost_per_mql").monthly == 150.5  # type: ignore[union-attr]
    assert targets.of("sqls") is None


def test_an_empty_file_has_no_targets(tmp_path: Path) -> None:
    assert load_targets(write(tmp_path, "")).root == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mql:\n  monthly: 3\n", "unknown metric 'mql'"),
        ("mqls:\n  monthly: lots\n", "mqls.monthly"),
        ("mqls:\n  weekly: 3\n", "mqls.weekly"),
        ("churn_rate:\n  channels:\n    paid: {monthly: 0.1}\n", "churn_rate has no channel"),
        ("mqls: [1, 2\n", "not valid YAML"),
        ("- mqls\n", "expected a mapping"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=r"targets\.yaml") as caught:
        load_targets(write(tmp_path, text))
    assert message in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read targets file"):
        load_targets(tmp_path / "nope.yaml")

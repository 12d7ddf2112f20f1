"""Early warnings on the demo data where one channel's MQLs were made to collapse."""

from __future__ import annotations

from pathlib import Path

from lifecycle_metrics.dataset import load
from lifecycle_metrics.report import build_report
from lifecycle_metrics.report.targets import Targets
from tests.report.conftest import COLLAPSED_CHANNEL


def test_the_untouched_demo_raises_no_mql_flag(demo_folder: Path) -> None:
    report = build_report(load(demo_folder))
    assert report.month == "2025-12"
    assert not [f for f in report.flags if f.metric == "mqls" and not f.favourable]


def test_a_collapsed_channel_is_flagged_and_named(collapsed_folder: Path) -> None:
    report = build_report(load(collapsed_folder))
    flags = [f for f in report.flags if f.metric == "mqls" and not f.favourable]
    assert flags, [f.message for f in report.flags]
    own = [f for f in flags if (f.dimension, f.member) == ("channel", COLLAPSED_CHANNEL)]
    assert own and own[0].rule == "range" and own[0].value == 0
    assert report.metrics["mqls"].flagged
    # the unfavourable flags come first in the summary
    assert not report.flags[0].favourable


def test_a_missed_target_names_the_collapsed_channel_as_driver(
    demo_folder: Path, collapsed_folder: Path
) -> None:
    normal = build_report(load(demo_folder)).metrics["mqls"].value
    assert normal is not None
    targets = Targets.model_validate({"mqls": {"monthly": normal, "quarterly": 3 * normal}})
    report = build_report(load(collapsed_folder), targets=targets)
    missed = [f for f in report.flags if f.metric == "mqls" and f.rule == "target"]
    assert len(missed) == 1 and missed[0].value is not None and missed[0].value < normal
    driver = missed[0].driver
    assert driver is not None
    assert (driver.dimension, driver.member) == ("channel", COLLAPSED_CHANNEL)
    assert driver.value == 0
    (quarter,) = [q for q in report.quarters if q.metric == "mqls"]
    assert quarter.label == "2025-Q4" and quarter.elapsed == 1.0
    view = report.metrics["mqls"]
    assert view.target == normal and view.status == "missed"

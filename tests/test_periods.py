"""Months, time zones and instants: SPEC §2's clock-change rules, done the same in SQL and Python."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.periods import (
    local_segments,
    local_to_utc,
    month_index,
    month_label,
    month_start_utc,
    parse_instant,
    parse_month,
    python_local_to_utc,
    python_utc_to_local,
    utc_to_local,
    zone,
)


def _sql(values: list[datetime], build) -> list[datetime]:  # type: ignore[no-untyped-def]
    table = ibis.memtable({"t": values}, schema={"t": "timestamp"})
    frame = table.select(r=build(table.t)).to_pyarrow().to_pylist()
    return [row["r"] for row in frame]


@pytest.mark.parametrize(
    ("local", "tz", "utc"),
    [
        # New York springs forward at 02:00 on 2024-03-10: 02:30 does not exist and moves
        # forward by the gap, i.e. is read with the offset before the change (−5 h)
        (datetime(2024, 3, 10, 2, 30), "America/New_York", datetime(2024, 3, 10, 7, 30)),
        (datetime(2024, 3, 10, 3, 0), "America/New_York", datetime(2024, 3, 10, 7, 0)),
        # falls back at 02:00 on 2024-11-03: 01:30 happens twice; the first (EDT, −4 h) counts
        (datetime(2024, 11, 3, 1, 30), "America/New_York", datetime(2024, 11, 3, 5, 30)),
        (datetime(2024, 11, 3, 2, 0), "America/New_York", datetime(2024, 11, 3, 7, 0)),
        # Paris: gap 02:00–03:00 on 2024-03-31, repeated 02:00–03:00 on 2024-10-27
        (datetime(2024, 3, 31, 2, 15), "Europe/Paris", datetime(2024, 3, 31, 1, 15)),
        (datetime(2024, 10, 27, 2, 15), "Europe/Paris", datetime(2024, 10, 27, 0, 15)),
        # a zone without DST and a half-hour one
        (datetime(2024, 6, 1), "Asia/Kolkata", datetime(2024, 5, 31, 18, 30)),
        (datetime(2024, 6, 1), "UTC", datetime(2024, 6, 1)),
    ],
)
def test_local_wall_times_convert_by_the_spec_rule(local: datetime, tz: str, utc: datetime) -> None:
    assert python_local_to_utc(local, tz) == utc
    assert _sql([local], lambda t: local_to_utc(t, tz)) == [utc]


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from(["America/New_York", "Europe/Paris", "Australia/Sydney", "America/Sao_Paulo"]),
)
def test_sql_and_python_conversions_agree(moment: datetime, tz: str) -> None:
    moment = moment.replace(microsecond=0)
    assert _sql([moment], lambda t: local_to_utc(t, tz)) == [python_local_to_utc(moment, tz)]
    assert _sql([moment], lambda t: utc_to_local(t, tz)) == [python_utc_to_local(moment, tz)]
    index = _sql([moment], lambda t: month_index(t, tz))[0]
    assert month_start_utc(index, tz) <= moment < month_start_utc(index + 1, tz)


def test_month_index_follows_the_report_zone() -> None:
    # 2024-03-01 04:30 UTC is still February in New York (23:30 EST)
    instant = datetime(2024, 3, 1, 4, 30)
    assert _sql([instant], lambda t: month_index(t, "America/New_York")) == [2024 * 12 + 1]
    assert _sql([instant], lambda t: month_index(t, "UTC")) == [2024 * 12 + 2]


def test_segments_can_be_limited_to_the_data_years() -> None:
    everything = local_segments("Europe/Paris")
    recent = local_segments("Europe/Paris", (2023, 2024))
    assert len(recent) == 5  # the offset before 2023, then two changes a year
    assert len(everything) > 100
    instant = datetime(2024, 7, 1)
    assert _sql([instant], lambda t: local_to_utc(t, "Europe/Paris", (2023, 2024))) == [
        instant - timedelta(hours=2)
    ]


def test_month_labels_and_parsing() -> None:
    assert parse_month("2024-03") == 2024 * 12 + 2
    assert month_label(2024 * 12 + 2) == "2024-03"
    for bad in ("2024-13", "24-03", "March", "2024-3-1"):
        with pytest.raises(UsageError, match="YYYY-MM"):
            parse_month(bad)


def test_instants_given_by_the_user() -> None:
    assert parse_instant("2024-03-31", "Europe/Paris") == datetime(2024, 3, 30, 23, 0)
    assert parse_instant("2024-03-31T10:00:00+02:00", "UTC") == datetime(2024, 3, 31, 8, 0)
    assert parse_instant("2024-03-31T10:00:00Z", "Asia/Tokyo") == datetime(2024, 3, 31, 10)
    with pytest.raises(UsageError, match="ISO 8601"):
        parse_instant("yesterday", "UTC")


def test_unknown_zone_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="IANA"):
        zone("Mars/Olympus_Mons")

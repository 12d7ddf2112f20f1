"""Attract: web sessions and distinct visitors per month, by the session's channel."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.metrics.families.base import Family, record_shape, register, rollup
from lifecycle_metrics.model.model import UNKNOWN, Model


def session_rows(model: Model) -> ir.Table:
    """Web sessions with their month and channel (empty channels are `unknown`)."""
    sessions = model.tables["web_sessions"]
    return sessions.select(
        session_id=sessions.session_id,
        started_at=sessions.started_at,
        month=model.month(sessions.started_at),
        channel=sessions.channel.fill_null(UNKNOWN),  # empties are NULL since loading
        visitor_id=sessions.visitor_id,
    )


def _web(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Web sessions and distinct visitors per month, by the session's channel."""
    frame = session_rows(model)
    # sessions per (month, channel, visitor) first: the roll-up then counts rows, not sessions
    fine = frame.group_by(["month", "channel", "visitor_id"]).aggregate(sessions=frame.count())
    return rollup(
        fine,
        dims,
        lambda t: {"sessions": t.sessions.sum(), "visitors": t.visitor_id.nunique()},
    )


def _web_records(model: Model) -> ir.Table:
    rows = session_rows(model)
    return record_shape(
        rows,
        month=rows.month,
        channel=rows.channel,
        set=ibis.literal("sessions"),
        record=rows.session_id,
        at=rows.started_at,
        note="visitor " + rows.visitor_id,
    )


WEB = register(
    Family(
        "web", reads=("web_sessions",), dimensions=("channel",), build=_web, records=_web_records
    )
)
SESSIONS = WEB.measure("sessions", "sessions")
VISITORS = WEB.measure("visitors", "sessions")

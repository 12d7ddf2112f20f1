"""Surveys: NPS responses, promoters and detractors per month, by segment."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.metrics.families.base import (
    Family,
    additive_rollup,
    record_shape,
    register,
)
from lifecycle_metrics.model.model import UNKNOWN, Model


def response_rows(model: Model) -> ir.Table:
    """NPS responses with their month and segment (the account's, else the contact's)."""
    responses = model.tables["nps_responses"]
    if "contacts" in model.tables:
        contacts = model.tables["contacts"]
        people = contacts.select(
            _contact=contacts.contact_id,
            _contact_account=contacts.account_id.fill_null(contacts.contact_id),
        )
        responses = responses.left_join(people, responses.contact_id == people._contact).view()
        contact_account = responses._contact_account
    else:
        contact_account = responses.contact_id
    keyed = responses.mutate(_account=responses.account_id.fill_null(contact_account)).view()
    segments = model.segments.rename({"_segment_account": "account_id"})
    keyed = keyed.left_join(segments, keyed._account == segments._segment_account)
    return keyed.select(
        keyed.response_id,
        keyed.responded_at,
        keyed.score,
        keyed.comment,
        month=model.month(keyed.responded_at),
        segment=keyed.segment.fill_null(UNKNOWN),
    )


def _nps(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Responses, promoters and detractors per month."""
    rows = response_rows(model)
    frame = rows.select(rows.month, rows.score, rows.segment)
    return additive_rollup(
        frame,
        dims,
        lambda t: {
            "responses": t.count(),
            "net_promoters": (t.score >= 9).sum() - (t.score <= 6).sum(),
        },
    )


def _response_records(model: Model) -> ir.Table:
    rows = response_rows(model)
    return record_shape(
        rows,
        month=rows.month,
        segment=rows.segment,
        set=ibis.literal("responses"),
        record=rows.response_id,
        at=rows.responded_at,
        value=rows.score,
        note=rows.comment.fill_null(""),
    )


NPS = register(
    Family(
        "nps",
        reads=("nps_responses",),
        dimensions=("segment",),
        build=_nps,
        sets=("responses",),
        records=_response_records,
    )
)
RESPONSES = NPS.measure("responses", "responses")
NET_PROMOTERS = NPS.measure("net_promoters", "responses")

"""The canonical tables of SPEC §2 as typed specs: columns, keys, references, allowed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """How a raw value is read and what it becomes."""

    ID = "id"  # string, trimmed
    TEXT = "text"  # free text, kept as is
    TIMESTAMP = "timestamp"  # ISO 8601, converted to UTC
    BOOLEAN = "boolean"  # true/false/1/0/yes/no, empty is false
    NUMBER = "number"  # decimal number
    INTEGER = "integer"  # whole number
    MONTH = "month"  # YYYY-MM
    ENUM = "enum"  # one of a closed set


FUNNEL_STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "customer")
STAGES: tuple[str, ...] = (*FUNNEL_STAGES, "recycled", "disqualified")
V1_ACTIVITY_TYPES: tuple[str, ...] = (
    "email_sent",
    "email_bounce",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "web_visit",
    "form_submit",
    "event_attended",
)
ADVOCACY_ACTIVITY_TYPES: tuple[str, ...] = (
    "referral_given",
    "review_posted",
    "case_study",
    "reference_call",
    "community_post",
    "social_share",
    "event_speaker",
)
KNOWN_ACTIVITY_TYPES: tuple[str, ...] = V1_ACTIVITY_TYPES + ADVOCACY_ACTIVITY_TYPES
DEAL_TYPES: tuple[str, ...] = ("new_business", "upsell", "cross_sell", "renewal")
DEAL_STATUSES: tuple[str, ...] = ("open", "won", "lost")
AUDIENCES: tuple[str, ...] = ("prospect", "customer")
COST_CATEGORIES: tuple[str, ...] = ("program", "labor", "technology")


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: ColumnType
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values of an ENUM column
    min_value: float | None = None
    max_value: float | None = None
    references: str | None = None  # "table.column" it must point at, when that table is given


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    """One canonical table: its columns, its key and what it is for."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: str | None = None  # column whose values must be unique
    event_columns: tuple[str, ...] = field(default=())  # timestamps that move as_of

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of all declared columns, in declaration order."""
        return tuple(column.name for column in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns marked required."""
        return tuple(column.name for column in self.columns if column.required)


def _id(name: str, *, required: bool = False, references: str | None = None) -> Column:
    return Column(name=name, type=ColumnType.ID, required=required, references=references)


def _ts(name: str, *, required: bool = False) -> Column:
    return Column(name=name, type=ColumnType.TIMESTAMP, required=required)


def _enum(name: str, values: tuple[str, ...]) -> Column:
    return Column(name=name, type=ColumnType.ENUM, required=True, values=values)


CONTACT = "contacts.contact_id"
ACCOUNT = "accounts.account_id"
CAMPAIGN = "campaigns.campaign_id"

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        name="contacts",
        description="one row per person, with the original acquisition channel",
        key="contact_id",
        event_columns=("created_at",),
        columns=(
            _id("contact_id", required=True),
            _ts("created_at", required=True),
            _id("account_id", references=ACCOUNT),
            Column(name="email", type=ColumnType.TEXT),
            _id("channel"),
            _id("source"),
            _id("campaign_id", references=CAMPAIGN),
            Column(name="is_internal", type=ColumnType.BOOLEAN),
        ),
    ),
    TableSpec(
        name="accounts",
        description="companies, with their segment",
        key="account_id",
        columns=(
            _id("account_id", required=True),
            Column(name="name", type=ColumnType.TEXT),
            _id("segment"),
            _id("industry"),
            _ts("created_at"),
        ),
    ),
    TableSpec(
        name="stage_changes",
        description="each time a contact moved into a lifecycle stage",
        event_columns=("changed_at",),
        columns=(
            _id("contact_id", required=True, references=CONTACT),
            _enum("stage", STAGES),
            _ts("changed_at", required=True),
        ),
    ),
    TableSpec(
        name="activities",
        description="marketing touches: email sends, opens, clicks, visits, forms, events",
        key="activity_id",
        event_columns=("occurred_at",),
        columns=(
            _id("activity_id", required=True),
            _id("contact_id", required=True, references=CONTACT),
            _id("type", required=True),
            _ts("occurred_at", required=True),
            _id("campaign_id", references=CAMPAIGN),
            _id("message_id"),
            Column(name="is_machine", type=ColumnType.BOOLEAN),
        ),
    ),
    TableSpec(
        name="campaigns",
        description="campaigns and automated programs, with channel and audience",
        key="campaign_id",
        columns=(
            _id("campaign_id", required=True),
            Column(name="name", type=ColumnType.TEXT, required=True),
            _id("channel", required=True),
            _enum("audience", AUDIENCES),
            Column(name="automated", type=ColumnType.BOOLEAN, required=True),
            _ts("started_at"),
            _ts("ended_at"),
        ),
    ),
    TableSpec(
        name="costs",
        description="marketing spend per month: program, labor and technology",
        columns=(
            Column(name="month", type=ColumnType.MONTH, required=True),
            Column(name="amount", type=ColumnType.NUMBER, required=True),
            _enum("category", COST_CATEGORIES),
            _id("campaign_id", references=CAMPAIGN),
            _id("channel"),
        ),
    ),
    TableSpec(
        name="deals",
        description="opportunities and their bookings",
        key="deal_id",
        event_columns=("created_at",),
        columns=(
            _id("deal_id", required=True),
            _id("account_id", required=True, references=ACCOUNT),
            _enum("type", DEAL_TYPES),
            _enum("status", DEAL_STATUSES),
            _ts("created_at", required=True),
            Column(name="amount", type=ColumnType.NUMBER, required=True),
            _ts("closed_at"),
            _id("contact_id", references=CONTACT),
            _id("campaign_id", references=CAMPAIGN),
            _id("channel"),
            _id("product"),
        ),
    ),
    TableSpec(
        name="subscriptions",
        description="recurring revenue: each subscription is active on [started_at, ended_at)",
        key="subscription_id",
        event_columns=("started_at",),
        columns=(
            _id("subscription_id", required=True),
            _id("account_id", required=True, references=ACCOUNT),
            _ts("started_at", required=True),
            Column(name="mrr", type=ColumnType.NUMBER, required=True),
            _ts("ended_at"),
            _id("product"),
        ),
    ),
    TableSpec(
        name="nps_responses",
        description="survey answers scored 0..10",
        key="response_id",
        event_columns=("responded_at",),
        columns=(
            _id("response_id", required=True),
            Column(name="score", type=ColumnType.INTEGER, required=True, min_value=0, max_value=10),
            _ts("responded_at", required=True),
            _id("contact_id", references=CONTACT),
            _id("account_id", references=ACCOUNT),
            Column(name="comment", type=ColumnType.TEXT),
        ),
    ),
    TableSpec(
        name="lead_scores",
        description="lead-score history of each contact",
        event_columns=("scored_at",),
        columns=(
            _id("contact_id", required=True, references=CONTACT),
            Column(name="score", type=ColumnType.NUMBER, required=True),
            _ts("scored_at", required=True),
        ),
    ),
    TableSpec(
        name="web_sessions",
        description="anonymous web traffic",
        key="session_id",
        event_columns=("started_at",),
        columns=(
            _id("session_id", required=True),
            _id("visitor_id", required=True),
            _ts("started_at", required=True),
            _id("channel"),
            _id("contact_id", references=CONTACT),
        ),
    ),
    TableSpec(
        name="product_usage",
        description="feature-use events of customers",
        event_columns=("used_at",),
        columns=(
            _id("account_id", required=True, references=ACCOUNT),
            _id("feature", required=True),
            _ts("used_at", required=True),
            _id("contact_id", references=CONTACT),
            Column(name="count", type=ColumnType.NUMBER),
        ),
    ),
    TableSpec(
        name="features",
        description="which product each feature belongs to",
        key="feature",
        columns=(_id("feature", required=True), _id("product", required=True)),
    ),
)

TABLES_BY_NAME: dict[str, TableSpec] = {spec.name: spec for spec in TABLES}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES_BY_NAME)
# Tables whose `currency` column, when present, must hold a single value across the dataset.
CURRENCY_TABLES: tuple[str, ...] = ("costs", "deals", "subscriptions")
# Every table carries the row number of its source (as a spreadsheet shows it) so problems name it.
ROW = "_row"
SOURCE_ROW = "_source_row"  # the file row a table written by `lifecycle load` came from


def table_spec(name: str) -> TableSpec:
    """The spec of canonical table `name`."""
    return TABLES_BY_NAME[name]

"""`mapping`: the example mappings reproduce the project's Olist, Telco and Maven checks.

Each example is imported through the command line and checked against figures computed
independently from the raw files (plain Python, or the reference converters in examples/);
small mappings written here check the errors (exit 2 naming the line) and the quarantine.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.dataset import load
from lifecycle_metrics.metrics.engine import compute_result
from lifecycle_metrics.sources import import_source
from tests.conftest import SHARED_DATA
from tests.test_olist import raw_counts

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "examples" / "mappings"
OLIST = SHARED_DATA / "olist-marketing-funnel"
TELCO = SHARED_DATA / "ibm-telco-customer-churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
MAVEN = SHARED_DATA / "maven-crm-sales-opportunities"
AS_OF = "2025-01-01T00:00:00Z"


def _import(mapping: Path, out: Path) -> None:
    result = CliRunner().invoke(app, ["import", "mapping", str(mapping), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output


def _ledger(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return json.loads((out / "import-ledger.json").read_text())["tables"]


def _balanced(account: dict) -> bool:  # type: ignore[type-arg]
    return account["read"] == account["imported"] + sum(account["quarantined"].values()) + sum(
        account["skipped"].values()
    )


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.parquet"))
    }


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


# --- Olist -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("olist") / "dataset"
    _import(MAPPINGS / "olist.yaml", out)
    return out


@pytest.fixture(scope="module")
def olist_metrics(olist: Path) -> dict[tuple, object]:  # type: ignore[type-arg]
    # the mapping reads Olist's naive times as São Paulo times; months in that zone are the
    # months the raw files write
    result = compute_result(
        load(olist, tz="America/Sao_Paulo"),
        metrics=["mqls", "new_customers", "new_leads"],
        by=["channel"],
    )
    return {(r["metric"], r["month"], r["dimension"], r["member"]): r["value"] for r in result.rows}


def test_olist_mapping_writes_the_converters_rows(olist: Path) -> None:
    rows = {path.stem: len(pd.read_parquet(path)) for path in olist.glob("*.parquet")}
    assert rows == {"contacts": 8000, "stage_changes": 8842, "deals": 842}
    ledger = _ledger(olist)
    assert {name: account["read"] for name, account in ledger.items()} == {
        "mqls → contacts": 8000,
        "mqls → stage_changes (became an MQL)": 8000,
        "closed_deals → stage_changes (won)": 842,
        "closed_deals → deals": 842,
    }
    assert all(_balanced(account) for account in ledger.values())
    assert not (olist / "import-quarantine.csv").exists()


def test_olist_monthly_mqls_and_new_customers_per_channel_match_the_raw_files(
    olist_metrics: dict,  # type: ignore[type-arg]
) -> None:
    """tests/test_olist.py's check, on the mapping's dataset."""
    mql_counts, customer_counts = raw_counts()
    for metric, counts in (("mqls", mql_counts), ("new_customers", customer_counts)):
        got = {
            (month, member): value
            for (name, month, dimension, member), value in olist_metrics.items()
            if name == metric and value
        }
        assert got == dict(counts), metric


def test_olist_published_reference_conversion_by_origin(olist_metrics: dict) -> None:  # type: ignore[type-arg]
    def total(metric: str, channel: str) -> int:
        return sum(
            int(v)
            for (m, _, d, member), v in olist_metrics.items()
            if m == metric and d == "channel" and member == channel
        )

    assert (total("new_customers", "organic_search"), total("mqls", "organic_search")) == (
        271,
        2296,
    )
    assert (total("new_customers", "unknown"), total("mqls", "unknown")) == (14 + 179, 60 + 1099)


def test_olist_naive_times_are_read_as_sao_paulo_times(olist: Path) -> None:
    """Every first contact date, converted by zoneinfo (fold 0: SPEC's rule at a clock change)."""
    zone = ZoneInfo("America/Sao_Paulo")
    expected = {}
    for row in _csv_rows(OLIST / "olist_marketing_qualified_leads_dataset.csv"):
        local = datetime.fromisoformat(row["first_contact_date"]).replace(tzinfo=zone)
        expected[row["mql_id"]] = local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    contacts = pd.read_parquet(olist / "contacts.parquet")
    assert dict(zip(contacts.contact_id, contacts.created_at, strict=True)) == expected
    # 2017-10-15 00:00 did not exist in São Paulo (clocks went to 01:00): moved forward
    assert "2017-10-15T03:00:00Z" in set(contacts.created_at)


def test_olist_deals_are_the_converters(olist: Path, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "olist_to_canonical", ROOT / "examples" / "olist_to_canonical.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    module.convert(tmp_path)
    reference = pd.read_csv(tmp_path / "deals.csv", dtype=str).set_index("deal_id")
    deals = pd.read_parquet(olist / "deals.parquet").set_index("deal_id")
    assert sorted(deals.index) == sorted(reference.index)
    assert (deals.account_id == reference.account_id[deals.index]).all()
    amounts = deals.amount.astype(float) - reference.amount[deals.index].astype(float)
    assert amounts.abs().max() == 0
    assert set(deals.status) == {"won"} and set(deals.type) == {"new_business"}


def test_importing_olist_again_changes_nothing(olist: Path) -> None:
    before = _digests(olist)
    result = import_source("mapping", MAPPINGS / "olist.yaml", olist)
    assert result.changed is False
    assert _digests(olist) == before


# --- Telco -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def telco(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "examples"))
    from telco_snapshot import read_telco
    from telco_to_canonical import convert

    raw = read_telco(TELCO)
    reference = tmp_path_factory.mktemp("telco") / "converter"
    convert(raw, reference)
    out = tmp_path_factory.mktemp("telco") / "mapping"
    _import(MAPPINGS / "telco.yaml", out)
    return raw, reference, out


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--as-of", AS_OF, "-q"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_telco_every_customer_is_scored_with_its_breadth(telco) -> None:  # type: ignore[no-untyped-def]
    """tests/customers/test_telco.py's check, on the mapping's dataset."""
    raw, _, out = telco
    rows = list(csv.DictReader(io.StringIO(_run("accounts", str(out), "--format", "csv"))))
    assert len(rows) == 7043
    addons = [
        "OnlineSecurity",
        "OnlineBackup",
        "DeviceProtection",
        "TechSupport",
        "StreamingTV",
        "StreamingMovies",
    ]
    phone = raw.PhoneService == "Yes"
    internet = raw.InternetService != "No"
    held = phone.astype(int) + (raw.MultipleLines == "Yes") + internet
    held += (raw[addons] == "Yes").sum(axis=1)
    owned = 2 * phone + 7 * internet
    expected = dict(zip(raw.customerID, held / owned, strict=True))
    for row in rows:
        assert float(row["breadth"]) == pytest.approx(expected[row["account_id"]])


def test_telco_cross_sell_internet_goes_to_phone_only_customers(telco) -> None:  # type: ignore[no-untyped-def]
    raw, _, out = telco
    text = _run("cross-sell", str(out), "--product", "internet", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    phone_only = set(raw.customerID[raw.InternetService == "No"])
    assert rows and {r["account_id"] for r in rows} <= phone_only


def _stamp(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def test_telco_tables_are_the_converters(telco) -> None:  # type: ignore[no-untyped-def]
    _, reference, out = telco
    for name in ("accounts", "contacts", "subscriptions", "features", "product_usage"):
        ref = pd.read_parquet(reference / f"{name}.parquet")
        got = pd.read_parquet(out / f"{name}.parquet")
        assert sorted(got.columns) == sorted(ref.columns), name
        assert len(got) == len(ref), name
    key = ["subscription_id"]
    ref = pd.read_parquet(reference / "subscriptions.parquet").sort_values(key).reset_index()
    got = pd.read_parquet(out / "subscriptions.parquet").sort_values(key).reset_index()
    assert list(got.subscription_id) == list(ref.subscription_id)
    assert list(got["product"]) == list(ref["product"])
    assert (got.mrr.astype(float) - ref.mrr).abs().max() == 0
    # the converter multiplies tenure by 30.44 days in floating point and floors to the
    # second, one second early for some tenures; the mapping counts 2,630,016 s a month exactly
    started = (_stamp(got.started_at) - ref.started_at).dt.total_seconds()
    assert started.between(0, 1).all()
    assert (got.ended_at.isna() == ref.ended_at.isna()).all()
    ended = _stamp(got.ended_at.dropna()) - ref.ended_at.dropna()
    assert (ended.dt.total_seconds() == 0).all()
    usage = ["account_id", "feature"]
    ref_usage = pd.read_parquet(reference / "product_usage.parquet").sort_values(usage)
    got_usage = pd.read_parquet(out / "product_usage.parquet").sort_values(usage)
    assert list(map(tuple, got_usage[usage].to_numpy())) == list(
        map(tuple, ref_usage[usage].to_numpy())
    )
    features = pd.read_parquet(out / "features.parquet")
    ref_features = pd.read_parquet(reference / "features.parquet")
    assert dict(zip(features.feature, features["product"], strict=True)) == dict(
        zip(ref_features.feature, ref_features["product"], strict=True)
    )


def test_telco_accounts_output_is_the_converters(telco) -> None:  # type: ignore[no-untyped-def]
    _, reference, out = telco
    frames = [
        pd.read_csv(io.StringIO(_run("accounts", str(folder), "--format", "csv")))
        .sort_values("account_id")
        .reset_index(drop=True)
        for folder in (reference, out)
    ]
    ref, got = frames
    assert list(got.columns) == list(ref.columns)
    for column in ref.columns:
        if ref[column].dtype.kind == "f":
            # a second of tenure (see above) is 1/86,400 of a day
            assert (got[column] - ref[column]).abs().max(skipna=True) < 1e-4 or (
                ref[column].isna().all() and got[column].isna().all()
            ), column
        else:
            assert list(got[column].fillna("")) == list(ref[column].fillna("")), column


def test_telco_ledger_accounts_for_every_row_of_every_entry(telco) -> None:  # type: ignore[no-untyped-def]
    raw, _, out = telco
    ledger = _ledger(out)
    assert all(_balanced(account) for account in ledger.values())
    phone = ledger["telco → subscriptions (phone line)"]
    assert phone["read"] == 7043
    assert phone["imported"] == int((raw.PhoneService == "Yes").sum())
    assert phone["skipped"] == {
        "left out by where: PhoneService = 'Yes'": int((raw.PhoneService != "Yes").sum())
    }
    assert ledger["rows → features"] == {"read": 9, "imported": 9, "quarantined": {}, "skipped": {}}


# --- Maven -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def maven(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("maven") / "dataset"
    _import(MAPPINGS / "maven.yaml", out)
    return out


def test_maven_ledger_balances_against_the_raw_pipeline(maven: Path) -> None:
    pipeline = _csv_rows(MAVEN / "sales_pipeline.csv")
    prospecting = sum(r["deal_stage"] == "Prospecting" for r in pipeline)
    no_account = sum(r["deal_stage"] != "Prospecting" and not r["account"] for r in pipeline)
    ledger = _ledger(maven)
    assert ledger["pipeline → deals"] == {
        "read": 8800,
        "imported": 8800 - prospecting - no_account,
        "quarantined": {"no account_id (a required column): account is empty": no_account},
        "skipped": {"left out by where: deal_stage <> 'Prospecting'": prospecting},
    }
    assert (prospecting, no_account) == (500, 1088)
    assert ledger["companies → accounts"]["imported"] == 85
    quarantine = pd.read_csv(maven / "import-quarantine.csv", dtype=str)
    assert len(quarantine) == no_account and set(quarantine.column) == {"account"}


def test_maven_won_deals_and_monthly_bookings_match_the_raw_csv(maven: Path) -> None:
    bookings: defaultdict[str, float] = defaultdict(float)
    won = 0
    for row in _csv_rows(MAVEN / "sales_pipeline.csv"):
        if row["deal_stage"] == "Won":
            won += 1
            bookings[row["close_date"][:7]] += float(row["close_value"])
    deals = pd.read_parquet(maven / "deals.parquet")
    assert (deals.status == "won").sum() == won == 4238
    result = compute_result(load(maven), metrics=["bookings"])
    got = {r["month"]: r["value"] for r in result.rows if r["value"]}
    assert got == pytest.approx(dict(bookings))
    assert sum(got.values()) == pytest.approx(10_005_534)


def test_maven_choices_products_prices_and_segments(maven: Path) -> None:
    prices = {r["product"]: float(r["sales_price"]) for r in _csv_rows(MAVEN / "products.csv")}
    prices["GTXPro"] = prices["GTX Pro"]  # the pipeline's spelling
    raw = {r["opportunity_id"]: r for r in _csv_rows(MAVEN / "sales_pipeline.csv")}
    deals = pd.read_parquet(maven / "deals.parquet")
    for deal in deals.itertuples():
        given = raw[deal.deal_id]
        assert deal.product == given["product"].replace("GTXPro", "GTX Pro")
        if given["deal_stage"] == "Won":
            assert float(deal.amount) == float(given["close_value"])
        else:
            assert float(deal.amount) == prices[given["product"]]
        assert deal.created_at == given["engage_date"]  # naive: no timezone in the mapping
    assert Counter(deals.status) == Counter(won=4238, lost=2473, open=501)
    accounts = pd.read_parquet(maven / "accounts.parquet").set_index("account_id")
    for row in _csv_rows(MAVEN / "accounts.csv"):
        employees = int(row["employees"])
        segment = "SMB" if employees < 1000 else "Mid-Market" if employees < 5000 else "Enterprise"
        assert accounts.segment[row["account"]] == segment
        assert accounts.industry[row["account"]] == row["sector"].replace("technolgy", "technology")


# --- bad mappings: exit 2, naming the line ---------------------------------------------------

DEALS_CSV = """id,account,stage,opened,closed,value
D1,A1,Won,2024-01-05,2024-02-10,100
D2,A1,Pending,2024-01-06,,50
D3,A2,Lost,2024-01-07,2024-03-01,"12,5"
D4,,Won,2024-01-08,2024-02-11,70
D5,A2,Draft,2024-01-09,,10
D6,A2,Won,next week,2024-02-12,30
D7,A1,Won,2024-01-10,,40
D8,A2,Open,2024-02-30,,20
"""
ACCOUNTS_CSV = "id,name\nA1,Acme\nA2,Globex\n"
GOOD = """files:
  deals: {path: deals.csv, key: id}
  accounts: {path: accounts.csv, key: id}
tables:
  accounts:
    - file: accounts
      columns: {account_id: id, name: name}
  deals:
    - file: deals
      where: "stage <> 'Draft'"
      columns:
        deal_id: id
        account_id: account
        type: {value: new_business}
        status: {column: stage, map: {Won: won, Lost: lost, Open: open}}
        created_at: opened
        closed_at: closed
        amount: {expr: "CAST(value AS DOUBLE)"}
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    (tmp_path / "deals.csv").write_text(DEALS_CSV)
    (tmp_path / "accounts.csv").write_text(ACCOUNTS_CSV)
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "      columns:\n        deal_id",
            "      colums:\n        deal_id",
            11,
            "unknown key 'colums' (expected one of: file, rows, name, where, columns)",
        ),
        (
            "        closed_at: closed",
            "        closed_on: closed",
            17,
            "deals has no column 'closed_on' (did you mean 'closed_at'?",
        ),
        (
            "        created_at: opened",
            "        created_at: openned",
            16,
            "deals.csv has no column 'openned' (did you mean 'opened'?",
        ),
        (
            "  deals:\n    - file: deals",
            "  deal:\n    - file: deals",
            8,
            "unknown canonical table 'deal' (did you mean 'deals'?",
        ),
        (
            "Open: open}",
            "Open: opened}",
            15,
            "bad value map: 'opened' is not a status of SPEC §2 (one of: open, won, lost)",
        ),
        ('"CAST(value AS DOUBLE)"', '"CAST(value AS DOUBLE) +"', 18, "expression does not parse"),
        (
            '"CAST(value AS DOUBLE)"',
            '"value * 2"',
            18,
            "expression does not compile over deals's columns: Binder Error: No function matches",
        ),
        (
            '"CAST(value AS DOUBLE)"',
            '"CAST(valeu AS DOUBLE)"',
            18,
            "unknown column 'valeu' (did you mean 'value'?",
        ),
        (
            '"CAST(value AS DOUBLE)"',
            '"CAST(value AS DOUBLE) * random()"',
            18,
            "random() is not allowed in a mapping: it gives a different value on every import",
        ),
        ('"CAST(value AS DOUBLE)"', '"(SELECT max(value) FROM deals)"', 18, "expression holds"),
        ("where: \"stage <> 'Draft'\"", 'where: "stage"', 10, "a `where` is a condition"),
        (
            "where: \"stage <> 'Draft'\"",
            'where: "stage <> \\"Draft\\""',
            10,
            "unknown column 'Draft' (choose from: id, account, stage, opened, closed, value) "
            "(SQL text takes single quotes",
        ),
        ("        deal_id: id\n", "", 11, "deals needs deal_id"),
        (
            "{path: deals.csv, key: id}",
            "{path: deals.csv, key: ident}",
            2,
            "key column 'ident' is not in deals.csv",
        ),
        ("{path: deals.csv, key: id}", "{path: missing.csv}", 2, "no file at missing.csv"),
        (
            "type: {value: new_business}",
            "type: {value: new_business, map: {a: b}}",
            14,
            "a constant `value` takes no map or default",
        ),
        (
            "type: {value: new_business}",
            "type: {column: stage, expr: stage}",
            14,
            "give exactly one of column, expr or value (not column and expr)",
        ),
        (
            "type: {value: new_business}",
            "type: {value: newbusiness}",
            14,
            "'newbusiness' is not a type of SPEC §2",
        ),
        (
            "      columns: {account_id: id, name: name}",
            "      columns: {account_id: id, name: name}\n      columns: {}",
            8,
            "key 'columns' is given twice",
        ),
        ("tables:", "tables: [", 6, "not valid YAML: expected the node content"),
    ],
)
def test_a_bad_mapping_exits_2_naming_its_line(
    export: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    (export / "bad.yaml").write_text(GOOD.replace(old, new, 1))
    out = export / "out"
    result = CliRunner().invoke(
        app, ["import", "mapping", str(export / "bad.yaml"), "--out", str(out), "-q"]
    )
    assert result.exit_code == 2, result.output
    assert f"line {line}, column" in result.stderr, result.stderr
    assert message in " ".join(result.stderr.split()), result.stderr
    assert not out.exists() or not any(out.glob("*.parquet"))


def test_the_good_mapping_quarantines_each_unreadable_value_naming_it(export: Path) -> None:
    (export / "deals.yaml").write_text(GOOD)
    out = export / "out"
    result = import_source("mapping", export / "deals.yaml", out)
    account = result.ledger.tables["deals → deals"]
    assert account.balanced() and account.read == 8
    assert account.imported == 1  # D1
    assert dict(account.skipped) == {"left out by where: stage <> 'Draft'": 1}  # D5
    quarantine = pd.read_csv(out / "import-quarantine.csv", dtype=str, keep_default_na=False)
    found = {row.record_id: (row.column, row.value, row.reason) for row in quarantine.itertuples()}
    assert found == {
        "D2": ("stage", "Pending", "stage: a value the map of status lacks (line 15)"),
        "D3": (
            "value",
            "12,5",
            "value cannot be read as DOUBLE (the expression of amount, line 18)",
        ),
        "D4": ("account", "", "no account_id (a required column): account is empty"),
        "D6": ("opened", "next week", "opened is not a date and time (ISO 8601) (created_at)"),
        "D7": ("closed_at", "", "won or lost without a closed_at"),
        "D8": ("opened", "2024-02-30", "opened is not a date and time (ISO 8601) (created_at)"),
    }
    deals = pd.read_parquet(out / "deals.parquet")
    assert deals.to_dict("records") == [
        {
            "deal_id": "D1",
            "account_id": "A1",
            "type": "new_business",
            "status": "won",
            "created_at": "2024-01-05",  # no timezone: naive stays naive
            "closed_at": "2024-02-10",
            "amount": "100.0",
        }
    ]
    # the dataset is valid canonical data
    assert compute_result(load(out), metrics=["bookings"]).rows


def test_a_newer_file_updates_rows_by_key_and_a_new_mapping_reruns(export: Path) -> None:
    (export / "deals.yaml").write_text(GOOD)
    out = export / "out"
    import_source("mapping", export / "deals.yaml", out)
    assert import_source("mapping", export / "deals.yaml", out).changed is False
    (export / "deals.csv").write_text(DEALS_CSV.replace("D2,A1,Pending", "D2,A1,Open"))
    second = import_source("mapping", export / "deals.yaml", out)
    assert second.changed and second.ledger.tables["deals → deals"].read == 8
    deals = pd.read_parquet(out / "deals.parquet")
    assert sorted(deals.deal_id) == ["D1", "D2"]
    assert deals.set_index("deal_id").status["D2"] == "open"
    # the same data under a changed mapping is translated again
    (export / "deals.yaml").write_text(GOOD.replace("{Won: won,", "{Won: won, Pending: open,"))
    third = import_source("mapping", export / "deals.yaml", out)
    assert third.changed
    accounts = pd.read_parquet(out / "accounts.parquet")
    assert sorted(accounts.account_id) == ["A1", "A2"]


def test_a_timezone_converts_naive_times_and_keeps_given_offsets(export: Path) -> None:
    (export / "events.csv").write_text(
        "id,at\nc1,2024-03-31 02:30:00\nc2,2024-10-27 02:30:00\nc3,2024-06-01T10:00:00+02:00\n"
        "c4,2024-01-15\n"
    )
    (export / "zoned.yaml").write_text(
        "timezone: Europe/Paris\nfiles:\n  events: events.csv\ntables:\n  contacts:\n"
        "    - file: events\n      columns: {contact_id: id, created_at: at}\n"
    )
    out = export / "out"
    import_source("mapping", export / "zoned.yaml", out)
    contacts = pd.read_parquet(out / "contacts.parquet").set_index("contact_id").created_at
    assert contacts.to_dict() == {
        "c1": "2024-03-31T01:30:00Z",  # 02:30 did not exist (clocks went 02:00 → 03:00)
        "c2": "2024-10-27T00:30:00Z",  # 02:30 happened twice: the first (summer) one
        "c3": "2024-06-01T10:00:00+02:00",  # an offset is kept; the dataset reads it
        "c4": "2024-01-14T23:00:00Z",  # a date alone is midnight there
    }


def test_strptime_casts_empty_map_keys_and_unused_files(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(
        "id,signup,employee,n\np1,06/30/2024,Y,3\np2,13/45/2024,,4\np3,07/01/2024,,x\n"
    )
    (tmp_path / "unused.csv").write_text("a\n1\n2\n")
    (tmp_path / "m.yaml").write_text(
        """files:
  people: {path: people.csv, key: id}
  extra: unused.csv
tables:
  contacts:
    - file: people
      columns:
        contact_id: id
        created_at: {expr: "strptime(signup, '%m/%d/%Y')"}
        is_internal: {column: employee, map: {"Y": "true", "": "false"}}
        source: {expr: "(n::INTEGER * 2)::VARCHAR"}
"""
    )
    out = tmp_path / "out"
    result = import_source("mapping", tmp_path / "m.yaml", out)
    assert dict(result.ledger.tables["extra"].skipped) == {"no table of the mapping reads it": 2}
    quarantine = pd.read_csv(out / "import-quarantine.csv", dtype=str)
    assert quarantine[["record_id", "column", "value"]].to_numpy().tolist() == [
        ["p2", "signup", "13/45/2024"],
        ["p3", "n", "x"],
    ]
    contacts = pd.read_parquet(out / "contacts.parquet")
    assert contacts.to_dict("records") == [
        {
            "contact_id": "p1",
            "created_at": "2024-06-30 00:00:00",
            "is_internal": "true",
            "source": "6",
        }
    ]


def test_a_typed_parquet_file_is_read_as_text_and_a_file_zone_wins(tmp_path: Path) -> None:
    pd.DataFrame(
        {
            "Id": [1, 2],
            "When": pd.to_datetime(["2024-01-05 10:00:00", "2024-07-01 00:00:00"]),
            "Amt": [1.5, None],
            "Won": [True, False],
        }
    ).to_parquet(tmp_path / "deals.parquet")
    (tmp_path / "accounts.csv").write_text("id\n1\n2\n")
    (tmp_path / "p.yaml").write_text(
        """timezone: Europe/Paris
files:
  deals: {path: deals.parquet, key: Id, timezone: America/New_York}
  accounts: accounts.csv
tables:
  accounts:
    - file: accounts
      columns: {account_id: id}
  deals:
    - file: deals
      columns:
        deal_id: Id
        account_id: Id
        type: {value: new_business}
        status: {column: Won, map: {"true": won, "false": open}}
        created_at: When
        closed_at: {expr: "CASE WHEN Won = 'true' THEN \\"When\\" END"}
        amount: {column: Amt, default: "0"}
"""
    )
    out = tmp_path / "out"
    import_source("mapping", tmp_path / "p.yaml", out)
    deals = pd.read_parquet(out / "deals.parquet").sort_values("deal_id")
    assert deals.astype(object).where(deals.notna(), None).to_dict("records") == [
        {
            "deal_id": "1",
            "account_id": "1",
            "type": "new_business",
            "status": "won",
            "created_at": "2024-01-05T15:00:00Z",  # New York winter time, UTC−5
            "closed_at": "2024-01-05T15:00:00Z",
            "amount": "1.5",
        },
        {
            "deal_id": "2",
            "account_id": "2",
            "type": "new_business",
            "status": "open",
            "created_at": "2024-07-01T04:00:00Z",  # summer time, UTC−4
            "closed_at": None,
            "amount": "0",  # the default for an empty amount
        },
    ]

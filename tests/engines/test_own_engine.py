"""A user's own Ibis backend is one small module: registered, it runs every metric.

The engine here is written as a user would write theirs (docs/engines.md): an in-memory DuckDB
on one thread whose CSV files are read by pyarrow instead of DuckDB's reader. Its results must
equal the default engine's, value for value.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lifecycle_metrics import engines
from lifecycle_metrics.dataset import Dataset, load
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.engine import compute_result

ACME = Path(__file__).resolve().parents[1] / "fixtures" / "acme"
AS_OF = "2024-06-30T23:59:59Z"
DIMENSIONS = ["channel", "source", "campaign_id", "segment"]

OWN_ENGINE = '''
"""My engine: in-memory DuckDB on one thread, CSV files read by pyarrow."""

import csv
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv

from lifecycle_metrics import engines
from lifecycle_metrics.io.readers import RawSource, RawTable
from lifecycle_metrics.schema import ROW


class ArrowCsv(engines.Engine):
    name = "arrow-csv"

    def connect(self, data, settings, say):
        return ibis.duckdb.connect(threads=1)

    def read_tables(self, con, data, only, say):
        found = {}
        for path in sorted(Path(data).glob("*.csv")):
            name = path.stem.lower()
            if name not in only:
                continue
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle))
            arrow = pacsv.read_csv(
                path,
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={column: pa.string() for column in header},
                    strings_can_be_null=True,  # an empty cell is missing, as on DuckDB
                ),
            )
            arrow = arrow.rename_columns([column.strip().lower() for column in header])
            rows = pa.array(range(2, arrow.num_rows + 2), pa.int64())  # the header is row 1
            table = con.create_table(f"raw_{name}", arrow.append_column(ROW, rows))
            found[name] = RawTable(
                name=name, table=table, source=str(path), row_count=arrow.num_rows,
                text_source=True,
            )
        return RawSource(tables=found, ignored=[])


ENGINE = engines.register(ArrowCsv())
'''


def _own_module(folder: Path) -> ModuleType:
    path = folder / "my_engine.py"
    path.write_text(OWN_ENGINE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("my_engine", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _values(dataset: Dataset) -> dict[tuple[str, str, str | None, str | None], object]:
    result = compute_result(dataset, by=DIMENSIONS, as_of=AS_OF)
    return {(r["metric"], r["month"], r["dimension"], r["member"]): r for r in result.rows}


@pytest.fixture(autouse=True)
def _registry_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engines registered here are gone after each test."""
    monkeypatch.setattr(engines, "_REGISTRY", dict(engines._REGISTRY))


def test_a_registered_engine_computes_what_the_default_computes(tmp_path: Path) -> None:
    module = _own_module(tmp_path)
    assert "arrow-csv" in engines.names()
    assert engines.get("arrow-csv") is module.ENGINE
    assert "arrow-csv" in [member.value for member in engines.choices()]

    own = load(ACME, engine="arrow-csv")
    assert own.con.raw_sql("SELECT current_setting('threads')").fetchone() == (1,)
    assert own.report.tables["contacts"].source == str(ACME / "contacts.csv")
    expected, got = _values(load(ACME)), _values(own)
    assert len(expected) > 500
    assert got == expected  # every metric, month, member, value and maturity flag
    # a value worked out by hand in tests/metrics/test_catalog_fixtures.py
    assert got[("new_leads", "2024-01", None, None)]["value"] == 2


def test_the_command_line_offers_a_registered_engine(tmp_path: Path) -> None:
    """A launcher that imports the module first: `--engine arrow-csv` on the real command."""
    (tmp_path / "my_engine.py").write_text(OWN_ENGINE, encoding="utf-8")
    launcher = "import my_engine\nfrom lifecycle_metrics.cli import main\nmain()\n"
    argv = ["metrics", str(ACME), "--as-of", AS_OF, "--by", "channel", "--format", "csv", "-q"]
    src = Path(__file__).resolve().parents[2] / "src"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(src)]),
        "LIFECYCLE_CACHE_DIR": "off",
    }
    run = [sys.executable, "-c", launcher]
    own = subprocess.run([*run, *argv, "--engine", "arrow-csv"], capture_output=True, env=env)
    default = subprocess.run([*run, *argv], capture_output=True, env=env)
    assert own.returncode == 0, own.stderr.decode()
    assert own.stdout == default.stdout
    assert own.stdout.startswith(b"metric,stage,kind,month,dimension,member,value,mature\n")


def test_an_unknown_engine_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown engine 'nope': expected one of duckdb, "):
        load(ACME, engine="nope")

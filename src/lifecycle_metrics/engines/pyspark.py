"""PySpark: Spark reads a folder's files itself, or tables of its catalog; frames are cached.

One session per process: `local[*]`, or `--spark-master`, or Spark Connect (`SPARK_REMOTE`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecycle_metrics.engines.base import Engine, Progress, Settings
from lifecycle_metrics.errors import DataError, MissingDriver, UsageError
from lifecycle_metrics.io.readers import RawSource, RawTable
from lifecycle_metrics.io.urls import safe_url
from lifecycle_metrics.schema import ROW, TABLE_NAMES

if TYPE_CHECKING:
    import ibis.expr.types as ir

CATALOG_PREFIX = "catalog:"
_SESSION: Any = None


def spark_session(master: str | None = None) -> Any:
    """One local (or remote) Spark session per process, UTC, quiet, with a private warehouse."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingDriver(
            "--engine pyspark needs PySpark: pip install 'lifecycle-metrics[spark]'"
        ) from None
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName("lifecycle-metrics")
    remote = os.environ.get("SPARK_REMOTE")
    if master:
        builder = builder.master(master)
    elif not remote:
        builder = builder.master("local[*]")
    if not remote and (master or "local").startswith("local"):
        # in local mode everything runs in the driver's JVM: give it room (default 1 GB)
        builder = builder.config(
            "spark.driver.memory", os.environ.get("LIFECYCLE_SPARK_MEMORY", "4g")
        )
    session = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="lifecycle-spark-"))
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("LIFECYCLE_SPARK_PARTITIONS", "8"))
        .getOrCreate()
    )
    # FATAL: Spark logs (and recovers from) "code grows beyond 64 KB" on the time-zone CASE
    # trees as errors; real failures still reach Python as exceptions
    session.sparkContext.setLogLevel("FATAL")
    _SESSION = session
    return session


def connect_spark(master: str | None = None) -> Any:
    """An Ibis connection on the Spark session."""
    import ibis

    session = spark_session(master)  # first: it names a missing PySpark itself
    try:
        backend = ibis.pyspark
    except ImportError:
        raise MissingDriver(
            "--engine pyspark needs Ibis's pyspark backend: pip install 'lifecycle-metrics[spark]'"
        ) from None
    return backend.connect(session)


def _numbered(session: Any, frame: Any, first_row: int) -> Any:
    """Number rows in file order without gathering them on one partition.

    A scan's partitions follow the file, and monotonically_increasing_id() is the partition
    index in its upper bits and the position inside the partition in its lower 33: count the
    rows of each partition once, then row = rows before its partition + position + first_row.
    """
    from pyspark.sql import functions as F

    low_bits = (1 << 33) - 1
    tagged = frame.withColumn("_lc_id", F.monotonically_increasing_id()).withColumn(
        "_lc_part", F.spark_partition_id()
    )
    counts = sorted(
        (row["_lc_part"], row["count"]) for row in tagged.groupBy("_lc_part").count().collect()
    )
    offsets, before = [], 0
    for part, count in counts:
        offsets.append((part, before))
        before += count
    if not offsets:
        return frame.withColumn(ROW, F.lit(None).cast("long"))
    starts = session.createDataFrame(offsets, "_lc_part int, _lc_before long")
    joined = tagged.join(F.broadcast(starts), "_lc_part")
    row = F.col("_lc_before") + F.col("_lc_id").bitwiseAND(F.lit(low_bits)) + first_row
    return joined.withColumn(ROW, row).drop("_lc_id", "_lc_part", "_lc_before")


def _raw_view(con: Any, name: str, frame: Any, first_row: int) -> ir.Table:
    """A Spark frame as a raw table: zone-aware timestamps as text, lower-case names, `_row`."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    # Spark's TIMESTAMP is an instant but reaches Ibis without its zone, where it would be read
    # as a wall-clock time in the report zone: hand it on as text with its offset
    for field in frame.schema.fields:
        if isinstance(field.dataType, TimestampType):
            frame = frame.withColumn(
                field.name, F.date_format(F.col(field.name), "yyyy-MM-dd HH:mm:ss.SSSSSSXXX")
            )
    for old in frame.columns:
        new = old.lstrip("\ufeff").strip().lower()
        if new != old:
            frame = frame.withColumnRenamed(old, new)
    frame = _numbered(con._session, frame, first_row)
    view = f"raw_{name}"
    frame.createOrReplaceTempView(view)
    return con.table(view)


def spark_catalog_tables(
    con: Any, database: str, only: frozenset[str], say: Progress
) -> tuple[dict[str, tuple[ir.Table, str, bool]], list[str]]:
    """The canonical tables of a database in the Spark catalog (names from the catalog only).

    Rows are numbered in the order Spark scans them.
    """
    session = con._session
    if not session.catalog.databaseExists(database):
        raise DataError(f"{CATALOG_PREFIX}{database}: no such database in the Spark catalog")
    found: dict[str, tuple[ir.Table, str, bool]] = {}
    ignored: list[str] = []
    for entry in session.catalog.listTables(database):
        name = entry.name.lower()
        if entry.isTemporary or name not in TABLE_NAMES:
            if not entry.isTemporary:
                ignored.append(entry.name)
            continue
        if name not in only:
            continue
        say(f"reading {database}.{entry.name}")
        frame = session.table(f"`{database}`.`{entry.name}`")
        found[name] = (_raw_view(con, name, frame, 1), f"{database}.{entry.name}", False)
    return found, ignored


def spark_tables(
    con: Any, folder: Path, only: frozenset[str], say: Progress
) -> tuple[dict[str, tuple[ir.Table, str, bool]], list[str]]:
    """Spark reads the folder's files itself: CSV as text (parsed by validation), Parquet typed.

    Returns canonical name → (table with `_row`, file, is_text) and the ignored files.
    """
    session = con._session
    found: dict[str, tuple[ir.Table, str, bool]] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if suffix not in (".csv", ".parquet") or stem not in TABLE_NAMES:
            if path.is_file() and not path.name.startswith("."):
                ignored.append(path.name)
            continue
        if stem not in only:
            continue
        if stem in found:
            raise DataError(f"{folder}: both {stem}.csv and {stem}.parquet exist; keep one")
        say(f"reading {path.name}")
        text = suffix == ".csv"
        if text:
            frame = (
                session.read.option("header", True)
                .option("multiLine", True)
                .option("escape", '"')
                .option("mode", "PERMISSIVE")
                .option("encoding", "UTF-8")
                .csv(str(path))
            )
            first_row = 2  # the header is row 1
        else:
            frame = session.read.parquet(str(path))
            first_row = 1
        found[stem] = (_raw_view(con, stem, frame, first_row), str(path), text)
    return found, ignored


class PySpark(Engine):
    """Spark: DATA is a folder of CSV/Parquet files, or `catalog:<database>`."""

    name = "pyspark"

    def connect(self, data: str, settings: Settings, say: Progress) -> Any:
        """The process's Spark session (started on first use) once DATA is one Spark reads."""
        is_catalog = data.startswith(CATALOG_PREFIX)
        if not is_catalog and not Path(data.removeprefix("file://")).expanduser().is_dir():
            raise UsageError(
                f"--engine pyspark reads a dataset folder of <table>.csv / <table>.parquet "
                f"files, or {CATALOG_PREFIX}<database> of the Spark catalog; "
                f"{safe_url(data)!r} is neither"
            )
        say("starting Spark")
        return connect_spark(settings.spark_master)

    def read_tables(self, con: Any, data: str, only: frozenset[str], say: Progress) -> RawSource:
        """The folder's files or the catalog database's tables, rows numbered as Spark scans."""
        if data.startswith(CATALOG_PREFIX):
            found, ignored = spark_catalog_tables(con, data[len(CATALOG_PREFIX) :], only, say)
        else:
            found, ignored = spark_tables(
                con, Path(data.removeprefix("file://")).expanduser(), only, say
            )
        return RawSource(
            tables={
                name: RawTable(
                    name=name,
                    table=table,
                    source=source,
                    row_count=int(table.count().execute()),
                    text_source=is_text,
                )
                for name, (table, source, is_text) in found.items()
            },
            ignored=ignored,
        )

    def materialize(self, con: Any, name: str, expr: ir.Table) -> ir.Table:
        """A cached frame: Spark keeps it for the session (TEMP tables are not Spark's)."""
        return expr.cache()


ENGINE = PySpark()

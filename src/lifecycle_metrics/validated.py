"""Validated datasets: what was checked, kept so that unchanged bytes are not checked again.

A monthly report is run again and again on the same files (another month, another slice,
another format). After a folder validates without error, its clean typed tables go into a
DuckDB database in the cache, with the validation report, under a key made of

- the SHA-256 of every table file's bytes (and its name and size), so a changed byte always
  means a new key: an edited file is never trusted, whatever its modification time says;
- the folder's absolute path (reports name its files), the names of the other files, the
  report time zone (it decides how naive timestamps read), and the rules: a hash of the
  product's own source files and DuckDB's version.

A later run with the same key attaches that database read-only and skips reading, typing and
checking. Only the embedded DuckDB engine on a local folder uses it; a run that finds errors
stores nothing. The cache lives in `$LIFECYCLE_CACHE_DIR`, else `$XDG_CACHE_HOME/lifecycle-metrics`
(`~/.cache/lifecycle-metrics`); `LIFECYCLE_CACHE_DIR=off` turns it off. The newest
`KEEP_ENTRIES` datasets are kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from lifecycle_metrics import __version__
from lifecycle_metrics.validate.issues import Issue, Level, RuleCount, TableStats, ValidationReport

FORMAT = 1  # bump when what is stored changes shape
KEEP_ENTRIES = 8
DATABASE = "clean.duckdb"
REPORT = "report.json"
ATTACHED = "validated"
HASH_CHUNK = 1 << 22
STALE_SECONDS = 24 * 3600


def cache_root() -> Path | None:
    """Where validated datasets are kept, or None when the cache is off."""
    setting = os.environ.get("LIFECYCLE_CACHE_DIR", "")
    if setting.lower() in {"off", "0", "false", "no", "none"}:
        return None
    if setting:
        return Path(setting).expanduser()
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no home folder (a container's arbitrary user): no cache
        return None
    return Path(base) / "lifecycle-metrics"


@functools.cache
def rules_version() -> str:
    """What decides how data is read and checked: the product's code and DuckDB's version.

    The source files are hashed (not the version number alone), so a changed rule in a
    development install never reuses a result of the old rule.
    """
    digest = hashlib.sha256(f"{__version__} duckdb {duckdb.__version__}".encode())
    for source in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(source.relative_to(Path(__file__).parent).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """What a validation result depends on; `key` names it in the cache."""

    key: str
    stats: tuple[tuple[str, tuple[int, ...]], ...]  # (file, its stat) before hashing


def fingerprint(folder: Path, files: dict[str, Path], ignored: list[str], tz: str) -> Fingerprint:
    """The key of `files` (table → path) read in zone `tz`: their bytes, names and context."""
    ordered = sorted(files.items())
    stats = tuple((str(path), _stat(path)) for _, path in ordered)
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        digests = list(pool.map(_digest, (path for _, path in ordered)))  # hashlib frees the GIL
    described = {
        "format": FORMAT,
        "rules": rules_version(),
        "folder": str(folder.resolve()),
        "tz": tz,
        "ignored": sorted(ignored),
        "files": [
            [name, path.name, stat[0], digest]
            for (name, path), (_, stat), digest in zip(ordered, stats, digests, strict=True)
        ],
    }
    key = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:32]
    return Fingerprint(key=key, stats=stats)


def _stat(path: Path) -> tuple[int, ...]:
    found = path.stat()
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev)


def unchanged_since(found: Fingerprint) -> bool:
    """True when no file changed while it was read: same size, times and inode as hashed.

    A change time cannot be set back by copying tools, unlike a modification time.
    """
    try:
        return all(_stat(Path(name)) == stat for name, stat in found.stats)
    except OSError:
        return False


@dataclass
class Stored:
    """A validated dataset found in the cache."""

    database: Path
    report: ValidationReport
    years: tuple[int, int]


def find(root: Path, found: Fingerprint) -> Stored | None:
    """The validated dataset stored under `found.key`, if it is complete and readable."""
    entry = root / found.key
    database, report = entry / DATABASE, entry / REPORT
    try:
        if not (database.is_file() and report.is_file()):
            return None
        saved = json.loads(report.read_text(encoding="utf-8"))
        stored = Stored(
            database=database,
            report=_report_from(saved["report"]),
            years=(int(saved["years"][0]), int(saved["years"][1])),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    with contextlib.suppress(OSError):  # a read-only cache still serves
        os.utime(entry)  # last used: what eviction goes by
    return stored


def store(
    root: Path,
    found: Fingerprint,
    con: Any,
    tables: dict[str, Any],
    report: ValidationReport,
    years: tuple[int, int],
) -> bool:
    """Keep the clean tables and report of a dataset that validated without error.

    Best effort: a full disk, a read-only cache or a concurrent run never fails the run that
    did the validating; False says nothing was kept.
    """
    if report.errors or not unchanged_since(found):
        return False
    building: Path | None = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{found.key}.", dir=root))
        database = building / DATABASE
        name = f"store_{found.key[:8]}"
        con.raw_sql(f"ATTACH {_literal(database)} AS {name}")
        try:
            for table, expr in tables.items():
                con.raw_sql(
                    f'CREATE TABLE {name}."clean_{table}" AS SELECT * FROM ({expr.compile()})'
                )
        finally:
            con.raw_sql(f"DETACH {name}")
        saved = {"report": _report_to(report), "years": list(years)}
        (building / REPORT).write_text(json.dumps(saved), encoding="utf-8")
        target = root / found.key
        if (target / REPORT).is_file():
            return True  # another run kept the same bytes first: theirs is as good
        shutil.rmtree(target, ignore_errors=True)  # an incomplete entry
        building.rename(target)
        building = None
    except (OSError, duckdb.Error):
        return False
    finally:
        if building is not None:
            shutil.rmtree(building, ignore_errors=True)
    _evict(root)
    return True


def attach(con: Any, stored: Stored, names: list[str]) -> dict[str, Any]:
    """The clean tables of a stored dataset on `con`, read in place (read-only)."""
    con.raw_sql(f"ATTACH {_literal(stored.database)} AS {ATTACHED} (READ_ONLY)")
    return {name: con.table(f"clean_{name}", database=(ATTACHED, "main")) for name in names}


def forget(stored: Stored) -> None:
    """Drop an entry that cannot be read (removed half-way, or from another DuckDB)."""
    shutil.rmtree(stored.database.parent, ignore_errors=True)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _evict(root: Path) -> None:
    """Keep the newest entries; remove builds a stopped run left more than a day ago."""
    try:
        children = [child for child in root.iterdir() if child.is_dir()]
        entries = sorted(
            (child for child in children if not child.name.startswith(".")),
            key=lambda child: child.stat().st_mtime,
            reverse=True,
        )
        stale = [
            child
            for child in children
            if child.name.startswith(".") and time.time() - child.stat().st_mtime > STALE_SECONDS
        ]
    except OSError:  # another run is evicting at the same moment
        return
    for old in [*entries[KEEP_ENTRIES:], *stale]:
        shutil.rmtree(old, ignore_errors=True)


def _report_to(report: ValidationReport) -> dict[str, Any]:
    return {
        "rules": [asdict(rule) for rule in report.rules],
        "tables": {name: asdict(stats) for name, stats in report.tables.items()},
        "ignored": list(report.ignored),
    }


def _report_from(saved: dict[str, Any]) -> ValidationReport:
    rules = [
        RuleCount(
            level=Level(rule["level"]),
            rule=rule["rule"],
            table=rule["table"],
            column=rule["column"],
            count=rule["count"],
            examples=tuple(
                Issue(**{**issue, "level": Level(issue["level"])}) for issue in rule["examples"]
            ),
        )
        for rule in saved["rules"]
    ]
    tables = {name: TableStats(**stats) for name, stats in saved["tables"].items()}
    return ValidationReport(rules=rules, tables=tables, ignored=list(saved["ignored"]))

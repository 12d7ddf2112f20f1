"""Where commands write: never over their input, and output folders that hold this run only.

Three rules (docs/rules.md, "What commands write"):
- a file or folder a command writes is never one it reads (the dataset's folder, its files,
  a DuckDB database given as DATA);
- a folder holding canonical tables that this product did not write there is refused unless
  the user says to replace it;
- a folder this product writes (a quarantine folder) first loses the files its previous run
  left, so what is there afterwards is this run's alone. A marker file lists them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.schema import TABLE_NAMES

TABLE_SUFFIXES = (".csv", ".parquet")
QUARANTINE_MARKER = ".lifecycle-quarantine.json"


def local_path(data: str | Path) -> Path | None:
    """The local folder or file a DATA argument names; None for a connection URL.

    DATA may be `file://…`, `duckdb://…` or a plain path.
    """
    text = str(data)
    if text.lower().startswith("duckdb://"):
        text = text[len("duckdb://") :]
    elif "://" in text and not text.lower().startswith("file://"):
        return None
    return Path(text.removeprefix("file://")).expanduser()


def input_paths(data: str | Path) -> tuple[Path, ...]:
    """The local paths a DATA argument reads: its folder and files, or its database file."""
    path = local_path(data)
    if path is None or not path.exists():
        return ()
    if path.is_dir():
        return (path.resolve(), *(child.resolve() for child in table_files(path)))
    return (path.resolve(),)


def table_files(folder: Path) -> list[Path]:
    """Files in `folder` named as canonical tables (`contacts.csv`, `deals.parquet`, …)."""
    if not folder.is_dir():
        return []
    return sorted(
        child
        for child in folder.iterdir()
        if child.is_file()
        and child.suffix.lower() in TABLE_SUFFIXES
        and child.stem.lower() in TABLE_NAMES
    )


def refuse_input(target: Path, data: str | Path, option: str) -> None:
    """A usage error when `target` is, or would replace, something DATA reads."""
    resolved = target.expanduser().resolve()
    for path in input_paths(data):
        if resolved == path:
            raise UsageError(
                f"{option} {target}: that is the input itself ({path}); a command never writes "
                "over what it reads — choose another path"
            )


def usable_folder(folder: Path, option: str) -> Path:
    """`folder` created if needed; a usage error when it cannot be a folder."""
    path = folder.expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {folder}: is a file, not a folder; give a folder path")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{option} {folder}: {parent} is a file, so no folder fits here")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{option} {folder}: cannot create it: {error.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {folder}: is not writable")
    return path


def prepare_quarantine(folder: Path, data: str | Path) -> Path:
    """A quarantine folder ready for this run: checked, created, last run's files removed."""
    refuse_input(folder, data, "--quarantine")
    path = folder.expanduser()
    if path.is_dir() and not (path / QUARANTINE_MARKER).exists() and table_files(path):
        names = ", ".join(child.name for child in table_files(path)[:4])
        raise UsageError(
            f"--quarantine {folder}: holds canonical tables ({names}) that this product did "
            "not write; it looks like a dataset — give an empty or new folder"
        )
    path = usable_folder(folder, "--quarantine")
    clear_quarantine(path)
    left = table_files(path)
    if left:  # table files the last run did not write: not ours to overwrite
        names = ", ".join(child.name for child in left[:4])
        raise UsageError(
            f"--quarantine {folder}: holds {names}, which the last run did not write; move "
            "them away or give another folder"
        )
    _write_marker(path, {})
    return path


def _stat(path: Path) -> list[int]:
    found = path.stat()
    return [found.st_size, found.st_mtime_ns, found.st_ino]


def _read_marker(path: Path) -> dict[str, list[int] | None]:
    try:
        saved = json.loads((path / QUARANTINE_MARKER).read_text(encoding="utf-8"))
        files = saved["files"]
        return {str(name): files[name] for name in files}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_marker(path: Path, files: dict[str, list[int] | None]) -> None:
    # written whole and then renamed, so a run stopped half-way leaves a marker that is whole
    marker = path / QUARANTINE_MARKER
    partial = marker.with_name(marker.name + ".partial")
    partial.write_text(
        json.dumps({"written_by": "lifecycle", "files": files}, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    os.replace(partial, marker)


def clear_quarantine(path: Path) -> None:
    """Remove the files a previous run listed in the marker, if nobody changed them since."""
    marker = path / QUARANTINE_MARKER
    if not marker.exists():
        return
    written = _read_marker(path)
    for name, stats in written.items():
        child = path / Path(name).name  # only files directly in the folder
        if not child.is_file():
            continue
        if stats is not None and _stat(child) != stats:
            raise UsageError(
                f"--quarantine {path}: {child.name} was changed after the last run wrote it; "
                "move it away (or give another folder) so that your edits are not lost"
            )
        child.unlink()
    marker.unlink()


def plan_quarantine_file(path: Path, name: str) -> None:
    """Note in the marker, before writing it, that this run writes `name`.

    A stop half-way then still leaves it listed, so the next run removes it.
    """
    files = _read_marker(path)
    files[name] = None
    _write_marker(path, files)


def record_quarantine(path: Path, names: list[str]) -> None:
    """List this run's files with their size and time, so the next run removes exactly them."""
    _write_marker(path, {name: _stat(path / name) for name in sorted(names)})


def prepare_dataset_folder(folder: Path, *, replace: bool, option: str = "OUT") -> Path:
    """A folder to write a canonical dataset into; its existing tables removed only if asked."""
    existing = table_files(folder.expanduser())
    if existing and not replace:
        names = ", ".join(child.name for child in existing[:4])
        more = f" and {len(existing) - 4} more" if len(existing) > 4 else ""
        raise UsageError(
            f"{option} {folder}: already holds a dataset ({names}{more}); pass --replace to "
            "overwrite it, or give a new folder"
        )
    path = usable_folder(folder, option)
    for child in existing:
        child.unlink()
    return path

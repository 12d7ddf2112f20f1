"""`mapping`: any export made canonical by a YAML file that says where each column comes from.

`lifecycle import mapping MAPPING.yaml --out DATASET` (SPEC §7). The file names the source
files (CSV or Parquet, by a path relative to the YAML file) and, per canonical table, a list of
entries: the file it reads, an optional `where` filter, and for each canonical column a source
column, a DuckDB SQL expression, a constant or a value map. The file is checked with pydantic
and by compiling every expression before anything is read; each problem names its line.
The format and the choices behind it: docs/sources/mapping.md.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import sqlglot
import yaml
from ibis.backends.duckdb import Backend as DuckDBBackend
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from sqlglot import exp

from lifecycle_metrics.errors import DataError, UsageError
from lifecycle_metrics.io.readers import FILE_SUFFIXES, _read_csv, _read_parquet
from lifecycle_metrics.periods import local_to_utc, zone
from lifecycle_metrics.schema import ROW, TABLE_NAMES, Column, ColumnType, TableSpec, table_spec
from lifecycle_metrics.sources.ledger import Fates, Ledger, Part
from lifecycle_metrics.sources.raw import FILE_COLUMN, RawExport, VendorTable
from lifecycle_metrics.sources.store import IMPORT
from lifecycle_metrics.sources.values import Read, flag, instant, number, text, wall_clock
from lifecycle_metrics.validate.coerce import (
    INTEGER_TEXT_PATTERN,
    MONTH_TEXT_PATTERN,
    TIMESTAMP_PATTERN,
)

kind = "mapping"

# Record keys of the source files, by file name; `read` fills it from the mapping's `key`s
# (run.py passes `keys` to the store after `read`, so a newer file replaces rows by record id).
keys: dict[str, tuple[str, ...]] = {}

MAPPING_TABLE = "_mapping"  # the mapping's digest, kept with the source so a new mapping re-runs
FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
BOOLEAN_WORDS = ("true", "false", "1", "0", "yes", "no")
# Not expressions over one row of one file: other tables, several rows, or a different value
# on every run (which would break "importing the same source twice changes nothing").
NOT_ROW_EXPRESSIONS: dict[type, str] = {
    exp.Query: "a query (SELECT …); give an expression over the file's columns",
    exp.Subquery: "a subquery; give an expression over the file's columns",
    exp.Table: "a table; give an expression over the file's columns",
    exp.Star: "`*`; name the columns",
    exp.Window: "a window function (… OVER …); each row is mapped on its own",
    exp.AggFunc: "an aggregate (sum, count, …); each row is mapped on its own",
    exp.Placeholder: "a parameter placeholder",
    exp.Parameter: "a parameter",
    exp.Command: "a command",
}
NOT_ALLOWED_FUNCTIONS = {
    # a different value on every import
    "now": "gives a different value on every import",
    "current_timestamp": "gives a different value on every import",
    "current_date": "gives a different value on every import",
    "current_time": "gives a different value on every import",
    "current_localtimestamp": "gives a different value on every import",
    "get_current_timestamp": "gives a different value on every import",
    "get_current_time": "gives a different value on every import",
    "today": "gives a different value on every import",
    "transaction_timestamp": "gives a different value on every import",
    "random": "gives a different value on every import",
    "rand": "gives a different value on every import",
    "setseed": "gives a different value on every import",
    "uuid": "gives a different value on every import",
    "gen_random_uuid": "gives a different value on every import",
    "nextval": "gives a different value on every import",
    "currval": "gives a different value on every import",
    # reads outside the file
    "getenv": "reads the environment, not the file",
    "current_setting": "reads settings, not the file",
    "current_user": "reads the session, not the file",
    "current_schema": "reads the session, not the file",
    "current_database": "reads the session, not the file",
    "read_csv": "reads another file",
    "read_csv_auto": "reads another file",
    "read_parquet": "reads another file",
    "read_json": "reads another file",
    "read_json_auto": "reads another file",
    "read_text": "reads another file",
    "read_blob": "reads another file",
    "glob": "reads the file system",
    "query": "runs a query",
    "query_table": "reads a table",
}
SQL_TEXT_HINT = " (SQL text takes single quotes: 'Yes'; double quotes name a column)"


# --- YAML with the line of every key and value ---------------------------------------------

Where = tuple[str | int, ...]  # a place in the mapping: keys and list indexes from the top


@dataclass
class Located:
    """A parsed YAML document and where each of its values and keys starts."""

    data: Any
    values: dict[Where, yaml.Mark]
    keys: dict[Where, yaml.Mark]


def _build(node: yaml.Node, at: Where, found: Located, path: Path) -> Any:
    found.values[at] = node.start_mark
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        merged: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`
                given = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                merged.extend(item for item in given if isinstance(item, yaml.MappingNode))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _problems(path, [(key_node.start_mark, "a key must be a plain word")])
            key = str(key_node.value)
            if key in result:
                raise _problems(path, [(key_node.start_mark, f"key {key!r} is given twice")])
            found.keys[(*at, key)] = key_node.start_mark
            result[key] = _build(value_node, (*at, key), found, path)
        for source in merged:  # keys written beside `<<` win over the anchor's
            for key_node, value_node in source.value:
                key = str(key_node.value)
                if key not in result:
                    found.keys[(*at, key)] = key_node.start_mark
                    result[key] = _build(value_node, (*at, key), found, path)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*at, index), found, path) for index, item in enumerate(node.value)]
    # every scalar is text (YAML 1.1 would read Yes/No as booleans, 1.0 as a number); a plain
    # empty, `~` or `null` is nothing
    if node.tag == "tag:yaml.org,2002:null" and getattr(node, "style", None) is None:
        return None
    return str(node.value)


def load_yaml(source: str, path: Path) -> Located:
    """The YAML text as plain data (text, lists, dicts), with the mark of every value and key."""
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"not valid YAML: {error.problem or error.context}"
        raise _problems(path, [(mark, message)]) from None
    found = Located(None, {}, {})
    if node is None:
        raise _problems(path, [(None, "the file is empty; see docs/sources/mapping.md")])
    found.data = _build(node, (), found, path)
    return found


def _problems(path: Path, problems: list[tuple[yaml.Mark | None, str]]) -> UsageError:
    lines = []
    for mark, message in sorted(problems, key=lambda p: (p[0].line if p[0] else -1, p[1])):
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        lines.append(f"{path}: {place}: {message}")
    count = len(lines)
    head = f"mapping {path} has {count} problem{'s' if count > 1 else ''}; nothing was imported"
    return UsageError(head + ":\n  " + "\n  ".join(lines))


def _shown(at: Where) -> str:
    text_at = ""
    for part in at:
        text_at += f"[{part}]" if isinstance(part, int) else (f".{part}" if text_at else part)
    return text_at


# --- the mapping file's shape (pydantic) ---------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FileSpec(_Strict):
    """One source file: its path (relative to the mapping), record key and time zone."""

    path: str
    key: tuple[str, ...] = ()
    timezone: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _path_alone(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value

    @field_validator("key", mode="before")
    @classmethod
    def _one_key(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return tuple(value) if isinstance(value, list) else value


class ColumnSpec(_Strict):
    """Where one canonical column comes from: a column, an expression or a constant."""

    column: str | None = None
    expr: str | None = None
    value: str | None = None
    map: dict[str, str | None] | None = None
    default: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _column_alone(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(
                "no source given: write a column name, {expr: …}, {value: …} or "
                "{column: …, map: {…}}"
            )
        return {"column": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnSpec:
        given = [name for name in ("column", "expr", "value") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, expr or value"
                + (f" (not {' and '.join(given)})" if given else "")
            )
        if self.value is not None and (self.map is not None or self.default is not None):
            raise ValueError("a constant `value` takes no map or default")
        return self


class Entry(_Strict):
    """One source of a canonical table: a file (with columns) or rows written in the mapping."""

    file: str | None = None
    rows: list[dict[str, str | None]] | None = None
    name: str | None = None
    where: str | None = None
    columns: dict[str, ColumnSpec] | None = None

    @model_validator(mode="after")
    def _file_or_rows(self) -> Entry:
        if (self.file is None) == (self.rows is None):
            raise ValueError("give either `file` (with `columns`) or `rows`")
        if self.file is not None and self.columns is None:
            raise ValueError("`columns` is missing: name the source of each canonical column")
        if self.rows is not None and (self.columns is not None or self.where is not None):
            raise ValueError("`rows` are canonical rows already: they take no columns or where")
        return self


class MappingFile(_Strict):
    """The whole mapping file."""

    timezone: str | None = None
    files: dict[str, FileSpec] = Field(default_factory=dict)
    tables: dict[str, list[Entry]]


def _pydantic_message(error: ErrorDetails) -> str:
    kind_of = error["type"]
    loc = error["loc"]
    if kind_of == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"unknown key {loc[-1]!r}" + (f" (expected one of: {allowed})" if allowed else "")
    if kind_of == "missing":
        return f"{loc[-1]!r} is missing"
    if kind_of in ("dict_type", "model_type"):
        return "expected a mapping of keys to values here"
    if kind_of in ("list_type", "tuple_type"):
        return "expected a list here (items start with `- `)"
    if kind_of == "string_type":
        return "expected a single value here (text), not a list or mapping"
    return str(error["msg"]).removeprefix("Value error, ")


def _allowed_keys(loc: tuple[Any, ...]) -> str:
    """The keys allowed at `loc` (the mapping holding an unknown key), for the message."""
    model: type[BaseModel] | None = None
    if not loc:
        model = MappingFile
    elif loc[0] == "files" and len(loc) == 2:
        model = FileSpec
    elif loc[0] == "tables" and len(loc) == 3:
        model = Entry
    elif loc[0] == "tables" and len(loc) == 5 and loc[3] == "columns":
        model = ColumnSpec
    return ", ".join(model.model_fields) if model is not None else ""


def _mark(found: Located, at: tuple[Any, ...], key: bool = False) -> yaml.Mark | None:
    """The mark of the value (or key) at `at`, else of the nearest enclosing value."""
    place = tuple(at)
    if key and place in found.keys:
        return found.keys[place]
    while place:
        if place in found.values:
            return found.values[place]
        place = place[:-1]
    return found.values.get(())


# --- compiled expressions ------------------------------------------------------------------


@dataclass(frozen=True)
class CastCheck:
    """A CAST in an expression, read with TRY_CAST; a given value it cannot read is at fault."""

    bad_sql: str  # true when the operand is given and cannot be read
    value_sql: str  # the operand, as text, for the quarantine
    columns: tuple[str, ...]  # the source columns the operand reads
    reads_as: str  # the type, for messages


@dataclass(frozen=True)
class Expression:
    """A DuckDB SQL expression over one file's columns, checked and made safe to run."""

    text: str  # as written
    sql: str  # as run: columns quoted in lower case, CAST as TRY_CAST
    columns: tuple[str, ...]  # the source columns it reads (lower case)
    casts: tuple[CastCheck, ...]
    line: int


def _function_name(node: exp.Expr) -> str | None:
    """The name of a function call as DuckDB spells it, when it is one of NOT_ALLOWED_FUNCTIONS."""
    if not isinstance(node, exp.Func):
        return None
    written = re.match(r"\w+", node.sql(dialect="duckdb"))
    names = [str(node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()]
    names.insert(0, written.group(0).lower() if written else names[0])
    return next((name for name in names if name in NOT_ALLOWED_FUNCTIONS), None)


def _parse_expression(
    given: str, header: dict[str, str]
) -> tuple[exp.Expr | None, list[str], list[exp.TryCast | exp.StrToTime]]:
    """The expression's tree with columns resolved, its problems, and its rewritten casts."""
    try:
        trees = sqlglot.parse(given, read="duckdb")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as error:
        message = _parse_message(given, error)
        near = re.search(r'near "(\w+)"', message)
        if near and near.group(1).lower() in header:
            message += f' (a column named like a SQL word is quoted: "{near.group(1)}")'
        return None, [f"expression does not parse: {message}"], []
    found = [tree for tree in trees if tree is not None]
    if len(found) != 1:
        return None, ["give one SQL expression (no `;`, no statements)"], []
    tree: exp.Expr = found[0]
    problems: list[str] = []
    for node in tree.walk():
        refused = [why for kind_of, why in NOT_ROW_EXPRESSIONS.items() if isinstance(node, kind_of)]
        if refused:
            problems.append(f"expression holds {refused[0]}")
            break  # its parts say nothing more
        name = _function_name(node)
        if name is not None:
            problems.append(
                f"{name}() is not allowed in a mapping: it {NOT_ALLOWED_FUNCTIONS[name]}"
            )
        if isinstance(node, exp.Column):
            if node.table:
                problems.append(f"{node.sql()}: name the file's columns alone, without a table")
                continue
            column = str(node.name).lower()
            if column not in header:
                problems.append(
                    f"unknown column {node.name!r}{_suggest(column, list(header))}"
                    + (SQL_TEXT_HINT if node.this.quoted else "")
                )
                continue
            node.set("this", exp.to_identifier(column, quoted=True))
    if problems:
        return None, sorted(set(problems)), []
    checked: list[exp.TryCast | exp.StrToTime] = []
    for node in list(tree.find_all(exp.Cast, exp.StrToTime)):
        if type(node) is exp.Cast:
            safe = exp.TryCast(this=node.this, to=node.args["to"])
            node.replace(safe)
            if node is tree:
                tree = safe
            checked.append(safe)
        elif isinstance(node, exp.StrToTime) and not node.args.get("safe"):
            node.set("safe", True)
            checked.append(node)
    return tree, [], checked


def _parse_message(given: str, error: Exception) -> str:
    """What is wrong with an expression that does not parse: DuckDB's words, else sqlglot's."""
    answer = (
        duckdb.connect().execute("SELECT json_serialize_sql(?)", [f"SELECT ({given}\n)"]).fetchone()
    )
    if answer is not None:
        message = json.loads(str(answer[0])).get("error_message")
        if message:
            return str(message)
    details = getattr(error, "errors", None) or [{}]
    description = str(details[0].get("description") or error).splitlines()[0]
    description = re.sub(r"<class '[\w.]*\.(\w+)'>", r"\1", description)
    column = details[0].get("col")
    return description + (f" (near character {column})" if column else "")


def _cast_check(node: exp.TryCast | exp.StrToTime, header: dict[str, str]) -> CastCheck:
    operand = node.this
    operand_sql = operand.sql(dialect="duckdb")
    if isinstance(node, exp.TryCast):
        reads_as = node.args["to"].sql(dialect="duckdb")
        attempt = f"TRY_CAST(({operand_sql}) AS {reads_as})"
    else:
        reads_as = f"a time in format {node.args['format'].sql(dialect='duckdb')}"
        attempt = node.sql(dialect="duckdb")
    columns = tuple(dict.fromkeys(str(c.name) for c in operand.find_all(exp.Column)))
    return CastCheck(
        bad_sql=f"(({operand_sql}) IS NOT NULL AND {attempt} IS NULL)",
        value_sql=f"CAST(({operand_sql}) AS VARCHAR)",
        columns=tuple(header[c] for c in columns),
        reads_as=reads_as,
    )


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    shown = ", ".join(choices[:30]) + (", …" if len(choices) > 30 else "")
    return (
        f" (did you mean {close[0]!r}? choose from: {shown})"
        if close
        else f" (choose from: {shown})"
    )


# --- the compiled mapping ------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """A source file the mapping reads."""

    name: str
    path: Path
    key: tuple[str, ...]  # lower case
    timezone: str | None
    header: dict[str, str]  # lower case → as the file writes it


@dataclass(frozen=True)
class Origin:
    """Where one canonical column's value comes from, compiled."""

    canonical: Column
    column: str | None = None  # a source column (lower case)
    expression: Expression | None = None
    value: str | None = None
    map: dict[str, str | None] | None = None
    default: str | None = None
    line: int = 0

    def source_name(self, header: dict[str, str]) -> str:
        """The source column(s) at fault when the value is bad, for the quarantine."""
        if self.column is not None:
            return header[self.column]
        if self.expression is not None and self.expression.columns:
            return ", ".join(header[c] for c in self.expression.columns)
        return self.canonical.name


@dataclass(frozen=True)
class CompiledEntry:
    """One entry of a canonical table, ready to translate."""

    table: str
    label: str  # the ledger's name for the entry
    line: int
    file: str | None = None
    where: Expression | None = None
    origins: tuple[Origin, ...] = ()
    rows: tuple[dict[str, str | None], ...] = ()


@dataclass
class Compiled:
    """The mapping file, checked and compiled, with the connection its files are landed on."""

    path: Path
    digest: str
    timezone: str | None
    files: dict[str, SourceFile]
    entries: list[CompiledEntry]
    con: DuckDBBackend | None = field(default=None, repr=False)


_LOADED: dict[str, Compiled] = {}  # digest → the mapping `read` compiled, for `translate`


def _constant_problem(column: Column, value: str | None) -> str | None:
    """Why `value` cannot be a value of `column`, or None when it can."""
    if value is None or value == "":
        return None
    kind_of = column.type
    if kind_of is ColumnType.ENUM and value not in column.values:
        return f"{value!r} is not a {column.name} of SPEC §2 (one of: {', '.join(column.values)})"
    if kind_of is ColumnType.BOOLEAN and value.strip().lower() not in BOOLEAN_WORDS:
        return f"{value!r} is not a boolean (true/false, 1/0, yes/no)"
    if kind_of is ColumnType.NUMBER and not NUMBER_TEXT.match(value):
        return f"{value!r} is not a decimal number"
    if kind_of is ColumnType.INTEGER and not re.match(INTEGER_TEXT_PATTERN, value):
        return f"{value!r} is not a whole number"
    if kind_of is ColumnType.MONTH and not re.match(MONTH_TEXT_PATTERN, value):
        return f"{value!r} is not a month (YYYY-MM)"
    if kind_of is ColumnType.TIMESTAMP and not re.match(TIMESTAMP_PATTERN, value):
        return f"{value!r} is not an ISO 8601 date or date and time"
    return None


class _Compiler:
    """Checks a parsed mapping against SPEC and its files; collects every problem with its line."""

    def __init__(self, con: DuckDBBackend, path: Path, found: Located, spec: MappingFile) -> None:
        self.con, self.path, self.found, self.spec = con, path, found, spec
        self.problems: list[tuple[yaml.Mark | None, str]] = []
        self.files: dict[str, SourceFile] = {}
        self.views: dict[str, str] = {}  # file name → the text view expressions are bound on
        self.landed: dict[str, VendorTable] = {}

    def problem(self, at: Where, message: str, key: bool = False) -> None:
        """Note a problem at `at` (the key's line when `key`)."""
        self.problems.append((_mark(self.found, at, key), f"{_shown(at)}: {message}"))

    def line(self, at: Where) -> int:
        """The 1-based line of the value at `at`."""
        mark = _mark(self.found, at)
        return mark.line + 1 if mark else 0

    # files

    def land_files(self) -> None:
        """Check and land every source file as text."""
        default_zone = self.spec.timezone
        if default_zone is not None:
            self._check_zone(("timezone",), default_zone)
        for index, (name, given) in enumerate(self.spec.files.items()):
            at: Where = ("files", name)
            if not FILE_NAME.match(name):
                self.problem(at, "a file's name is lower-case letters, digits and _", key=True)
                continue
            if given.timezone is not None:
                self._check_zone((*at, "timezone"), given.timezone)
            path = (self.path.parent / given.path).expanduser()
            path_at: Where = (*at, "path") if (*at, "path") in self.found.values else at
            if not path.is_file():
                self.problem(
                    path_at, f"no file at {given.path} (from the mapping's folder: {path})"
                )
                continue
            if path.suffix.lower() not in FILE_SUFFIXES:
                self.problem(path_at, f"{given.path}: a source file is .csv or .parquet")
                continue
            view = f"mapping_src_{index}"
            if path.suffix.lower() == ".csv":
                unreadable = _read_csv(self.con, path, view)
                if unreadable:
                    first = unreadable[0]
                    raise DataError(
                        f"{path}: row {first.row} cannot be read: {first.reason} "
                        f"({len(unreadable)} unreadable record(s) in all); nothing was imported"
                    )
            else:
                _read_parquet(self.con, path, view)
            table = self.con.table(view)
            header = {
                column: column for column in table.columns if column not in (ROW, FILE_COLUMN)
            }
            originals = _original_header(self.con, path)
            header.update(
                {c.strip().lower(): c.strip() for c in originals if c.strip().lower() in header}
            )
            key = tuple(column.lower() for column in given.key)
            for column in key:
                if column not in header:
                    self.problem(
                        (*at, "key"),
                        f"key column {column!r} is not in {path.name}"
                        + _suggest(column, list(header)),
                    )
            texts = table.select(
                **{c: table[c].cast("string") for c in header},
                **{ROW: table[ROW]},
            ).mutate(**{FILE_COLUMN: ibis.literal(str(path))})
            self.landed[name] = VendorTable(name, str(path), texts, tuple(header.values()))
            bound = f"mapping_text_{index}"
            trimmed = texts.select(**{c: text(texts[c]) for c in header}, **{ROW: texts[ROW]})
            self.con.con.execute(
                f'CREATE OR REPLACE TEMP VIEW "{bound}" AS {self.con.compile(trimmed)}'
            )
            self.views[name] = bound
            self.files[name] = SourceFile(name, path, key, given.timezone or default_zone, header)

    def _check_zone(self, at: Where, name: str) -> None:
        try:
            zone(name)
        except UsageError as error:
            self.problem(at, str(error))

    # expressions

    def expression(
        self, at: Where, given: str, file: str, boolean: bool = False
    ) -> Expression | None:
        """`given` compiled over `file`'s columns, or None (with its problems noted)."""
        source = self.files[file]
        tree, problems, casts = _parse_expression(given, source.header)
        for message in problems:
            self.problem(at, message)
        if tree is None:
            return None
        sql = tree.sql(dialect="duckdb")
        view = self.views[file]
        try:
            described = self.con.con.execute(
                f'DESCRIBE SELECT "{ROW}", ({sql}) AS "_value" FROM "{view}"'
            ).fetchall()
        except duckdb.Error as error:
            first = str(error).strip().splitlines()[0]
            if "VARCHAR" in first and "No function matches" in first:
                first += " Every column is text: CAST it, e.g. CAST(tenure AS INTEGER)."
            self.problem(at, f"expression does not compile over {file}'s columns: {first}")
            return None
        result_type = str(described[1][1])
        if boolean and result_type != "BOOLEAN":
            self.problem(at, f"a `where` is a condition (true or false), not {result_type}")
            return None
        checks: list[CastCheck] = []
        for node in casts:
            check = _cast_check(node, source.header)
            if not check.columns:  # a constant: read it once, now
                failed = self.con.con.execute(f"SELECT {check.bad_sql}").fetchone()
                if failed and failed[0]:
                    value = self.con.con.execute(f"SELECT {check.value_sql}").fetchone()
                    shown = value[0] if value else None
                    self.problem(at, f"{shown!r} cannot be read as {check.reads_as}")
                    return None
                continue
            checks.append(check)
        columns = tuple(dict.fromkeys(str(c.name) for c in tree.find_all(exp.Column)))
        return Expression(given, sql, columns, tuple(checks), self.line(at))

    # entries

    def entries(self) -> list[CompiledEntry]:
        """Every table's entries compiled; problems noted."""
        compiled: list[CompiledEntry] = []
        labels: set[str] = set()
        pairs = [
            (table, entry.file or "")
            for table, entries in self.spec.tables.items()
            for entry in entries
        ]
        seen: dict[tuple[str, str], int] = {}
        if not self.spec.tables:
            self.problem(("tables",), "no table: name at least one canonical table", key=True)
        for table, entries in self.spec.tables.items():
            if table not in TABLE_NAMES:
                self.problem(
                    ("tables", table),
                    f"unknown canonical table {table!r}{_suggest(table, list(TABLE_NAMES))}",
                    key=True,
                )
                continue
            spec = table_spec(table)
            if not entries:
                self.problem(("tables", table), "no entry: give at least one, or leave it out")
            for index, entry in enumerate(entries):
                at: Where = ("tables", table, index)
                pair = (table, entry.file or "")
                seen[pair] = seen.get(pair, 0) + 1
                label = f"{entry.file or 'rows'} → {table}"
                if entry.name:
                    label += f" ({entry.name})"
                elif pairs.count(pair) > 1:
                    label += f" #{seen[pair]}"
                if label in labels:
                    self.problem(at, f"two entries are both called {label!r}: name each one")
                labels.add(label)
                result = self._entry(at, spec, entry, label)
                if result is not None:
                    compiled.append(result)
        return compiled

    def _entry(self, at: Where, spec: TableSpec, entry: Entry, label: str) -> CompiledEntry | None:
        if entry.rows is not None:
            return self._rows_entry(at, spec, entry, label)
        assert entry.file is not None and entry.columns is not None
        if entry.file not in self.spec.files:
            self.problem(
                (*at, "file"),
                f"unknown file {entry.file!r}{_suggest(entry.file, list(self.spec.files))}"
                " (files are named under `files:`)",
            )
            return None
        if entry.file not in self.files:
            return None  # its own problem is noted
        source = self.files[entry.file]
        origins: list[Origin] = []
        ok = True
        for name, given in entry.columns.items():
            column_at: Where = (*at, "columns", name)
            if name not in spec.column_names:
                self.problem(
                    column_at,
                    f"{spec.name} has no column {name!r}{_suggest(name, list(spec.column_names))}",
                    key=True,
                )
                ok = False
                continue
            origin = self._origin(column_at, spec.column(name), given, source)
            if origin is None:
                ok = False
                continue
            origins.append(origin)
        missing = [c for c in spec.required_columns if c not in entry.columns]
        if missing:
            self.problem(
                (*at, "columns"),
                f"{spec.name} needs {', '.join(missing)} (required columns: "
                f"{', '.join(spec.required_columns)})",
                key=True,
            )
            ok = False
        where = None
        if entry.where is not None:
            where = self.expression((*at, "where"), entry.where, entry.file, boolean=True)
            ok = ok and where is not None
        if not ok:
            return None
        return CompiledEntry(
            spec.name, label, self.line(at), file=entry.file, where=where, origins=tuple(origins)
        )

    def _origin(
        self, at: Where, column: Column, given: ColumnSpec, source: SourceFile
    ) -> Origin | None:
        line = self.line(at)
        ok = True
        for target_at, target in [((*at, "value"), given.value), ((*at, "default"), given.default)]:
            problem = _constant_problem(column, target)
            if problem:
                self.problem(target_at, problem)
                ok = False
        for source_value, target in (given.map or {}).items():
            problem = _constant_problem(column, target)
            if problem:
                self.problem((*at, "map", source_value), f"bad value map: {problem}")
                ok = False
        if given.map is not None and not given.map:
            self.problem((*at, "map"), "an empty value map maps nothing")
            ok = False
        if given.column is not None:
            lowered = given.column.strip().lower()
            if lowered not in source.header:
                column_at = (*at, "column") if (*at, "column") in self.found.values else at
                self.problem(
                    column_at,
                    f"{source.path.name} has no column {given.column!r}"
                    f"{_suggest(lowered, list(source.header))}",
                )
                return None
            return (
                Origin(column, column=lowered, map=given.map, default=given.default, line=line)
                if ok
                else None
            )
        if given.expr is not None:
            expression = self.expression((*at, "expr"), given.expr, source.name)
            if expression is None or not ok:
                return None
            return Origin(
                column, expression=expression, map=given.map, default=given.default, line=line
            )
        return Origin(column, value=given.value, line=line) if ok else None

    def _rows_entry(
        self, at: Where, spec: TableSpec, entry: Entry, label: str
    ) -> CompiledEntry | None:
        assert entry.rows is not None
        ok = True
        for index, row in enumerate(entry.rows):
            row_at: Where = (*at, "rows", index)
            for name, value in row.items():
                if name not in spec.column_names:
                    self.problem(
                        (*row_at, name),
                        f"{spec.name} has no column {name!r}"
                        + _suggest(name, list(spec.column_names)),
                        key=True,
                    )
                    ok = False
                    continue
                problem = _constant_problem(spec.column(name), value)
                if problem:
                    self.problem((*row_at, name), problem)
                    ok = False
            missing = [c for c in spec.required_columns if not row.get(c)]
            if missing:
                self.problem(row_at, f"{spec.name} needs {', '.join(missing)} in every row")
                ok = False
        if not entry.rows:
            self.problem((*at, "rows"), "no rows")
            ok = False
        if not ok:
            return None
        given = [c for c in spec.column_names if any(c in row for row in entry.rows)]
        line = self.line(at)
        origins = tuple(Origin(spec.column(c), column=c, line=line) for c in given)
        return CompiledEntry(spec.name, label, line, origins=origins, rows=tuple(entry.rows))


def _original_header(con: DuckDBBackend, path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        from lifecycle_metrics.io.csvfile import read_header

        return list(read_header(path))
    described = con.con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    return [str(row[0]) for row in described]


def compile_mapping(con: DuckDBBackend, path: Path) -> tuple[Compiled, dict[str, VendorTable]]:
    """The mapping at `path` checked, its files landed on `con` as text; every problem named."""
    source = path.read_text(encoding="utf-8-sig")
    found = load_yaml(source, path)
    if not isinstance(found.data, dict):
        raise _problems(path, [(_mark(found, ()), "expected keys such as files: and tables:")])
    try:
        spec = MappingFile.model_validate(found.data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(part for part in item["loc"] if isinstance(part, int | str))
            place = _data_place(found, loc)
            key = item["type"] == "extra_forbidden"
            problems.append(
                (_mark(found, place, key), f"{_shown(place)}: {_pydantic_message(item)}")
            )
        raise _problems(path, problems) from None
    compiler = _Compiler(con, path, found, spec)
    compiler.land_files()
    entries = compiler.entries()
    if compiler.problems:
        raise _problems(path, compiler.problems)
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    compiled = Compiled(path, digest, spec.timezone, compiler.files, entries, con)
    return compiled, compiler.landed


def _data_place(found: Located, loc: tuple[str | int, ...]) -> Where:
    """The longest start of a pydantic location that is a place in the YAML."""
    place: Where = ()
    for part in loc:
        candidate = (*place, part)
        if candidate not in found.values and candidate not in found.keys:
            break
        place = candidate
    return place


# --- read: the mapping's files as the export -----------------------------------------------


def read(con: DuckDBBackend, src: str | Path) -> RawExport:
    """Check the mapping file SRC and land the files it names (the hook run.py calls)."""
    path = Path(str(src)).expanduser()
    if not path.is_file():
        raise UsageError(
            f"SRC {str(src)!r} is not a file: `lifecycle import mapping` reads a mapping YAML "
            "file (see docs/sources/mapping.md)"
        )
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"SRC {str(src)!r}: a mapping is a .yaml or .yml file")
    compiled, landed = compile_mapping(con, path)
    _LOADED.clear()  # only the mapping of the import under way is needed
    _LOADED[compiled.digest] = compiled
    keys.clear()
    keys.update({name: source.key for name, source in compiled.files.items() if source.key})
    keys[MAPPING_TABLE] = ("slot",)
    marker = ibis.memtable(
        {"slot": ["mapping"], "digest": [compiled.digest], ROW: [1], FILE_COLUMN: [str(path)]}
    )
    con.create_table("mapping_marker", marker, temp=True, overwrite=True)
    tables = dict(landed)
    tables[MAPPING_TABLE] = VendorTable(
        MAPPING_TABLE, str(path), con.table("mapping_marker"), ("slot", "digest")
    )
    return RawExport(tables, {}, {})


def prepare(export: RawExport) -> RawExport:
    """Nothing to recognise: the mapping names every file."""
    return export


# --- translate -----------------------------------------------------------------------------
#
# The entries reading one file are read together (a value several entries read is read
# once), in stages, each materialised: the file's rows with the expressions computed; the
# value maps applied; the values read as their canonical types; for timestamps their wall
# time and, for naive times in a zone, its UTC instant and text; the checks. A stage reads
# the columns of the one before, so no reading is inlined into the next (a time zone's offset
# table compares the wall time at every branch: inlined, the SQL grows past what DuckDB can
# plan). Each entry is then one part: its rules, in order, over those columns.


@dataclass(frozen=True)
class _Rule:
    """A rule of an entry: the column holding its test, and what the ledger says of it."""

    test: str
    reason: str
    column: str | None = None  # the source column at fault
    value: str | None = None  # the column holding the value at fault
    skip: bool = False  # True: rows that fail the test are skipped (a `where`)


class _Stages:
    """Materialised stages of one file's rows on the import's connection."""

    def __init__(self, con: DuckDBBackend, prefix: str) -> None:
        self.con, self.prefix, self.count = con, prefix, 0

    def add(self, rows: ir.Table, columns: dict[str, ir.Value]) -> ir.Table:
        """`rows` with `columns` added (or replaced), as a temporary table."""
        if not columns:
            return rows
        self.count += 1
        name = f"{self.prefix}_{self.count}"
        self.con.create_table(name, rows.mutate(**columns), temp=True, overwrite=True)
        return self.con.table(name)


def _typed(column: Column, value: ir.StringValue) -> tuple[Read, str]:
    """`value` read as `column`'s type: canonical text and whether it was bad; what it expects."""
    kind_of = column.type
    empty = ibis.null().cast("string")
    if kind_of is ColumnType.TIMESTAMP:
        return instant(value), "a date and time (ISO 8601)"
    if kind_of is ColumnType.NUMBER:
        return number(value), "a decimal number"
    if kind_of is ColumnType.BOOLEAN:
        return flag(value), "true or false (1/0, yes/no)"
    patterns = {
        ColumnType.INTEGER: (INTEGER_TEXT_PATTERN, "a whole number"),
        ColumnType.MONTH: (MONTH_TEXT_PATTERN, "a month (YYYY-MM)"),
    }
    if kind_of in patterns:
        pattern, expected = patterns[kind_of]
        fits = value.re_search(pattern)
        return Read(ibis.ifelse(fits, value, empty), value.notnull() & ~fits), expected
    if kind_of is ColumnType.ENUM:
        member = value.isin(column.values)
        expected = f"one of {', '.join(column.values)}"
        return Read(ibis.ifelse(member, value, empty), value.notnull() & ~member), expected
    return Read(value, ibis.literal(False)), "text"


def _mapped(origin: Origin, given: ir.StringValue) -> tuple[ir.StringValue, ir.BooleanValue | None]:
    """The value after the origin's value map and default; and which values the map lacks."""
    if origin.map is None:
        if origin.default is not None:
            return ibis.coalesce(given, ibis.literal(origin.default)), None
        return given, None
    empty = ibis.null().cast("string")

    def literal(target: str | None) -> ir.StringValue:
        return empty if target is None or target == "" else ibis.literal(target)

    pairs = [(key, literal(target)) for key, target in origin.map.items() if key != ""]
    found: ir.BooleanValue = given.isin([key for key, _ in pairs]) if pairs else ibis.literal(False)
    mapped = given.cases(*pairs, else_=empty) if pairs else empty
    if "" in origin.map:  # the empty value is mapped too
        found = found | given.isnull()
        mapped = ibis.ifelse(given.isnull(), literal(origin.map[""]), mapped)
    if origin.default is not None:
        return ibis.ifelse(found, mapped, ibis.literal(origin.default)), None
    return mapped, given.notnull() & ~found


@dataclass(frozen=True)
class _Value:
    """The columns holding one value read from a file, shared by every entry that reads it."""

    mapped: str  # after the value map and default
    typed: str  # canonical text (NULL when empty or bad)
    bad: str  # given but not readable as the canonical type
    empty: str  # no value
    expected: str  # what a readable value looks like
    given: str | None = None  # before the map (only with a map that has no default)
    unmapped: str | None = None  # a value the map lacks
    outside: str | None = None  # out of the column's range


class _Reading:
    """Every value the entries of one file read, computed once, in stages, over its rows."""

    def __init__(self, stages: _Stages, tz: str | None) -> None:
        self.stages, self.tz = stages, tz
        self.expressions: dict[tuple[str, bool], tuple[str, Expression]] = {}
        self.values: dict[tuple[Any, ...], tuple[_Value, Origin]] = {}
        self.pairs: dict[tuple[str, str | None], str] = {}  # deals: (status, closed_at) → test

    def expression(self, expression: Expression, boolean: bool = False) -> str:
        """The column that will hold the expression's result (text, or a condition)."""
        key = (expression.sql, boolean)
        if key not in self.expressions:
            self.expressions[key] = (f"_x{len(self.expressions)}", expression)
        return self.expressions[key][0]

    def value(self, origin: Origin) -> _Value:
        """The columns that will hold the origin's value, read as its canonical column's type."""
        canonical = origin.canonical
        source = (
            ("column", origin.column)
            if origin.column is not None
            else ("expr", self.expression(origin.expression))
            if origin.expression is not None
            else ("value", origin.value)
        )
        map_items = tuple(sorted((origin.map or {}).items(), key=lambda item: item[0]))
        key = (
            source,
            map_items if origin.map is not None else None,
            origin.default,
            canonical.type,
            canonical.values,
            canonical.min_value,
            canonical.max_value,
        )
        if key not in self.values:
            k = len(self.values)
            _, expected = _typed(canonical, ibis.literal("x"))
            checked_map = origin.map is not None and origin.default is None
            ranged = canonical.min_value is not None and canonical.max_value is not None
            self.values[key] = (
                _Value(
                    mapped=f"_m{k}",
                    typed=f"_t{k}",
                    bad=f"_b{k}",
                    empty=f"_e{k}",
                    expected=expected,
                    given=f"_g{k}" if checked_map else None,
                    unmapped=f"_u{k}" if checked_map else None,
                    outside=f"_r{k}" if ranged else None,
                ),
                origin,
            )
        return self.values[key][0]

    def unclosed(self, status: _Value, closed: _Value | None) -> str:
        """The column that will say a deal is won or lost without a closed_at."""
        key = (status.typed, closed.typed if closed else None)
        return self.pairs.setdefault(key, f"_unclosed{len(self.pairs)}")

    def compute(self, rows: ir.Table) -> ir.Table:
        """`rows` (trimmed text) with every registered column, stage by stage."""
        rows = self._expressions(rows)
        mapped: dict[str, ir.Value] = {}
        for names, origin in self.values.values():
            given = self._given(origin, rows)
            value, unmapped = _mapped(origin, given)
            mapped[names.mapped] = value
            if names.unmapped is not None and names.given is not None and unmapped is not None:
                mapped[names.unmapped], mapped[names.given] = unmapped, given
        rows = self.stages.add(rows, mapped)
        typed: dict[str, ir.Value] = {}
        for names, origin in self.values.values():
            reading, _ = _typed(origin.canonical, rows[names.mapped])
            typed[names.typed], typed[names.bad] = reading.text, reading.bad
        rows = self.stages.add(rows, typed)
        zoned = [
            names.typed
            for names, origin in self.values.values()
            if origin.canonical.type is ColumnType.TIMESTAMP
        ]
        if zoned:
            rows = _walls(self.stages, rows, zoned)
        if zoned and self.tz is not None:
            rows = _in_utc(self.stages, rows, zoned, self.tz)
        checks: dict[str, ir.Value] = {}
        for names, origin in self.values.values():
            checks[names.empty] = rows[names.typed].isnull()
            if names.typed in zoned:  # written like a date, but not one (2024-02-30)
                checks[names.bad] = rows[names.bad] | rows[f"{names.typed}_unreal"]
            canonical = origin.canonical
            if names.outside is not None:
                number_of = rows[names.typed].try_cast("float64")
                low, high = canonical.min_value, canonical.max_value
                checks[names.outside] = ((number_of < low) | (number_of > high)).fill_null(False)
        for (status, closed), test in self.pairs.items():
            missing = rows[closed].isnull() if closed is not None else ibis.literal(True)
            checks[test] = (rows[status].isin(("won", "lost")) & missing).fill_null(False)
        return self.stages.add(rows, checks)

    def _expressions(self, rows: ir.Table) -> ir.Table:
        selected: list[str] = []
        for (_sql, boolean), (helper, expression) in self.expressions.items():
            result = expression.sql if boolean else f"CAST(({expression.sql}) AS VARCHAR)"
            selected.append(f'{result} AS "{helper}"')
            for c, check in enumerate(expression.casts):
                selected.append(f'{check.bad_sql} AS "{helper}_bad{c}"')
                selected.append(f'{check.value_sql} AS "{helper}_value{c}"')
        if not selected:
            return self.stages.add(rows, {"_plain": ibis.literal(True)})
        view = "mapping_rows"
        return self.stages.add(
            rows.alias(view).sql(f'SELECT *, {", ".join(selected)} FROM "{view}"'),
            {"_computed": ibis.literal(True)},
        )

    def _given(self, origin: Origin, rows: ir.Table) -> ir.StringValue:
        if origin.column is not None:
            return text(rows[origin.column])
        if origin.expression is not None:
            return text(rows[self.expression(origin.expression)])
        return text(ibis.literal(origin.value) if origin.value is not None else None)


def _entry_rules(
    reading: _Reading, entry: CompiledEntry, header: dict[str, str]
) -> tuple[list[_Rule], dict[str, str]]:
    """The quarantine rules of one entry, in order, and the column holding each of its values."""
    rules: list[_Rule] = []
    values: dict[str, _Value] = {}
    for origin in entry.origins:
        canonical, name = origin.canonical, origin.source_name(header)
        names = reading.value(origin)
        if origin.expression is not None:
            helper = reading.expression(origin.expression)
            for c, check in enumerate(origin.expression.casts):
                at_fault = ", ".join(check.columns)
                reason = (
                    f"{at_fault} cannot be read as {check.reads_as} (the expression of "
                    f"{canonical.name}, line {origin.expression.line})"
                )
                rules.append(_Rule(f"{helper}_bad{c}", reason, at_fault, f"{helper}_value{c}"))
        if names.unmapped is not None:
            reason = f"{name}: a value the map of {canonical.name} lacks (line {origin.line})"
            rules.append(_Rule(names.unmapped, reason, name, names.given))
        reason = f"{name} is not {names.expected} ({canonical.name})"
        rules.append(_Rule(names.bad, reason, name, names.mapped))
        if names.outside is not None:
            span = f"{canonical.min_value:g}..{canonical.max_value:g}"
            reason = f"{name} is outside {span} ({canonical.name})"
            rules.append(_Rule(names.outside, reason, name, names.typed))
        if canonical.required:
            reason = f"no {canonical.name} (a required column): {name} is empty"
            rules.append(_Rule(names.empty, reason, name))
        values[canonical.name] = names
    if entry.table == "deals" and "status" in values:
        test = reading.unclosed(values["status"], values.get("closed_at"))
        rules.append(_Rule(test, "won or lost without a closed_at", "closed_at"))
    return rules, {name: names.typed for name, names in values.items()}


def _walls(stages: _Stages, rows: ir.Table, names: list[str]) -> ir.Table:
    """Beside each timestamp text of `names`: its wall time, whether it is naive or unreal."""
    walls: dict[str, ir.Value] = {}
    for name in names:
        value = rows[name]
        given_zone = value.re_extract(TIMESTAMP_PATTERN, 5).nullif("")
        walls[f"{name}_naive"] = value.re_search(TIMESTAMP_PATTERN) & given_zone.isnull()
        walls[f"{name}_fraction"] = value.re_extract(TIMESTAMP_PATTERN, 4).nullif("").notnull()
        walls[f"{name}_wall"] = wall_clock(value)  # NULL for a day the calendar lacks (02-30)
    rows = stages.add(rows, walls)
    unreal = {f"{n}_unreal": rows[n].notnull() & rows[f"{n}_wall"].isnull() for n in names}
    return stages.add(rows, unreal)


def _in_utc(stages: _Stages, rows: ir.Table, names: list[str], tz: str) -> ir.Table:
    """Naive timestamp texts in `names`, read in zone `tz`, rewritten as UTC instants (`…Z`)."""
    rows = stages.add(rows, {f"{n}_utc": local_to_utc(rows[f"{n}_wall"], tz) for n in names})
    written: dict[str, ir.Value] = {}
    for name in names:
        utc = rows[f"{name}_utc"]
        fraction = ibis.ifelse(rows[f"{name}_fraction"], "." + utc.strftime("%f"), "")
        as_text = utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
        written[name] = ibis.ifelse(rows[f"{name}_naive"], as_text, rows[name])
    return stages.add(rows, written)


def _record(rows: ir.Table, source: SourceFile) -> ir.StringValue:
    """The record id for messages: the file's key, else its row number."""
    if not source.key:
        return "row " + rows[ROW].cast("string")
    joined = rows[source.key[0]].fill_null("")
    for column in source.key[1:]:
        joined = joined + "/" + rows[column].fill_null("")
    return joined


def _fated(
    entry: CompiledEntry,
    rows: ir.Table,
    record: ir.Value,
    rules: list[_Rule],
    values: dict[str, str],
) -> Part:
    """The entry's part: its `where`, then its rules in order, over the file's computed rows."""
    fates = Fates(entry.label, rows, record)
    for rule in rules:
        if rule.skip:
            fates.skip(~rows[rule.test].fill_null(False), rule.reason)
        else:
            value = rows[rule.value] if rule.value else None
            fates.quarantine(rows[rule.test], rule.reason, rule.column, value)
    return fates.part({name: rows[column] for name, column in values.items()})


def _where_rules(reading: _Reading, entry: CompiledEntry) -> list[_Rule]:
    """A `where`: rows whose values it cannot read are quarantined, rows it leaves out skipped."""
    if entry.where is None:
        return []
    helper = reading.expression(entry.where, boolean=True)
    rules: list[_Rule] = []
    for c, check in enumerate(entry.where.casts):
        at_fault = ", ".join(check.columns)
        reason = f"{at_fault} cannot be read as {check.reads_as} (where, line {entry.where.line})"
        rules.append(_Rule(f"{helper}_bad{c}", reason, at_fault, f"{helper}_value{c}"))
    rules.append(_Rule(helper, f"left out by where: {entry.where.text}", skip=True))
    return rules


def _file_parts(
    name: str, entries: list[tuple[int, CompiledEntry]], compiled: Compiled, given: ir.Table
) -> list[tuple[int, Part]]:
    """The parts of every entry reading file `name`, its values computed once for all."""
    assert compiled.con is not None
    source = compiled.files[name]
    reading = _Reading(_Stages(compiled.con, f"mapping_{name}"), source.timezone)
    planned = []
    for index, entry in entries:
        rules = _where_rules(reading, entry)
        entry_rules, values = _entry_rules(reading, entry, source.header)
        planned.append((index, entry, rules + entry_rules, values))
    normal = given.select(
        **{column: text(given[column]) for column in source.header}, **{ROW: given[ROW]}
    )
    try:
        rows = reading.compute(normal)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        lines = ", ".join(str(entry.line) for _, entry in entries)
        raise DataError(
            f"{compiled.path}: an expression of the entries reading {name} (lines {lines}) "
            f"fails on the data of {source.path.name}: {first}; nothing was imported"
        ) from None
    record = _record(rows, source)
    return [
        (index, _fated(entry, rows, record, rules, values))
        for index, entry, rules, values in planned
    ]


def _rows_part(entry: CompiledEntry, index: int, compiled: Compiled) -> Part:
    """Rows written in the mapping, read like a file whose columns are the canonical ones."""
    assert compiled.con is not None
    names = [origin.canonical.name for origin in entry.origins]
    data: dict[str, list[str | None]] = {
        n: [row.get(n) or None for row in entry.rows] for n in names
    }
    data[ROW] = [str(k + 1) for k in range(len(entry.rows))]
    stages = _Stages(compiled.con, f"mapping_rows_{index}")
    rows = stages.add(ibis.memtable(data, schema=dict.fromkeys(data, "string")), {"_plain": True})
    reading = _Reading(stages, compiled.timezone)
    rules, values = _entry_rules(reading, entry, {name: name for name in names})
    rows = reading.compute(rows)
    return _fated(entry, rows, "row " + rows[ROW], rules, values)


def _compiled(tables: dict[str, VendorTable]) -> Compiled:
    """The mapping this import read (its digest is kept with the source)."""
    marker = tables.get(MAPPING_TABLE)
    if marker is None:
        raise UsageError("a mapping import reads a mapping file; none was read")
    stored = marker.table
    newest = stored.order_by(stored[IMPORT].desc()) if IMPORT in stored.columns else stored
    digest = str(newest.select("digest").limit(1).execute()["digest"].iloc[0])
    compiled = _LOADED.get(digest)
    if compiled is None:
        raise UsageError("the mapping of this import is not loaded; run the import again")
    return compiled


def translate(tables: dict[str, VendorTable], ledger: Ledger) -> dict[str, list[Part]]:
    """Canonical parts: one per entry of the mapping, each accounting for every row of its file."""
    compiled = _compiled(tables)
    made: list[tuple[int, Part]] = []
    by_file: dict[str, list[tuple[int, CompiledEntry]]] = {}
    for index, entry in enumerate(compiled.entries):
        if entry.file is None:
            made.append((index, _rows_part(entry, index, compiled)))
        else:
            by_file.setdefault(entry.file, []).append((index, entry))
    for name, entries in by_file.items():
        made.extend(_file_parts(name, entries, compiled, tables[name].table))
    parts: dict[str, list[Part]] = {}
    for index, part in sorted(made, key=lambda item: item[0]):
        parts.setdefault(compiled.entries[index].table, []).append(part)
    used = {entry.file for entry in compiled.entries if entry.file}
    for name, given in tables.items():
        if name == MAPPING_TABLE or name in used:
            continue
        rows = int(given.table.count().execute())
        if name in compiled.files:
            ledger.skip_table(name, rows, "no table of the mapping reads it")
        else:
            ledger.skip_table(name, rows, "named by an earlier mapping of this dataset, not this")
    return parts

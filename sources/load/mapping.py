"""The declared column mapping: which export file feeds which raw table, and how to read it.

A mapping is a YAML file (see ``docs/loading.md`` and ``examples/mappings/``)::

    defaults: {delimiter: ",", encoding: utf-8, decimal_separator: ".", timezone: UTC}
    files:
      - pattern: "commerce/orders*.csv"     # glob relative to the export directory
        table: commerce.orders              # <source>.<table> from the contract
        delimiter: ";"
        date_format: ["%d/%m/%Y %H:%M", "%Y-%m-%d"]
        columns:
          customer_id: CustomerID            # contract column: file column
          ordered_at: {from: InvoiceDate, timezone: Europe/London}
          order_total: {from: Amount, decimal_separator: ","}
          order_id: {derive: hash}           # a stable key from the row's mapped values
          currency: {value: GBP}             # a constant
        duplicates: keep                     # identical lines: separate orders (or quarantine)

Without a mapping, files are found by name (``<source>/<table>*.csv|parquet|jsonl``) and
columns by their contract names; both ways produce the same :class:`FileRule`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sources.contract import RawTable, raw_tables
from sources.load.report import LoadError

FORMATS = ("csv", "parquet", "jsonl")
SUFFIX_FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_READ_OPTIONS = ("delimiter", "encoding", "quote", "decimal_separator", "timezone", "date_format")
_COLUMN_OPTIONS = ("from", "format", "decimal_separator", "timezone", "derive", "value")
#: What to do with a line identical to an earlier line of the same file when the key is derived:
#: keep it as its own row (its key counts the occurrence) or quarantine it.
DUPLICATE_POLICIES = ("keep", "quarantine")


@dataclass(frozen=True)
class ColumnSpec:
    """How one contract column is read from a file."""

    source: str | None = None  # file column; None with derive/value
    formats: tuple[str, ...] = ()  # strptime formats for dates/timestamps, tried in order
    decimal_separator: str = ""  # "" until defaulted from the file's options
    timezone: str = ""  # zone of naive timestamps; "" until defaulted
    derive: str | None = None  # "hash": a stable key from the row's mapped values
    value: str | None = None  # a constant


@dataclass(frozen=True)
class ReadOptions:
    delimiter: str = ","
    quote: str = '"'
    encoding: str = "utf-8"
    decimal_separator: str = "."
    timezone: str = "UTC"
    date_format: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileRule:
    """One file pattern feeding one raw table."""

    pattern: str
    table: RawTable
    file_format: str | None = None  # None: from the suffix
    options: ReadOptions = field(default_factory=ReadOptions)
    columns: dict[str, ColumnSpec] | None = None  # None: contract names, matched by name
    duplicates: str = "keep"  # one of DUPLICATE_POLICIES; applies to derived keys only

    def matches(self, relative: str) -> bool:
        return fnmatch.fnmatch(relative.lower(), self.pattern.lower())

    def format_of(self, path: Path) -> str | None:
        return self.file_format or SUFFIX_FORMATS.get(path.suffix.lower())

    def spec(self, column: str) -> ColumnSpec | None:
        """The column's spec, or None when the mapping leaves the column out."""
        if self.columns is None:
            return _defaulted(ColumnSpec(source=column), self.options)
        return self.columns.get(column)


@dataclass(frozen=True)
class Mapping:
    rules: tuple[FileRule, ...]
    origin: str = "default"


def _defaulted(spec: ColumnSpec, options: ReadOptions) -> ColumnSpec:
    return replace(
        spec,
        formats=spec.formats or options.date_format,
        decimal_separator=spec.decimal_separator or options.decimal_separator,
        timezone=spec.timezone or options.timezone,
    )


def _formats(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(item) for item in (value if isinstance(value, list) else [value]))


def _fail(origin: str, where: str, message: str) -> LoadError:
    return LoadError(f"mapping {origin}: {where}: {message}")


def _check_zone(origin: str, where: str, zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(origin, where, f"unknown time zone {zone!r}") from None


def _read_options(origin: str, where: str, entry: dict[str, Any], base: ReadOptions) -> ReadOptions:
    options = ReadOptions(
        delimiter=str(entry.get("delimiter", base.delimiter)),
        quote=str(entry.get("quote", base.quote)),
        encoding=str(entry.get("encoding", base.encoding)).lower(),
        decimal_separator=str(entry.get("decimal_separator", base.decimal_separator)),
        timezone=str(entry.get("timezone", base.timezone)),
        date_format=_formats(entry["date_format"]) if "date_format" in entry else base.date_format,
    )
    if options.delimiter == "\\t":
        options = replace(options, delimiter="\t")
    if len(options.delimiter) != 1 or options.delimiter in "\r\n":
        raise _fail(origin, where, f"delimiter must be one character, got {options.delimiter!r}")
    if options.decimal_separator not in (".", ","):
        raise _fail(origin, where, "decimal_separator must be '.' or ','")
    try:
        "".encode(options.encoding)
    except LookupError:
        raise _fail(origin, where, f"unknown encoding {options.encoding!r}") from None
    _check_zone(origin, where, options.timezone)
    return options


def _column_spec(origin: str, where: str, raw: Any, options: ReadOptions) -> ColumnSpec:
    if isinstance(raw, str):
        return _defaulted(ColumnSpec(source=raw), options)
    if not isinstance(raw, dict):
        raise _fail(origin, where, "expected a file column name or a mapping with 'from'")
    unknown = sorted(set(raw) - set(_COLUMN_OPTIONS))
    if unknown:
        raise _fail(origin, where, f"unknown option {unknown[0]!r}")
    given = [key for key in ("from", "derive", "value") if key in raw]
    if len(given) != 1:
        raise _fail(origin, where, "give exactly one of 'from', 'derive' or 'value'")
    if "derive" in raw and raw["derive"] != "hash":
        raise _fail(origin, where, "derive supports only 'hash'")
    spec = ColumnSpec(
        source=str(raw["from"]) if "from" in raw else None,
        formats=_formats(raw.get("format")),
        decimal_separator=str(raw.get("decimal_separator", "")),
        timezone=str(raw.get("timezone", "")),
        derive=raw.get("derive"),
        value=None if raw.get("value") is None else str(raw["value"]),
    )
    if spec.timezone:
        _check_zone(origin, where, spec.timezone)
    return _defaulted(spec, options)


def _rule(origin: str, position: int, entry: Any, defaults: ReadOptions) -> FileRule:
    where = f"files[{position}]"
    if not isinstance(entry, dict) or "pattern" not in entry or "table" not in entry:
        raise _fail(origin, where, "each entry needs 'pattern' and 'table'")
    tables = raw_tables()
    key = str(entry["table"])
    if key not in tables:
        raise _fail(origin, where, f"unknown table {key!r}; known tables: {', '.join(tables)}")
    table = tables[key]
    file_format = entry.get("format")
    if file_format is not None and file_format not in FORMATS:
        raise _fail(origin, where, f"format must be one of {', '.join(FORMATS)}")
    options = _read_options(origin, where, entry, defaults)
    columns: dict[str, ColumnSpec] | None = None
    if entry.get("columns") is not None:
        if not isinstance(entry["columns"], dict):
            raise _fail(origin, where, "'columns' maps contract columns to file columns")
        columns = {}
        for name, raw in entry["columns"].items():
            if name not in table.column_names:
                raise _fail(
                    origin,
                    f"{where}.columns",
                    f"{key} has no column {name!r}; its columns: {', '.join(table.column_names)}",
                )
            columns[name] = _column_spec(origin, f"{where}.columns.{name}", raw, options)
        for column in table.columns:  # unmapped columns still match by contract name
            columns.setdefault(column.name, _defaulted(ColumnSpec(source=column.name), options))
    duplicates = _duplicates(origin, where, entry, columns)
    return FileRule(str(entry["pattern"]), table, file_format, options, columns, duplicates)


def _duplicates(
    origin: str, where: str, entry: dict[str, Any], columns: dict[str, ColumnSpec] | None
) -> str:
    """The rule's ``duplicates`` policy; only a rule with a derived key can have one."""
    if "duplicates" not in entry:
        return "keep"
    policy = str(entry["duplicates"])
    if policy not in DUPLICATE_POLICIES:
        raise _fail(
            origin,
            f"{where}.duplicates",
            f"expected one of {', '.join(DUPLICATE_POLICIES)}, got {policy!r}",
        )
    if not any(spec.derive for spec in (columns or {}).values()):
        raise _fail(
            origin,
            f"{where}.duplicates",
            "applies only to a rule with a derived key ({derive: hash}); with a key column, "
            "repeated keys are always quarantined",
        )
    return policy


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping YAML; every problem is a one-line :class:`LoadError`."""
    origin = str(path)
    if not path.is_file():
        raise LoadError(f"mapping file {path} does not exist")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        reason = str(error).strip().splitlines()[0]
        raise LoadError(f"mapping {origin}: not valid YAML: {reason}") from None
    if not isinstance(document, dict) or not isinstance(document.get("files"), list):
        raise LoadError(f"mapping {origin}: expected a 'files' list at the top level")
    defaults = _read_options(origin, "defaults", document.get("defaults") or {}, ReadOptions())
    rules = tuple(
        _rule(origin, position, entry, defaults) for position, entry in enumerate(document["files"])
    )
    return Mapping(rules, origin)


def default_mapping() -> Mapping:
    """Files named after their table, columns named as in the contract."""
    rules = tuple(
        FileRule(f"{table.source}/{table.name}*", table) for table in raw_tables().values()
    )
    return Mapping(rules)

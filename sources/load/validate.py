"""Type and range validation of a staged file against its table's contract, in DuckDB SQL.

The result is a temp table (:attr:`Validated.relation`) with one row per file row:
``_source_row``, every contract column cast to its type, ``_reason`` / ``_columns`` /
``_raw_record`` for rows that fail (null for good rows), ``_repeat_of`` (the row of the first
identical line when the key is derived and this line repeats it) and ``_unchanged`` for rows
that are already in the warehouse as they are (set later by :mod:`sources.load.checks`).

A derived key (``{derive: hash}``) hashes the whole line. Identical lines of one file (two equal
items in a basket, two same-priced orders in the same second) are told apart by their
occurrence: the n-th identical line's key also hashes n, so each is its own order and a reload
of the file gives the same keys. With ``duplicates: quarantine`` the repeats are quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sources.contract import Column
from sources.load.ddl import quote
from sources.load.discover import Export
from sources.load.mapping import ColumnSpec
from sources.load.read import Staged, first_line, literal, raw_name
from sources.load.report import LoadError
from sources.load.rules import FormatRule, RangeRule, format_rule, range_rule

if TYPE_CHECKING:
    import duckdb

TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n")
_INTEGER_TYPES = ("integer", "bigint", "smallint", "int", "int4", "int8")
_INTEGER_SOURCES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
_NUMBER_SOURCES = (*_INTEGER_SOURCES, "UBIGINT", "HUGEINT", "DECIMAL", "DOUBLE", "FLOAT")
#: Parquet types a contract type can be read from (VARCHAR always can).
_COMPATIBLE = {
    "integer": _NUMBER_SOURCES,
    "bigint": _NUMBER_SOURCES,
    "smallint": _NUMBER_SOURCES,
    "numeric": _NUMBER_SOURCES,
    "double": _NUMBER_SOURCES,
    "timestamp": ("TIMESTAMP", "DATE"),
    "date": ("DATE", "TIMESTAMP"),
    "boolean": ("BOOLEAN", *_INTEGER_SOURCES),
}
_SHOWN_CHARS = 200
_OFFSET = r"([+-]\d\d(:?\d\d)?|Z)$"


@dataclass(frozen=True)
class Validated:
    """A file validated into the temp table ``relation``."""

    relation: str
    rows_read: int
    extra_columns: tuple[str, ...]
    #: The rule's policy for identical lines when the file has a derived key, else None.
    duplicates: str | None = None


def _base(data_type: str) -> str:
    return data_type.split("(")[0].strip().lower()


def _prefix(name: str) -> str:
    return literal('column "' + name + '": ')


def _localize(expr: str, zone: str) -> str:
    return expr if zone == "UTC" else f"cast(timezone({literal(zone)}, {expr}) as timestamp)"


def _time_expr(value: str, spec: ColumnSpec, base: str) -> str:
    if spec.formats:
        parsed = [
            f"cast(try_strptime({value}, {literal(fmt)}) as timestamp)"
            if "%z" in fmt
            else _localize(f"try_strptime({value}, {literal(fmt)})", spec.timezone)
            for fmt in spec.formats
        ]
        expr = parsed[0] if len(parsed) == 1 else f"coalesce({', '.join(parsed)})"
    elif spec.timezone == "UTC":  # an explicit offset is honoured; naive means UTC
        expr = (
            f"coalesce(cast(try_cast({value} as timestamptz) as timestamp), "
            f"try_cast({value} as timestamp))"
        )
    else:
        expr = (
            f"case when regexp_matches({value}, {literal(_OFFSET)}) "
            f"then cast(try_cast({value} as timestamptz) as timestamp) "
            f"else {_localize(f'try_cast({value} as timestamp)', spec.timezone)} end"
        )
    return f"cast({expr} as date)" if base == "date" else expr


def _number_text(value: str, spec: ColumnSpec) -> str:
    if spec.decimal_separator != ",":
        return value
    grouped = literal(r"^-?\d{1,3}(\.\d{3})+(,\d*)?$")
    return (
        f"case when contains({value}, '.') and not regexp_matches({value}, {grouped}) then null "
        f"else replace(replace({value}, '.', ''), ',', '.') end"
    )


def _cast(column: Column, spec: ColumnSpec, raw: str, source_type: str) -> tuple[str, str]:
    """SQL for the typed value and for the ``value`` the null/blank test looks at."""
    dtype = column.data_type
    base = _base(dtype)
    if source_type.upper() != "VARCHAR":
        if base == "timestamp":
            typed = f"cast({raw} as timestamp)"
            return (
                _localize(typed, spec.timezone) if "TIME ZONE" not in source_type else typed
            ), raw
        if base == "varchar":
            return f"cast({raw} as varchar)", raw
        return f"try_cast({raw} as {dtype})", raw
    value = f"nullif(trim({raw}), '')"
    if base == "varchar":
        return f"case when trim({raw}) = '' then null else {raw} end", value
    if base == "boolean":
        trues = ", ".join(literal(word) for word in TRUE_WORDS)
        falses = ", ".join(literal(word) for word in FALSE_WORDS)
        return (
            f"case when lower({value}) in ({trues}) then true "
            f"when lower({value}) in ({falses}) then false end"
        ), value
    if base in ("timestamp", "date"):
        return _time_expr(value, spec, base), value
    return f"try_cast({_number_text(value, spec)} as {dtype})", value


def _range_check(column: Column, rule: RangeRule, cast: str) -> str:
    """``when ... then reason`` branches for a value outside ``rule``."""
    name = column.name.replace('"', '\\"')
    shown = f"cast({cast} as varchar)"
    branches = []
    for bound, op, words in ((rule.minimum, "<", "below"), (rule.maximum, ">", "above")):
        if bound is None:
            continue
        if isinstance(bound, datetime):
            sql_bound = f"timestamp {literal(bound.isoformat(sep=' ', timespec='seconds'))}"
            text = (
                "in the future (after the load time + 24h)"
                if op == ">"
                else f"before {bound:%Y-%m-%d}"
            )
        else:
            sql_bound = str(bound)
            allowed = (
                f"{rule.minimum}..{rule.maximum}"
                if rule.maximum is not None
                else f">= {rule.minimum}"
            )
            text = "negative" if (bound == 0 and op == "<") else f"{words} {bound}"
            text = f"{text} (a {rule.kind} must be {allowed})"
        branches.append(
            f"when {cast} {op} {sql_bound} then "
            f"{_prefix(name)} || {shown} || {literal(' is ' + text)}"
        )
    return " ".join(branches)


def _format_check(column: Column, rule: FormatRule, cast: str) -> str:
    """``when ... then reason`` for an identifier that does not have its shape."""
    name = column.name.replace('"', '\\"')
    value = f"trim({cast})"
    if rule.strip:
        value = f"regexp_replace({value}, {literal(rule.strip)}, '', 'g')"
    return (
        f"when {cast} is not null and not regexp_full_match({value}, {literal(rule.pattern)}) "
        f"then {_prefix(name)} || to_json(left({cast}, {_SHOWN_CHARS})) "
        f"|| {literal(' is not a valid ' + name + ' (' + rule.description + ')')}"
    )


def _check(
    column: Column, raw: str, value: str, cast: str, source_type: str, loaded_at: datetime
) -> str:
    base = _base(column.data_type)
    name = column.name.replace('"', '\\"')
    invalid = f"{cast} is null"
    if base in _INTEGER_TYPES and source_type.upper() not in _INTEGER_SOURCES:
        # try_cast rounds 12.5 to 13: a fractional value is not a valid integer.
        invalid += f" or try_cast({value} as double) is distinct from {cast}"
    if base == "varchar":
        invalid += f" or contains({cast}, chr(0))"
        bad = literal(f'column "{name}": value contains a NUL character')
    else:
        shown = raw if source_type.upper() == "VARCHAR" else f"cast({raw} as varchar)"
        bad = (
            f"{_prefix(name)} || to_json(left({shown}, {_SHOWN_CHARS})) "
            f"|| {literal(' is not a valid ' + column.data_type)}"
        )
    missing = literal(f'column "{name}": required value is missing')
    required = f"when {value} is null then {missing} " if column.required else ""
    rule = range_rule(column, loaded_at)
    ranges = _range_check(column, rule, cast) if rule else ""
    shape = format_rule(column)
    if shape:
        ranges += " " + _format_check(column, shape, cast)
    return f"case {required}when {value} is not null and ({invalid}) then {bad} {ranges} end"


def _derived_key(raws: list[str], column: Column, count_occurrence: bool) -> str:
    """A stable key from the line's values (and its occurrence among identical lines)."""
    parts = ", ".join(f"coalesce({raw}::varchar, chr(0))" for raw in raws)
    line = f"concat_ws(chr(31), {parts})"
    if count_occurrence:  # the first occurrence keeps the plain hash of earlier loads
        line += (
            " || case when _occurrence > 1 then chr(30) || cast(_occurrence as varchar) else '' end"
        )
    digest = f"md5({line})"
    if _base(column.data_type) in _INTEGER_TYPES:
        return f"cast('0x' || left({digest}, 15) as {column.data_type})"
    return digest


def _lines(relation: str, raws: list[str], derived: bool) -> str:
    """The staged rows with each line's occurrence among identical lines and the first's row."""
    if not derived:
        return f"select *, 1 as _occurrence, cast(null as bigint) as _first_row from {relation}"
    return (
        "select *, row_number() over same_line as _occurrence, "
        f"first_value(_source_row) over same_line as _first_row from {relation} "
        f"window same_line as (partition by {', '.join(raws)} order by _source_row)"
    )


def _repeat_check(export: Export, column: str) -> str:
    prefix = literal(f'column "{column}": identical line: row ')
    middle = literal(f" of {export.source_file} repeats row ")
    suffix = literal(
        f" exactly (no {column} in the file tells them apart; duplicates: quarantine keeps "
        "the first)"
    )
    return (
        f"case when _occurrence > 1 then {prefix} || cast(_source_row as varchar) || {middle} "
        f"|| cast(_first_row as varchar) || {suffix} end"
    )


def _check_schema(export: Export, staged: Staged, column: Column, position: int) -> None:
    source_type = staged.types[position].upper()
    allowed = _COMPATIBLE.get(_base(column.data_type))
    if source_type == "VARCHAR" or allowed is None or source_type.startswith(allowed):
        return
    raise LoadError(
        f"{export.source_file}: column {staged.names[position]!r} is {source_type} in the file "
        f"but {export.table.key}.{column.name} is {column.data_type} (wrong schema)"
    )


@dataclass(frozen=True)
class ValidationQuery:
    """The select that casts and checks a staged file: one row per staged row, the columns of
    :attr:`Validated.relation`."""

    sql: str
    extra_columns: tuple[str, ...]
    duplicates: str | None


def validate_staged(
    connection: duckdb.DuckDBPyConnection,
    export: Export,
    staged: Staged,
    relation: str,
    loaded_at: datetime,
) -> Validated:
    """Cast and check every contract column; build the temp table ``relation``."""
    import duckdb

    query = validation_query(export, staged, loaded_at)
    try:
        connection.execute(f"create or replace temp table {relation} as {query.sql}")
        counts = connection.execute(f"select count(*) from {relation}").fetchone()
    except duckdb.Error as error:
        raise LoadError(f"{export.source_file}: {first_line(error)}") from None
    assert counts is not None
    return Validated(relation, int(counts[0]), query.extra_columns, query.duplicates)


def validation_query(export: Export, staged: Staged, loaded_at: datetime) -> ValidationQuery:
    """The casts and checks of every contract column over ``staged`` (a missing required
    column or a wrong Parquet type is a :class:`LoadError`)."""
    table = export.table
    positions = {name.lower(): i for i, name in enumerate(staged.names)}
    casts, checks, outputs, flagged, used = [], [], [], [], set()
    raws = [raw_name(i) for i in range(len(staged.names))]
    policy = export.rule.duplicates
    derived = [
        column.name
        for column in table.columns
        if (spec := export.rule.spec(column.name)) and spec.derive
    ]
    for index, column in enumerate(table.columns):
        spec = export.rule.spec(column.name)
        out = f'"__c{index}"'
        outputs.append(f"{out} as {quote(column.name)}")
        position = positions.get(spec.source.lower()) if spec and spec.source else None
        if spec and spec.derive:
            casts.append(f"{_derived_key(raws, column, policy == 'keep')} as {out}")
            continue
        if spec and spec.value is not None:
            raw, source_type = literal(spec.value), "VARCHAR"
        elif position is not None:
            raw, source_type = raws[position], staged.types[position]
            _check_schema(export, staged, column, position)
            used.add(position)
        elif column.required:
            wanted = spec.source if spec and spec.source else column.name
            raise LoadError(
                f"{export.source_file}: line 1: required column {wanted!r} "
                f"({table.key}.{column.name}) is missing"
            )
        else:
            casts.append(f"cast(null as {column.data_type}) as {out}")
            continue
        assert spec is not None
        expr, value = _cast(column, spec, raw, source_type)
        casts.append(f"{expr} as {out}")
        checks.append(f'{_check(column, raw, value, out, source_type, loaded_at)} as "__e{index}"')
        flagged.append((f'"__e{index}"', column.name))
    if derived and policy == "quarantine":
        checks.append(f'{_repeat_check(export, derived[0])} as "__repeat"')
        flagged.append(('"__repeat"', derived[0]))
    errors = [error for error, _ in flagged]
    reason = f"nullif(concat_ws('; ', {', '.join(errors)}), '')" if errors else "null"
    columns = (
        "nullif(concat_ws(', ', "
        + ", ".join(
            f"case when {error} is not null then {literal(name)} end" for error, name in flagged
        )
        + "), '')"
        if flagged
        else "null"
    )
    record = ", ".join(
        f"{literal(name)}: {raw}" for name, raw in zip(staged.names, raws, strict=True)
    )
    extra = tuple(name for i, name in enumerate(staged.names) if i not in used)
    sql = (
        f"with lines as ({_lines(staged.relation, raws, bool(derived))}), "
        f"casted as (select _source_row, _occurrence, _first_row, {', '.join(raws)}, "
        f"{', '.join(casts)} from lines), "
        f"checked as (select *{''.join(', ' + check for check in checks)} from casted) "
        f"select _source_row, {', '.join(outputs)}, cast({reason} as varchar) as _reason, "
        f"cast({columns} as varchar) as _columns, "
        f"case when {reason} is not null then cast(to_json({{{record}}}) as varchar) end "
        f"as _raw_record, case when _occurrence > 1 then _first_row end as _repeat_of, "
        f"false as _unchanged from checked"
    )
    return ValidationQuery(sql, extra, policy if derived else None)

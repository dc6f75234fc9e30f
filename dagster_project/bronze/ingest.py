"""Type a landing file per its contract, split off rejects, and write bronze Parquet.

Where the files go: ``bronze.layout``.

A landing file is identified by its content hash: re-dropping an identical file
finds its Parquet already there and changes nothing; a replaced file (same
name, new bytes) replaces its Parquet.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

import polars as pl

from dagster_project.bronze import layout
from dagster_project.bronze.hash_cache import cached_sha256, load_hash_cache, save_hash_cache, sha256_of
from dagster_project.bronze.readers import EXTRA, ROW_NUMBER, UnreadableFile, read_landing_file
from dagster_project.rules import parsing
from sources.contracts import TIMESTAMP_TYPES, Column, Contract, Limits, load_contracts

# (bronze rows, rejects, contract) -> (rows kept, rejects kept, rows erased): the deny-list of
# erased persons, applied before a file's Parquet is written (privacy.erasure.DenyFilter).
DenyFilter = Callable[[pl.DataFrame, pl.DataFrame, Contract], tuple[pl.DataFrame, pl.DataFrame, int]]

REJECT_SCHEMA = {
    "source": pl.String,
    "source_file": pl.String,
    "row_number": pl.Int64,
    "column_name": pl.String,
    "raw_value": pl.String,
    "reason": pl.String,
    "_export_date": pl.Date,
}
UTC_TS = pl.Datetime("us", "UTC")
# The latest time a row may carry, as a column type_file adds (from the file's export date).
LATEST_TIME = "__latest_time"
# Without an export date (a file typed on its own) times are bounded by this instead.
NO_EXPORT_DATE_LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
EXPORT_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# Polars type of each logical bronze column type (Contract.bronze_columns).
POLARS_TYPES = {
    "text": pl.String,
    "int": pl.Int64,
    "decimal": pl.Decimal(18, 2),
    "timestamp": UTC_TS,
    "date": pl.Date,
    "bool": pl.Boolean,
}


def bronze_schema(contract: Contract) -> dict[str, pl.DataType]:
    """The bronze columns of a source, in order (Contract.bronze_columns; sources/README.md)."""
    return {col.name: POLARS_TYPES[col.type] for col in contract.bronze_columns}


def empty_bronze_frame(contract: Contract) -> pl.DataFrame:
    return pl.DataFrame(schema=bronze_schema(contract))


@dataclass(frozen=True)
class _TypingPlan:
    """Polars expressions that type one contract, built once per contract.

    Three cheap passes instead of one huge expression: clean every text cell
    once, parse the cleaned text, then flag values that did not parse.
    """

    clean: list[pl.Expr]
    parse: list[pl.Expr]
    checks: list[tuple[str, str | pl.Expr, pl.Expr]]  # (column, reason, failed flag)
    output: list[str]


EXCEL_ERROR_REASON = "Excel error value (a formula that failed in the export)"


def _parse_value(col_type: str, text: pl.Expr) -> pl.Expr:
    """The parse rule of a typed value (a cell, or a field inside a JSON list), on cleaned text."""
    if col_type == "int":
        return parsing.parse_int(text, already_clean=True)
    if col_type == "decimal":
        return parsing.parse_yuan(text, already_clean=True)
    if col_type == "timestamp":
        return parsing.parse_beijing_timestamp(text, already_clean=True)
    return parsing.parse_epoch(text, "s" if col_type == "unix_s" else "ms", already_clean=True)


def _or_excel_error(reason: str, flag: pl.Expr, error: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """One check that also fails on an Excel error value, with that as its reason: a flag column
    per cell and check is what typing costs, so an error value shares the flag of another check."""
    return pl.when(error).then(pl.lit(EXCEL_ERROR_REASON)).otherwise(pl.lit(reason)), flag | error


def _value_checks(
    col_type: str,
    text: pl.Expr,
    parsed: pl.Expr,
    limits: Limits,
    allow_negative: bool = False,
) -> list[tuple[str | pl.Expr, pl.Expr]]:
    """(reason, failed flag) of one int, decimal or time value, on cleaned text: the same rules for
    a cell and for a field inside a JSON list. An Excel error value is its own reason, never also
    unparseable (it never parses)."""
    unparseable = text.is_not_null() & parsed.is_null()
    error = parsing.is_excel_error(text, already_clean=True)
    if col_type == "int":
        return [_or_excel_error("not an integer", unparseable, error)]
    if col_type == "decimal":
        checks = [_or_excel_error("not a yuan amount", unparseable, error)]
        if not allow_negative:
            checks.append(("negative amount", parsed < 0))
        checks.append((f"amount above {limits.max_amount} yuan", parsed.abs() > limits.max_amount))
        return checks
    earliest = dt.datetime.combine(limits.earliest_time, dt.time(), tzinfo=parsing.BEIJING_TZ).astimezone(
        dt.UTC
    )
    return [
        _or_excel_error(f"unparseable {col_type.replace('_', ' ')}", unparseable, error),
        (f"timestamp before {limits.earliest_time.isoformat()}", parsed < earliest),
        (
            f"timestamp more than {limits.days_after_export} day(s) after the export date",
            parsed >= pl.col(LATEST_TIME),
        ),
    ]


def _reason(reason: str | pl.Expr) -> pl.Expr:
    return reason if isinstance(reason, pl.Expr) else pl.lit(reason)


@cache
def _typing_plan(contract: Contract) -> _TypingPlan:
    clean, parse, checks = [], [], []
    limits = contract.limits
    for col in contract.columns:
        name, text = col.name, pl.col(col.name)
        clean.append(parsing.clean_text(text).alias(name))
        parsed = pl.col(f"__typed__{name}")
        # An Excel error value is a reject in text, id and phone columns too: #N/A is no name, and
        # as a buyer name, id or phone it would join every row holding it. JSON lists are checked
        # entry by entry (_json_item_rejects).
        error = parsing.is_excel_error(text, already_clean=True)
        too_long = (
            f"cell longer than {limits.max_cell_chars} characters",
            text.str.len_chars() > limits.max_cell_chars,
        )
        if col.type in ("text", "phone"):
            checks.append((name, *_or_excel_error(*too_long, error)))
        elif col.type not in ("json", "id"):  # JSON lists are legitimately long; ids have their own bound
            checks.append((name, *too_long))
        if col.type in ("text", "json"):
            parse.append(text.alias(f"__typed__{name}"))
        elif col.type == "id":
            parse.append(parsing.clean_id(text, already_clean=True).alias(f"__typed__{name}"))
            checks.append(
                (
                    name,
                    *_or_excel_error(
                        f"id longer than {limits.max_id_chars} characters",
                        parsed.str.len_chars() > limits.max_id_chars,
                        error,
                    ),
                )
            )
        elif col.type in ("int", "decimal") or col.type in TIMESTAMP_TYPES:
            parse.append(_parse_value(col.type, text).alias(f"__typed__{name}"))
            checks += [
                (name, reason, flag)
                for reason, flag in _value_checks(col.type, text, parsed, limits, col.allow_negative)
            ]
        elif col.type == "phone":
            parse += [
                text.alias(f"__typed__{name}"),
                parsing.normalize_phone(text, already_clean=True).alias(f"{name}_normalized"),
                parsing.is_masked_phone(text, already_clean=True).alias(f"{name}_is_masked"),
            ]
        else:  # pragma: no cover - contracts are validated on load
            raise ValueError(col.type)
        if col.required:
            required = parsing.clean_id(text, already_clean=True) if col.type == "id" else text
            checks.append((name, "missing required value", required.is_null()))
    output = []
    for col in contract.columns:
        output.append(f"__typed__{col.name}")
        if col.type in TIMESTAMP_TYPES:
            output.append(f"{col.name}_raw")
        elif col.type == "phone":
            output += [f"{col.name}_normalized", f"{col.name}_is_masked"]
    return _TypingPlan(clean, parse, checks, output)


REJECT_COLUMNS = {
    "row_number": pl.Int64,
    "column_name": pl.String,
    "raw_value": pl.String,
    "reason": pl.String,
}


def _json_item_rejects(raw: pl.DataFrame, contract: Contract, latest: dt.datetime) -> pl.DataFrame:
    """Rejects inside the JSON lists whose contract column declares ``items``: a value that is not
    a list, an entry that is not an object, and a typed field that fails its cell rules, each
    named by its JSON path (``follow_user[0].createtime``, 0-based as in jq and DuckDB).

    The lists are split in Python (polars decodes JSON only against a schema and fails on a
    mistyped value; a DuckDB connection per file costs more than these few thousand lines);
    the values are then checked by the cell rules (``_value_checks``) in one polars pass.
    """
    found = [pl.DataFrame(schema=REJECT_COLUMNS)]
    for col in (c for c in contract.columns if c.items):
        names = [field for field, _ in col.items]
        not_lists, not_objects, values = [], [], []
        for row, text in (
            raw.select(ROW_NUMBER, col.name).filter(pl.col(col.name).str.strip_chars() != "").iter_rows()
        ):
            try:
                entries = json.loads(text)
            except ValueError:
                entries = None
            if not isinstance(entries, list):
                not_lists.append((row, col.name, text, "not a JSON list"))
                continue
            for i, entry in enumerate(entries):
                if isinstance(entry, dict):
                    values.append((row, f"{col.name}[{i}]", *(_json_text(entry.get(f)) for f in names)))
                else:
                    entry = json.dumps(entry, ensure_ascii=False)  # as JSON: "1" and 1 differ
                    not_objects.append((row, f"{col.name}[{i}]", entry, "not a JSON object"))
        found += [pl.DataFrame(not_lists + not_objects, schema=REJECT_COLUMNS, orient="row")]
        if not values:
            continue
        checks = _item_checks(col, contract.limits)
        failed = (  # one lazy pass over all fields (shared subexpressions), then only the failures
            pl.DataFrame(
                values,
                schema={"row_number": pl.Int64, "path": pl.String} | dict.fromkeys(names, pl.String),
                orient="row",
            )
            .lazy()
            .with_columns(pl.lit(latest).cast(UTC_TS).alias(LATEST_TIME))
            .with_columns(flag.alias(flag_name) for _, _, flag_name, flag in checks)
            .filter(pl.any_horizontal(flag_name for _, _, flag_name, _ in checks))
            .collect()
        )
        found += [
            failed.filter(pl.col(flag_name)).select(
                "row_number",
                (pl.col("path") + pl.lit(f".{field}")).alias("column_name"),
                pl.col(field).alias("raw_value"),
                _reason(reason).alias("reason"),
            )
            for field, reason, flag_name, _ in checks
            if failed.height
        ]
    return pl.concat([f.cast(REJECT_COLUMNS) for f in found])


@cache
def _item_checks(col: Column, limits: Limits) -> list[tuple[str, str | pl.Expr, str, pl.Expr]]:
    """(field, reason, flag name, flag) of the typed fields of a JSON list's objects."""
    checks = []
    for item, item_type in col.items:
        text = parsing.clean_text(pl.col(item))
        for reason, flag in _value_checks(item_type, text, _parse_value(item_type, text), limits):
            checks.append((item, reason, f"__fail__{len(checks)}", flag.fill_null(False)))
    return checks


def _json_text(value) -> str | None:
    """A JSON value as the text a cell would hold: strings as they are, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class FileResult:
    source_file: str
    export_date: dt.date
    rows: int
    rejects: int
    encoding: str
    skipped: bool = False  # already in bronze with the same content
    erased: int = 0  # rows of erased persons dropped (deny-list, dagster_project/privacy/erasure.py)
    bronze_path: Path | None = None  # the Parquet written (None when skipped)
    unmapped_headers: list[str] = field(default_factory=list)


def latest_time(export_date: dt.date | None, contract: Contract) -> dt.datetime:
    """The first instant a row of this export may not carry: midnight Beijing after the tolerance."""
    if export_date is None:
        return NO_EXPORT_DATE_LATEST
    day = export_date + dt.timedelta(days=contract.limits.days_after_export + 1)
    return dt.datetime.combine(day, dt.time(), tzinfo=parsing.BEIJING_TZ).astimezone(dt.UTC)


def type_file(
    raw: pl.DataFrame,
    contract: Contract,
    export_date: dt.date | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split an all-text contract frame into (typed good rows, rejects).

    A row with any bad value (a cell, or a field inside a JSON list) is rejected whole, with
    one reject per bad value; every other row of the file loads."""
    plan = _typing_plan(contract)
    latest = latest_time(export_date, contract)
    nested = _json_item_rejects(raw, contract, latest) if any(c.items for c in contract.columns) else None
    timestamp_raw = [
        pl.col(c.name).alias(f"{c.name}_raw") for c in contract.columns if c.type in TIMESTAMP_TYPES
    ]
    # a check on a null value is not a failure (null comparisons would otherwise drop the row from both sides)
    flags = [flag.fill_null(False).alias(f"__fail__{i}") for i, (_, _, flag) in enumerate(plan.checks)]
    bad_inside = (  # rows with a bad value inside a JSON list
        pl.col(ROW_NUMBER).is_in(nested["row_number"].unique().implode())
        if nested is not None and nested.height
        else pl.lit(False)
    )
    nested = pl.DataFrame(schema=REJECT_COLUMNS) if nested is None else nested
    # lazy: eager evaluation would skip common-subexpression elimination
    flagged = (
        raw.lazy()
        .with_columns(*plan.clean, pl.lit(latest).cast(UTC_TS).alias(LATEST_TIME))
        .with_columns(timestamp_raw)
        .with_columns(plan.parse)
        .with_columns(flags)
        .with_columns(
            pl.any_horizontal(*(pl.col(f"__fail__{i}") for i in range(len(flags))), bad_inside).alias("__bad")
        )
        .collect()
    )
    renames = {f"__typed__{c.name}": c.name for c in contract.columns}
    good = flagged.filter(~pl.col("__bad")).select(ROW_NUMBER, *plan.output, EXTRA).rename(renames)
    bad = flagged.filter(pl.col("__bad"))
    parts = [
        bad.filter(pl.col(f"__fail__{i}")).select(
            pl.col(ROW_NUMBER).alias("row_number"),
            pl.lit(column).alias("column_name"),
            _reason(reason).alias("reason"),
        )
        for i, (column, reason, _) in enumerate(plan.checks)
    ]
    if not parts or not bad.height:
        return good, nested.with_columns(pl.col("raw_value").str.slice(0, 500))
    # The value as exported (not the cleaned one) goes into the rejects.
    originals = (
        raw.filter(pl.col(ROW_NUMBER).is_in(bad[ROW_NUMBER].implode()))
        .select(ROW_NUMBER, *[c.name for c in contract.columns])
        .unpivot(index=ROW_NUMBER, variable_name="column_name", value_name="raw_value")
        .rename({ROW_NUMBER: "row_number"})
    )
    cells = pl.concat(parts).join(originals, on=["row_number", "column_name"], how="left")
    rejects = pl.concat([cells.select(list(REJECT_COLUMNS)).cast(REJECT_COLUMNS), nested])
    return good, rejects.with_columns(pl.col("raw_value").str.slice(0, 500))


def landing_files(landing_root: Path, contract: Contract) -> tuple[list[tuple[Path, dt.date]], list[str]]:
    """The files of a source to read, and problems with the folder layout (named, not fatal)."""
    source_dir = landing_root / contract.source
    files, problems = [], []
    if not source_dir.is_dir():
        return files, problems
    for date_dir in sorted(source_dir.iterdir()):
        if not date_dir.is_dir() or not EXPORT_DATE_DIR.match(date_dir.name):
            problems.append(
                f"{date_dir.relative_to(landing_root)}: not an export-date folder (YYYY-MM-DD); ignored"
            )
            continue
        try:
            export_date = dt.date.fromisoformat(date_dir.name)
        except ValueError:
            problems.append(f"{date_dir.relative_to(landing_root)}: not a calendar date; ignored")
            continue
        for path in sorted(date_dir.iterdir()):
            if path.name.startswith((".", "~$")):  # editor/Excel lock files
                continue
            if path.is_file() and any(fnmatch(path.name.lower(), p) for p in contract.file_patterns):
                files.append((path, export_date))
            else:
                problems.append(
                    f"{path.relative_to(landing_root)}: not a {contract.source} export file; ignored"
                )
    return files, problems


def ingest_file(
    path: Path,
    export_date: dt.date,
    landing_root: Path,
    bronze_root: Path,
    contract: Contract,
    loaded_at: dt.datetime,
    full_refresh: bool = False,
    deny: DenyFilter | None = None,
    sha: str | None = None,
) -> FileResult:
    """Ingest one landing file unless its exact content is already in bronze."""
    source_file = path.relative_to(landing_root).as_posix()
    sha = sha or sha256_of(path)
    name = f"{path.name}__{sha[:12]}.parquet"
    good_dir = layout.partition_dir(layout.rows_dir(bronze_root, contract.source), export_date)
    reject_dir = layout.partition_dir(layout.rejects_dir(bronze_root, contract.source), export_date)
    target = good_dir / name
    if target.exists() and not full_refresh:
        return FileResult(source_file, export_date, 0, 0, "", skipped=True)

    raw = read_landing_file(path, source_file, contract)
    good, rejects = type_file(raw.frame, contract, export_date)
    lineage = [
        pl.lit(source_file).alias("_source_file"),
        pl.lit(export_date).alias("_export_date"),
        pl.lit(loaded_at).cast(UTC_TS).alias("_loaded_at"),
        pl.lit(sha).alias("_file_sha256"),
    ]
    good = good.with_columns(lineage).select(list(bronze_schema(contract))).cast(bronze_schema(contract))
    all_rejects = (
        pl.concat(
            [
                rejects.with_columns(source=pl.lit(contract.source), source_file=pl.lit(source_file)),
                pl.DataFrame(
                    raw.rejects, schema={k: v for k, v in REJECT_SCHEMA.items() if k != "_export_date"}
                ),
            ],
            how="diagonal_relaxed",
        )
        .with_columns(pl.lit(export_date).alias("_export_date"))
        .select(list(REJECT_SCHEMA))
        .cast(REJECT_SCHEMA)
    )
    erased = 0
    if deny is not None:  # persons erased on request never come back from an old export
        good, all_rejects, erased = deny(good, all_rejects, contract)

    # A replaced landing file (same name, new content) supersedes its old Parquet.
    for directory in (good_dir, reject_dir):
        for stale in directory.glob(f"{glob_escape(path.name)}__*.parquet"):
            stale.unlink()
    write_atomically(all_rejects.sort("row_number", "column_name"), reject_dir / name)
    write_atomically(good, target)  # written last: its presence marks the file as ingested
    return FileResult(
        source_file,
        export_date,
        good.height,
        all_rejects["row_number"].n_unique(),
        raw.encoding,
        unmapped_headers=[h.strip() for h in raw.unmapped_headers],
        bronze_path=target,
        erased=erased,
    )


def glob_escape(name: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", name)


def write_atomically(frame: pl.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    tmp.replace(target)


def remove_partial_writes(bronze_root: Path, source: str) -> None:
    """Delete the temporary Parquet a killed run left behind (never read: not *.parquet).

    Safe because one warehouse-writing run executes at a time (deploy/dagster.yaml)."""
    for root in (layout.rows_dir(bronze_root, source), layout.rejects_dir(bronze_root, source)):
        for partial in root.glob("export_date=*/.*.parquet.tmp"):
            partial.unlink(missing_ok=True)


def ensure_schema_files(bronze_root: Path, contract: Contract) -> None:
    """Zero-row Parquet with the full schema, so dbt sources always find a file."""
    target = layout.schema_file(bronze_root, contract.source)
    expected = empty_bronze_frame(contract)
    if not target.exists() or pl.read_parquet_schema(target) != expected.schema:
        write_atomically(expected, target)
    rejects = layout.rejects_schema_file(bronze_root)
    if not rejects.exists():
        write_atomically(pl.DataFrame(schema=REJECT_SCHEMA), rejects)


@dataclass
class SourceIngestion:
    source: str
    files: list[FileResult]
    unreadable: list[UnreadableFile]
    layout_problems: list[str]

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rejects for f in self.files)

    @property
    def rows_erased(self) -> int:
        return sum(f.erased for f in self.files)


def ingest_source(
    contract: Contract,
    landing_root: Path,
    bronze_root: Path,
    loaded_at: dt.datetime,
    full_refresh: bool = False,
    export_dates: tuple[dt.date, dt.date] | None = None,
    accepted: tuple[dt.date, dt.date] | None = None,
    deny: DenyFilter | None = None,
) -> SourceIngestion:
    """Ingest every new or changed landing file of a source; unreadable files are collected, not fatal here.

    ``deny`` drops the rows of erased persons before anything is written (the privacy
    package's deny-list, ``privacy.erasure.deny_filter``); ``export_dates`` (first, last) limits the run to those export-date folders (a
    Dagster partition range); None reads them all. Folders outside ``accepted`` (the
    dates that are partitions at all) are named as layout problems on every run, since
    no run will ever load them.
    """
    ensure_schema_files(bronze_root, contract)
    remove_partial_writes(bronze_root, contract.source)
    files, problems = landing_files(landing_root, contract)
    problems += unknown_source_folders(landing_root, contract.source, bronze_root)
    if accepted:
        low, high = accepted
        problems += [
            f"{contract.source}/{day.isoformat()}: export date "
            + (f"before FIRST_EXPORT_DATE={low.isoformat()}" if day < low else "in the future")
            + "; not loaded"
            for day in sorted({day for _, day in files})
            if not low <= day <= high
        ]
    if export_dates:
        files = [(path, day) for path, day in files if export_dates[0] <= day <= export_dates[1]]

    def one(path: Path, export_date: dt.date, sha: str) -> FileResult | UnreadableFile:
        try:
            return ingest_file(
                path, export_date, landing_root, bronze_root, contract, loaded_at, full_refresh, deny, sha
            )
        except UnreadableFile as exc:
            return exc

    # Files are independent (each writes its own Parquet). INGEST_WORKERS threads (2 per core, at most
    # 4) keep the cores busy through the single-threaded parts (decoding, Python fallbacks, footers).
    # content hashes are remembered per (size, mtime): an unchanged file is not read again
    hashes = load_hash_cache(bronze_root.parent, contract.source)
    known = dict(hashes)
    with ThreadPoolExecutor(max_workers=ingest_workers()) as pool:
        shas = list(
            pool.map(lambda f: cached_sha256(f[0], f[0].relative_to(landing_root).as_posix(), hashes), files)
        )
        if hashes != known:
            save_hash_cache(bronze_root.parent, contract.source, hashes)
        files, duplicates = _without_copies(files, shas, landing_root)
        problems += duplicates
        outcomes = list(pool.map(lambda f: one(*f), files))
    results = [o for o in outcomes if isinstance(o, FileResult)]
    unreadable = [o for o in outcomes if isinstance(o, UnreadableFile)]
    return SourceIngestion(contract.source, results, unreadable, problems)


def _without_copies(
    files: list[tuple[Path, dt.date]],
    shas: list[str],
    landing_root: Path,
) -> tuple[list[tuple[Path, dt.date, str]], list[str]]:
    """A byte-identical copy of a file in the same export-date folder (dropped twice under two
    names, ``订单报表 (1).csv``) is not loaded again: its rows would be there twice. The file
    dropped first (oldest modification time) is the original; copies are named, not fatal."""
    first: dict[tuple[dt.date, str], Path] = {}
    problems = []
    for (path, day), sha in sorted(
        zip(files, shas, strict=False), key=lambda f: (f[0][0].stat().st_mtime_ns, f[0][0].name)
    ):
        original = first.setdefault((day, sha), path)
        if original is not path:
            problems.append(
                f"{path.relative_to(landing_root).as_posix()}: same content as "
                f"{original.relative_to(landing_root).as_posix()}; not loaded twice"
            )
    kept = [
        (path, day, sha) for (path, day), sha in zip(files, shas, strict=False) if first[(day, sha)] is path
    ]
    return kept, sorted(problems)


def unknown_source_folders(landing_root: Path, source: str, bronze_root: Path | None = None) -> list[str]:
    """Folders of the landing root that are no source (a typo such as ``tmall_order``), named by
    the source they resemble, or by every source when they resemble none. The warehouse's own
    folders (bronze, state), should they sit inside the landing root, are not among them."""
    if not landing_root.is_dir():
        return []
    sources = list(load_contracts())
    problems = []
    for entry in sorted(landing_root.iterdir()):
        if entry.name in sources or entry.name.startswith("."):
            continue
        if bronze_root and (
            bronze_root.resolve().is_relative_to(entry.resolve())
            or entry.resolve() == (bronze_root.parent / "state").resolve()
        ):
            continue
        closest = difflib.get_close_matches(entry.name, sources, n=1, cutoff=0.6)
        if closest and closest[0] != source:
            continue
        hint = f" (did you mean {source}?)" if closest else ""
        problems.append(f"{entry.name}: not a landing source folder{hint}; ignored")
    return problems


def ingest_workers() -> int:
    return int(os.environ.get("INGEST_WORKERS") or min(4, 2 * (os.cpu_count() or 1)))


def read_bronze(bronze_root: Path, source: str) -> pl.LazyFrame:
    """All bronze rows of a source (every export: bronze is history)."""
    pattern = str(layout.rows_dir(bronze_root, source) / layout.DATA_FILES)
    return pl.scan_parquet(pattern, missing_columns="insert", extra_columns="ignore")

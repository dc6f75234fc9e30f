"""Text-to-type rules shared by every landing source, as polars expressions.

Each rule exists exactly once here; the ingestion applies them per contract
column type, the tests exercise them directly. Every function takes and returns
a polars expression over *text* and never raises on bad input: a value that
does not parse becomes null, and the caller decides whether that is a reject
(it was not null before parsing).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

# Full-width digits and punctuation that Chinese exports and hand-typed cells use.
_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)} | {
    "\uff0b": "+",
    "\uff0d": "-",
    "\uff0e": ".",
    "\uff0c": ",",
    "\u3000": " ",
    "\uff1a": ":",
    "\uff0f": "/",
}
# Cell values that mean "nothing" in these exports.
NULL_TOKENS = ["", "——", "—", "--", "-", "/", "null", "NULL", "None", "nan", "N/A", "无"]
TEXT_NULL_TOKENS = ["", "——", "—"]
# What a spreadsheet shows for a formula that failed: Excel's and WPS's codes (an XLSX error
# cell reads as this text, see readers.py, and a CSV re-save writes it), the newer Excel ones,
# Google Sheets' #ERROR! and LibreOffice's Err:5xx. Such a cell lost its value: a reject in
# every column (bronze.py), never a null, an amount of 0 or an identifier shared by every row.
EXCEL_ERRORS = [
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#ERROR!",
] + [f"Err:{code}" for code in range(500, 600)]


def fullwidth_to_ascii(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_many(list(_FULLWIDTH), list(_FULLWIDTH.values()))


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Trim whitespace (tabs and the ideographic space included) and map null tokens to null.

    This runs on every cell of every export, so it is kept to two cheap
    string operations; id-specific cleaning lives in ``clean_id``.
    """
    trimmed = expr.str.strip_chars()  # Unicode White_Space: also \t, \u3000, \u00a0
    return pl.when(~trimmed.is_in(TEXT_NULL_TOKENS)).then(trimmed)


def clean_id(expr: pl.Expr, already_clean: bool = False) -> pl.Expr:
    """An identifier as text: unwrap Excel's ``="..."`` and drop a leading ``'`` text marker."""
    text = expr if already_clean else clean_text(expr)
    unwrapped = (
        pl.when(text.str.starts_with('="') & text.str.ends_with('"'))
        .then(text.str.strip_prefix('="').str.strip_suffix('"'))
        .otherwise(text)
    )
    cleaned = unwrapped.str.strip_chars_start("'").str.strip_chars()
    return pl.when(cleaned != "").then(cleaned)


def _clean(expr: pl.Expr, already_clean: bool) -> pl.Expr:
    return expr if already_clean else clean_text(expr)


def is_excel_error(expr: pl.Expr, already_clean: bool = False) -> pl.Expr:
    """True for a cell holding a spreadsheet error value (``#VALUE!``, ``#N/A``, ...), never null.

    Exact tokens, as every spreadsheet writes them (upper case): one hash lookup per cell,
    cheaper than a pattern on every cell of every export.
    """
    return _clean(expr, already_clean).is_in(EXCEL_ERRORS).fill_null(False)


# Thousands separators only where they belong (``1,299``): ``1,2,3`` is not a number.
_THOUSANDS = r"\d{1,3}(,\d{3}){1,4}"


def parse_int(expr: pl.Expr, already_clean: bool = False) -> pl.Expr:
    """Integers as exported (``12``, ``-3``, ``12.0`` from a spreadsheet, ``1,200``)."""
    text = fullwidth_to_ascii(_clean(expr, already_clean)).str.strip_chars()
    text = pl.when(text.is_in(NULL_TOKENS)).then(None).otherwise(text)
    valid = text.str.contains(rf"^[+-]?({_THOUSANDS}|\d{{1,18}})(\.0+)?$")
    digits = text.str.replace_all(",", "", literal=True).str.replace(r"\.0+$", "")
    return pl.when(valid).then(digits.cast(pl.Int64, strict=False))


def parse_yuan(expr: pl.Expr, already_clean: bool = False) -> pl.Expr:
    """Yuan amounts to DECIMAL(18,2): ``"1,299.00"``, ``¥12``, ``12元``, full-width digits.

    ``——``/``-``/empty are null, never 0. Anything else that is not a plain
    number (``abc``, ``12.3.4``, ``1,2,3``) is null too, so the caller can reject it.
    At most 13 integer digits: exact through the float rounding, and far above any
    real amount (the contracts' limits reject absurd ones with a reason).
    """
    text = fullwidth_to_ascii(_clean(expr, already_clean))
    text = text.str.replace_all(r"[元¥￥]|^RMB|^CNY", "").str.strip_chars()
    text = pl.when(text.is_in(NULL_TOKENS)).then(None).otherwise(text)
    valid = text.str.contains(rf"^[+-]?(({_THOUSANDS}|\d{{1,13}})(\.\d*)?|\.\d+)$")
    number = text.str.replace_all(",", "", literal=True)
    return pl.when(valid).then(
        number.cast(pl.Float64, strict=False).round(2).cast(pl.Decimal(18, 2), strict=False)
    )


# Spreadsheet serial days count from 1899-12-30; accept 1982..2064 only, so a
# stray number is not mistaken for a date.
_EXCEL_EPOCH = pl.datetime(1899, 12, 30)
_EXCEL_SERIAL_RANGE = (30000.0, 60000.0)
# China has not used daylight saving time since 1991, so Beijing wall time is
# UTC+8 for every timestamp we accept (2000 onwards): a fixed offset is exact
# and much cheaper than a time-zone lookup per value.
_BEIJING_OFFSET = pl.duration(hours=8)
BEIJING_TZ = dt.timezone(dt.timedelta(hours=8))


def parse_beijing_timestamp(expr: pl.Expr, already_clean: bool = False) -> pl.Expr:
    """Naive Beijing wall time (or an Excel serial) to a UTC timestamp.

    Accepted: ``YYYY-MM-DD HH:MM[:SS[.fff]]``, ``YYYY/M/D H:MM[:SS]`` (Excel
    re-save), ISO ``T``, a date alone, and Excel serial days. All shapes are
    rewritten to ``YYYY-MM-DD HH:MM:SS`` first so one strptime parses them.
    """
    text = fullwidth_to_ascii(_clean(expr, already_clean))
    canonical = (
        text.str.replace_all("/", "-", literal=True)
        .str.replace("T", " ", literal=True)
        .str.replace_all(r"\b(\d)\b", "0$1")  # unpadded month, day, hour
        .str.replace(r"(:\d{2})\.\d+$", "$1")  # fractional seconds
    )
    length = canonical.str.len_bytes()
    canonical = (
        pl.when(length == 16)
        .then(canonical + ":00")
        .when(length == 10)
        .then(canonical + " 00:00:00")
        .otherwise(canonical)
    )
    wall = canonical.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    serial = pl.when(text.str.contains(r"^\d{5}(\.\d+)?$")).then(text.cast(pl.Float64, strict=False))
    serial = pl.when(serial.is_between(*_EXCEL_SERIAL_RANGE)).then(serial)
    from_serial = _EXCEL_EPOCH + pl.duration(milliseconds=(serial * 86_400_000).round(0).cast(pl.Int64))
    wall = pl.coalesce(wall, from_serial.cast(pl.Datetime("us")))
    return (wall - _BEIJING_OFFSET).dt.replace_time_zone("UTC")


# 9999-12-31 23:59:59 UTC: larger numbers are not times in any calendar a datetime holds.
_LAST_EPOCH_SECOND = 253_402_300_799


def parse_epoch(expr: pl.Expr, unit: str, already_clean: bool = False) -> pl.Expr:
    """Unix seconds (``s``) or milliseconds (``ms``) to a UTC timestamp; 0 and negatives are not times."""
    number = parse_int(expr, already_clean)
    number = pl.when(number.is_between(1, _LAST_EPOCH_SECOND * (1000 if unit == "ms" else 1))).then(number)
    return pl.from_epoch(number, time_unit=unit).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def normalize_phone(expr: pl.Expr, already_clean: bool = False) -> pl.Expr:
    """A phone cell to ``+86`` + 11 digits (mainland) or ``+<cc><digits>`` (other countries).

    Masked numbers (``138****1234``) and anything that is not a phone become
    null: they are kept in the raw column but never join identities.
    """
    text = fullwidth_to_ascii(_clean(expr, already_clean)).str.replace_all(r"[\s\-()'\u00a0]", "")
    mainland = text.str.replace(r"^(\+86|0086|86)(1\d{10})$", "$2")
    is_mainland = mainland.str.contains(r"^1[3-9]\d{9}$")
    foreign = text.str.replace(r"^00", "+")
    is_foreign = foreign.str.contains(r"^\+[1-9]\d{6,14}$") & ~foreign.str.starts_with("+86")
    return pl.when(is_mainland).then(pl.lit("+86") + mainland).when(is_foreign).then(foreign)


def normalize_phone_value(value: str) -> str | None:
    """``normalize_phone`` on one value (an operator's flag, an erasure request, an override row)."""
    return pl.select(normalize_phone(pl.lit(value, dtype=pl.String))).item()


def is_masked_phone(expr: pl.Expr, already_clean: bool = False) -> pl.Expr:
    return _clean(expr, already_clean).str.contains("*", literal=True).fill_null(False)

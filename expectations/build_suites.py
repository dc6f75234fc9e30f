"""Generate ``expectations/<source>.json``: one Great Expectations 1.x suite per landing source.

Two parts make a suite:

* the **derived** part, computed from ``sources/contracts/*.yml`` so it can never drift from
  the bronze schema: the exact column set (contract columns, their ``_raw`` /
  ``_normalized`` / ``_is_masked`` companions, lineage, ``_extra``), not-null on required
  columns and lineage, lineage formats, the export-window check of every timestamp column,
  phone checks for every phone column, JSON-parseable for every json column, and
  uniqueness of the record key within one export file;
* the **hand-written** part, the ``quality:`` section of each contract: id formats (named in
  ``FORMATS`` below or a regex), money columns, ranges, enumerations the landing spec gives,
  cross-column rules and the severity of the uniqueness check.

Every expectation carries ``meta = {"severity": "error" | "warning", "why": "..."}`` (and
GX's own ``severity``: ``critical`` for error, ``warning`` for warning).

Usage (from the repository root)::

    python -m sources.derive           # (re)write the JSON files with every other derived file
    python -m sources.derive --check   # exit 1 if a file differs from its contract
    python expectations/build_suites.py [--check]   # the suites alone

The generator needs only PyYAML (it does not import Great Expectations); the JSON is the
GX 1.x ``ExpectationSuite`` serialisation that ``dagster_project.quality.validation.load_suite`` reads.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXPECTATIONS_DIR = Path(__file__).resolve().parent
REPO_ROOT = EXPECTATIONS_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sources.contracts import (  # noqa: E402 (the repository root is put on sys.path above)
    LINEAGE_COLUMNS,
    TIMESTAMP_TYPES,
    Contract,
    Limits,
    load_contracts,
    load_vocabularies,
)  # noqa: E402

SUITE_FORMAT_VERSION = 1

# Columns validate_bronze adds to the frame before validation (they are not bronze columns).
# `_qc_export_window_end` = end of the export's Beijing day (`_export_date` + 1 day, 00:00
# Asia/Shanghai), as naive UTC like every timestamp handed to GX.
EXPORT_WINDOW_END = "_qc_export_window_end"
DERIVED_COLUMNS = {
    EXPORT_WINDOW_END: "_export_date + 1 day at 00:00 Asia/Shanghai, as naive UTC "
    "(the latest instant an export taken on that Beijing date can contain)",
}

# Timestamps are compared as naive UTC (validate_bronze converts TIMESTAMPTZ to naive UTC).
EARLIEST_TIMESTAMP = f"{Limits().earliest_time.isoformat()}T00:00:00"  # the ingestion's own bound
# When more than half of a timestamp column is outside the export window, the column, not a
# row, is wrong (unit or format mis-parse, wrong date folder): that is an error. Half, not a
# few percent, so that one bad row in a small daily file stays a warning.
TIMESTAMP_ERROR_MOSTLY = 0.5
MAX_YUAN = 1_000_000

# --- id formats ---------------------------------------------------------------------------
# WeChat openid / unionid, WeCom external_userid / chat_id: 28-32 URL-safe base64 characters
# in practice; the bound is loose on purpose.
WX_ID = r"^[A-Za-z0-9_-]{6,64}$"
# Platform order / line ids exported as digits: a `.`, `+` or `E` means Excel or a reader
# turned a long id into a float / scientific notation (2.0345E+18), which silently breaks joins.
DIGITS_ID = r"^\d{6,25}$"
DIGITS_SKU = r"^\d{1,25}$"
# Ids whose shape the platform does not fix (ERP ids, CRM member ids): one token of
# letters, digits, `_` and `-`. Also rejects scientific notation, spaces and Chinese text.
TOKEN_ID = r"^[A-Za-z0-9_-]{1,64}$"
# Ids without a known alphabet (tracking ids, device ids): printable ASCII, no whitespace.
OPAQUE_ID = r"^[!-~]{1,128}$"
# WeCom staff userid (account name chosen by the admin).
WECOM_USERID = r"^[A-Za-z0-9_.@-]{1,64}$"
# E.164: `+` then 8 to 15 digits.
PHONE_E164 = r"^\+\d{8,15}$"
# Mainland numbers are `+86` + 11 digits starting 13-19; other country codes are kept as given
# (any `+` and 8-15 digits not starting 86). No look-ahead: pandas then runs the regex in
# Arrow (RE2) instead of falling back to Python's `re` row by row.
PHONE_PLAUSIBLE = r"^(\+861[3-9]\d{9}|\+([0-79]\d|8[0-57-9])\d{6,13})$"
SHA256_HEX = r"^[0-9a-f]{64}$"

# --- named id formats ----------------------------------------------------------------------
# A contract's ``quality.formats.<column>`` names one of these (``format: wx_id``) or gives its
# own ``regex``.
FORMATS = {
    "wx_id": WX_ID,
    "digits_id": DIGITS_ID,
    "digits_sku": DIGITS_SKU,
    "token_id": TOKEN_ID,
    "opaque_id": OPAQUE_ID,
    "wecom_userid": WECOM_USERID,
}


# --- helpers ------------------------------------------------------------------------------


def _exp(expectation_type: str, severity: str, why: str, **kwargs: Any) -> dict:
    if severity not in ("error", "warning"):
        raise ValueError(f"severity must be error or warning, not {severity!r}")
    return {
        "type": expectation_type,
        "kwargs": kwargs,
        "meta": {"severity": severity, "why": why},
        "severity": "critical" if severity == "error" else "warning",
    }


def _eq(column: str, value: Any) -> dict:
    """A GX 1.x row condition `column == value` (serialised form)."""
    return {"type": "comparison", "column": {"name": column}, "operator": "==", "parameter": value}


def _is_null(column: str) -> dict:
    return {"type": "nullity", "column": {"name": column}, "is_null": True}


def _paid_after(paid: str, created: str) -> dict:
    return _exp(
        "expect_column_pair_values_a_to_be_greater_than_b",
        "warning",
        f"{paid} cannot precede {created} (both Beijing wall time read as UTC; an "
        "Excel re-save drops seconds on both, which keeps the order).",
        column_A=paid,
        column_B=created,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


def bronze_columns(contract: Contract) -> list[str]:
    """Bronze column names of a source, in table order (Contract.bronze_columns)."""
    return [c.name for c in contract.bronze_columns]


def _derived(contract: Contract, rules: dict) -> list[dict]:
    """Everything that follows from the contract alone."""
    source = contract.source
    has_timestamps = any(c.type in TIMESTAMP_TYPES for c in contract.columns)
    derived_cols = [EXPORT_WINDOW_END] if has_timestamps else []
    out = [
        _exp(
            "expect_table_columns_to_match_set",
            "error",
            "Bronze schema derived from the contract (columns, _raw/_normalized/_is_masked "
            "companions, lineage, _extra) plus the helper columns validate_bronze adds "
            f"({', '.join(derived_cols) or 'none'}); a missing or extra column means the "
            "ingestion and the contract have drifted.",
            column_set=bronze_columns(contract) + derived_cols,
            exact_match=True,
        ),
    ]
    for col in contract.required_columns:
        key = "record key" if col.name in contract.record_key else "required column"
        out.append(
            _exp(
                "expect_column_values_to_not_be_null",
                "error",
                f"{col.name} is a {key} of the contract: a row without it must have "
                "gone to audit.rejects, not to bronze.",
                column=col.name,
            )
        )
    for lineage in LINEAGE_COLUMNS:
        out.append(
            _exp(
                "expect_column_values_to_not_be_null",
                "error",
                "Lineage is set by the ingestion on every row; without it a row "
                "cannot be traced or deduplicated (latest export wins).",
                column=lineage,
            )
        )
    out += [
        _exp(
            "expect_column_values_to_match_regex",
            "error",
            "_source_file is <source>/<export_date>/<file> relative to the landing root.",
            column="_source_file",
            regex=rf"^{source}/\d{{4}}-\d{{2}}-\d{{2}}/.+$",
        ),
        _exp(
            "expect_column_values_to_be_between",
            "error",
            "_row_number is the 1-based data row (JSON Lines: line number).",
            column="_row_number",
            min_value=1,
        ),
        _exp(
            "expect_column_values_to_match_regex",
            "error",
            "_file_sha256 is the hex SHA-256 of the landing file (re-drop detection).",
            column="_file_sha256",
            regex=SHA256_HEX,
        ),
    ]
    for col in contract.columns:
        if col.type in TIMESTAMP_TYPES:
            out += _timestamp_checks(col.name)
        elif col.type == "phone":
            out += [
                _exp(
                    "expect_column_values_to_match_regex",
                    "warning",
                    "A normalised phone is E.164 (+86 and 11 digits for the mainland); "
                    "anything else would be a bad identity join key.",
                    column=f"{col.name}_normalized",
                    regex=PHONE_E164,
                ),
                _exp(
                    "expect_column_values_to_match_regex",
                    "warning",
                    "Mainland numbers start 13-19 after +86; others keep their country "
                    "code. An implausible number joins people it should not.",
                    column=f"{col.name}_normalized",
                    regex=PHONE_PLAUSIBLE,
                ),
                _exp(
                    "expect_column_values_to_be_null",
                    "warning",
                    "A masked phone (* inside) is never a join key, so it has no normalised form.",
                    column=f"{col.name}_normalized",
                    row_condition=_eq(f"{col.name}_is_masked", True),
                ),
            ]
        elif col.type == "json":
            out.append(
                _exp(
                    "expect_column_values_to_be_json_parseable",
                    "warning",
                    "Nested lists are kept as JSON text; unparseable text loses "
                    "the nested records (staff, tags, members).",
                    column=col.name,
                )
            )
    # Uniqueness of the record key within one export file.
    out.append(
        _exp(
            "expect_compound_columns_to_be_unique",
            rules["unique"]["severity"],
            "Record key unique within one export file: " + rules["unique"]["why"],
            column_list=list(contract.record_key) + ["_source_file"],
            ignore_row_if="any_value_is_missing",
        )
    )
    return out


def _timestamp_checks(column: str) -> list[dict]:
    return [
        _exp(
            "expect_column_values_to_be_between",
            "warning",
            "Nothing in these exports predates 2000: an earlier value is a row whose "
            "timestamp was mis-parsed (epoch seconds read as ms, an Excel serial).",
            column=column,
            min_value=EARLIEST_TIMESTAMP,
        ),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            "warning",
            "A record cannot be later than the end of the export's Beijing day "
            "(_export_date + 1 day): that row has a mis-read value or its file sits in "
            "the wrong date folder.",
            column_A=EXPORT_WINDOW_END,
            column_B=column,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        _exp(
            "expect_column_values_to_be_between",
            "error",
            "When most of the column predates 2000 the parse itself is wrong (epoch unit, "
            "date format), not a row: the whole column would be garbage downstream.",
            column=column,
            min_value=EARLIEST_TIMESTAMP,
            mostly=TIMESTAMP_ERROR_MOSTLY,
        ),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            "error",
            "When most of the column is after the export day the file sits in the wrong "
            "date folder (which corrupts latest-export-wins) or days and months are swapped: "
            "not a bad row.",
            column_A=EXPORT_WINDOW_END,
            column_B=column,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            mostly=TIMESTAMP_ERROR_MOSTLY,
        ),
    ]


def _hand_written(contract: Contract, rules: dict) -> list[dict]:
    out: list[dict] = []
    for column, spec in rules.get("formats", {}).items():
        regex = FORMATS[spec["format"]] if "format" in spec else spec["regex"]
        out.append(
            _exp(
                "expect_column_values_to_match_regex",
                spec["severity"],
                spec["why"],
                column=column,
                regex=regex,
            )
        )
    for column in rules.get("money", []):
        out.append(
            _exp(
                "expect_column_values_to_be_between",
                "warning",
                f"Yuan amount between 0 and {MAX_YUAN:,}: a negative or huge value "
                "is a refund sign, a fen/yuan mix-up or a shifted column; the row is "
                "kept, so it is a warning.",
                column=column,
                min_value=0,
                max_value=MAX_YUAN,
            )
        )
    for column, spec in rules.get("ranges", {}).items():
        out.append(
            _exp(
                "expect_column_values_to_be_between",
                spec["severity"],
                spec["why"],
                column=column,
                min_value=spec["min"],
                max_value=spec["max"],
            )
        )
    for column, spec in rules.get("enums", {}).items():
        out.append(
            _exp(
                "expect_column_values_to_be_in_set",
                spec["severity"],
                spec["why"],
                column=column,
                value_set=spec["values"]
                if "values" in spec
                else list(load_vocabularies()[spec["vocabulary"]]),
            )
        )
    out += [_expectation(item) for item in rules.get("expectations", [])]
    # Referenced columns must be contract columns (or their companions / lineage).
    allowed = set(bronze_columns(contract)) | set(DERIVED_COLUMNS)
    for exp in out:
        for col in _referenced_columns(exp["kwargs"]):
            if col not in allowed:
                raise ValueError(f"{contract.source}: rule on unknown column {col!r}")
    decimals = {c.name for c in contract.columns if c.type == "decimal"}
    classified = set(rules.get("money", [])) | set(rules.get("ranges", {}))
    if decimals - classified:
        raise ValueError(
            f"{contract.source}: classify decimal columns "
            f"{sorted(decimals - classified)} under quality: money or ranges"
        )
    return out


def _expectation(item: dict) -> dict:
    """One entry of a contract's ``quality.expectations``: ``{paid_after: [paid, created]}``, or
    ``{type, severity, why, kwargs, when}`` with ``when`` = ``{column, equals}`` / ``{column, is_null}``."""
    if "paid_after" in item:
        return _paid_after(*item["paid_after"])
    kwargs = dict(item.get("kwargs", {}))
    when = item.get("when")
    if when:
        kwargs["row_condition"] = (
            _is_null(when["column"]) if when.get("is_null") else _eq(when["column"], when["equals"])
        )
    return _exp(item["type"], item["severity"], item["why"], **kwargs)


def _referenced_columns(kwargs: dict) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    cols += kwargs.get("column_list", [])
    return cols


def build_suite(contract: Contract) -> dict:
    rules = contract.quality
    if "unique" not in rules:
        raise ValueError(
            f"{contract.source}: the contract's quality: section needs unique: {{severity, why}}"
        )
    has_timestamps = any(c.type in TIMESTAMP_TYPES for c in contract.columns)
    return {
        "name": f"bronze.{contract.source}",
        "expectations": _derived(contract, rules) + _hand_written(contract, rules),
        "meta": {
            "source": contract.source,
            "generated_by": "expectations/build_suites.py",
            "suite_format_version": SUITE_FORMAT_VERSION,
            "bronze_columns": bronze_columns(contract),
            "derived_columns": {k: v for k, v in DERIVED_COLUMNS.items() if has_timestamps},
            "record_key": list(contract.record_key),
        },
    }


def build_all(contracts: dict[str, Contract] | None = None) -> dict[str, dict]:
    contracts = load_contracts() if contracts is None else contracts
    return {source: build_suite(contract) for source, contract in contracts.items()}


def render(suite: dict) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2) + "\n"


def suite_path(source: str) -> Path:
    return EXPECTATIONS_DIR / f"{source}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 when a file on disk differs"
    )
    args = parser.parse_args(argv)
    suites = build_all()
    stale = []
    for source, suite in suites.items():
        path, text = suite_path(source), render(suite)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    orphans = sorted(p.name for p in EXPECTATIONS_DIR.glob("*.json") if p.stem not in suites)
    if args.check:
        if stale or orphans:
            print(f"out of date: {stale}; without a contract: {orphans}", file=sys.stderr)
            return 1
        print(f"{len(suites)} suites up to date")
        return 0
    print(
        f"wrote {len(stale)} of {len(suites)} suites"
        + (f"; suites without a contract (delete them): {orphans}" if orphans else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

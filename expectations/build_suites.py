"""Generate ``expectations/<source>.json``: one Great Expectations 1.x suite per landing source.

Two parts make a suite:

* the **derived** part, computed from ``sources/contracts/*.yml`` so it can never drift from
  the bronze schema: the exact column set (contract columns, their ``_raw`` /
  ``_normalized`` / ``_is_masked`` companions, lineage, ``_extra``), not-null on required
  columns and lineage, lineage formats, the export-window check of every timestamp column,
  phone checks for every phone column, JSON-parseable for every json column, and
  uniqueness of the record key within one export file;
* the **hand-written** part, ``RULES`` below: id formats, money columns, enumerations the
  landing spec gives, cross-column rules and the severity of the uniqueness check.

Every expectation carries ``meta = {"severity": "error" | "warning", "why": "..."}`` (and
GX's own ``severity``: ``critical`` for error, ``warning`` for warning).

Usage (from the repository root)::

    python expectations/build_suites.py           # (re)write the JSON files
    python expectations/build_suites.py --check   # exit 1 if a file differs from its rules

The generator needs only PyYAML (it does not import Great Expectations); the JSON is the
GX 1.x ``ExpectationSuite`` serialisation that ``dagster_project.quality.load_suite`` reads.
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

from sources.contracts import LINEAGE_COLUMNS, TIMESTAMP_TYPES, Contract, load_contracts  # noqa: E402

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
EARLIEST_TIMESTAMP = "2000-01-01T00:00:00"
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

ERP_ORDER_SOURCES = ["天猫", "京东", "抖音", "有赞", "小程序", "线下"]


def _fmt(regex: str, severity: str, why: str) -> dict:
    return {"regex": regex, "severity": severity, "why": why}


# --- the hand-written part ----------------------------------------------------------------
# Per source:
#   unique:      severity of "record key unique within one export file"
#   unique_why:  why that severity
#   formats:     column -> regex check (nulls are not checked; not-null is separate)
#   money:       decimal columns holding yuan amounts (range 0..1,000,000, warning)
#   ranges:      column -> (min, max, severity, why) for non-money numbers
#   enums:       column -> (values, severity, why)
#   extra:       any further expectations, as built by `_exp`
# A decimal column that is neither in `money` nor in `ranges` stops the build: a new money
# column in a contract must be classified here.

RULES: dict[str, dict[str, Any]] = {
    "wechat_oa_users": {
        "unique": "warning",
        "unique_why": "A daily or weekly file collects several user/info pulls, so a follower "
        "who followed and then unsubscribed in that period appears twice; the later line wins "
        "(staging orders by _row_number). Many repeats would point at a broken pull.",
        "formats": {
            "openid": _fmt(WX_ID, "error", "Record key: a WeChat openid is URL-safe base64; "
                           "anything else (spaces, quotes, JSON fragments) is a broken pull."),
            "unionid": _fmt(WX_ID, "warning", "Identity key across WeChat apps: a malformed "
                            "unionid joins nothing."),
        },
        "enums": {
            "subscribe": ([0, 1], "warning", "The API documents subscribe as 0 (unsubscribed) "
                          "or 1."),
        },
        "extra": lambda: [
            _exp("expect_column_values_to_not_be_null", "warning",
                 "A subscribed follower (subscribe = 1) always has subscribe_time; only "
                 "unsubscribed users may lack the other fields.",
                 column="subscribe_time", row_condition=_eq("subscribe", 1)),
        ],
    },
    "wechat_mp_users": {
        "unique": "warning",
        "unique_why": "An increment can carry a user twice (registered, then authorised the "
        "phone); the later line wins.",
        "formats": {
            "openid": _fmt(WX_ID, "error", "Record key: a WeChat openid is URL-safe base64."),
            "unionid": _fmt(WX_ID, "warning", "Identity key: a malformed unionid joins "
                            "nothing."),
            "pure_phone_number": _fmt(r"^\d{5,15}$", "warning", "purePhoneNumber is the "
                                      "number without country code: digits only."),
            "country_code": _fmt(r"^\d{1,4}$", "warning", "countryCode is a calling code "
                                 "such as 86 or 852."),
        },
    },
    "wechat_mp_events": {
        "unique": "warning",
        "unique_why": "Tracking events can legitimately arrive twice with the same event_id "
        "(landing spec); duplicates are removed downstream, a spike is worth a look.",
        "formats": {
            "event_id": _fmt(OPAQUE_ID, "error", "Record key: one printable token; whitespace "
                             "or text means the line was not a tracking event."),
            "openid": _fmt(WX_ID, "warning", "Mini-program openid (absent before login)."),
            "share_from": _fmt(WX_ID, "warning", "share_from is the sharer's openid; a "
                               "malformed one breaks referral attribution for that visit."),
            "anonymous_id": _fmt(OPAQUE_ID, "warning", "Device id: one token without "
                                 "whitespace."),
            "event": _fmt(r"^[a-z][a-z0-9_]{0,63}$", "warning", "Event names are snake_case "
                          "(page_view, add_to_cart, purchase...); others are possible but "
                          "should look alike."),
        },
        "money": ["amount"],
        "extra": lambda: [
            _exp("expect_column_values_to_not_be_null", "warning",
                 "anonymous_id is present on every event (landing spec); without it a "
                 "pre-login visit cannot be stitched to its user.", column="anonymous_id"),
            _exp("expect_column_values_to_not_be_null", "warning",
                 "A purchase event carries what was paid for the order; without it the "
                 "mini-program order has no amount unless the ERP has it.",
                 column="amount", row_condition=_eq("event", "purchase")),
            _exp("expect_column_values_to_not_be_null", "warning",
                 "A purchase event carries the mini-program order id that joins the ERP.",
                 column="order_id", row_condition=_eq("event", "purchase")),
        ],
    },
    "wecom_contacts": {
        "unique": "warning",
        "unique_why": "externalcontact/get returns one body per contact, but a file that collects "
        "several pulls repeats a contact a new staff member added; the later line wins.",
        "formats": {
            "external_userid": _fmt(WX_ID, "error", "Record key: a WeCom external_userid is "
                                    "URL-safe base64."),
            "unionid": _fmt(WX_ID, "warning", "Identity key: a malformed unionid joins "
                            "nothing."),
        },
        "enums": {
            "contact_type": ([1, 2], "warning", "type is 1 (WeChat user) or 2 (WeCom user)."),
        },
        "extra": lambda: [
            _exp("expect_column_values_to_be_null", "warning",
                 "Only WeChat users (type 1) have a unionid; one on a WeCom user (type 2) "
                 "means fields were shifted.", column="unionid",
                 row_condition=_eq("contact_type", 2)),
        ],
    },
    "wecom_groups": {
        "unique": "warning",
        "unique_why": "groupchat/get returns one body per group, but a file that collects several "
        "pulls repeats a group that gained members; the later line wins.",
        "formats": {
            "chat_id": _fmt(WX_ID, "error", "Record key: a WeCom chat_id is URL-safe base64."),
            "owner": _fmt(WECOM_USERID, "warning", "The owner is a staff userid (account "
                          "name)."),
        },
    },
    "tmall_orders": {
        "unique": "error",
        "unique_why": "The 订单报表 has one row per order (订单编号).",
        "formats": {
            "order_id": _fmt(DIGITS_ID, "error", "Record key: Tmall 订单编号 is digits; a "
                             "float or scientific notation means the long id was mangled "
                             "and no longer joins the ERP."),
        },
        "money": ["goods_amount", "postage", "total_amount", "paid_amount", "refund_amount"],
        "ranges": {
            "item_quantity": (1, 100_000, "warning", "An order has at least one item."),
        },
        "extra": lambda: [
            _paid_after("paid_at", "created_at"),
            _exp("expect_column_pair_values_a_to_be_greater_than_b", "warning",
                 "总金额 (goods + postage) bounds what the buyer actually paid.",
                 column_A="total_amount", column_B="paid_amount", or_equal=True,
                 ignore_row_if="either_value_is_missing"),
        ],
    },
    "jd_orders": {
        "unique": "error",
        "unique_why": "One row per order line: (订单号, 商品ID) identifies it; a repeat in one "
        "file would drop a line (and its amount) under latest-export-wins.",
        "formats": {
            "order_id": _fmt(DIGITS_ID, "error", "Record key: JD 订单号 is digits; a float or "
                             "scientific notation means the id was mangled."),
            "sku_id": _fmt(DIGITS_SKU, "error", "Record key: JD 商品ID / 商品编号 is digits."),
        },
        "money": ["line_amount"],
        "ranges": {
            "quantity": (1, 100_000, "warning", "An order line has at least one unit."),
        },
        "extra": lambda: [_paid_after("paid_at", "ordered_at")],
    },
    "douyin_orders": {
        "unique": "warning",
        "unique_why": "The spec asks to deduplicate on 子订单编号: exports can repeat a "
        "sub-order, so a repeat is expected now and then.",
        "formats": {
            "order_id": _fmt(DIGITS_ID, "error", "Douyin 主订单编号 is digits; it carries the "
                             "order's paid amount (sum of sub-orders)."),
            "sub_order_id": _fmt(DIGITS_ID, "error", "Record key: Douyin 子订单编号 is digits."),
            "product_id": _fmt(DIGITS_SKU, "warning", "Douyin 商品ID is digits."),
        },
        "money": ["goods_amount", "payable_amount"],
        "ranges": {
            "quantity": (1, 100_000, "warning", "A sub-order has at least one unit."),
        },
        "extra": lambda: [_paid_after("paid_at", "submitted_at")],
    },
    "youzan_orders": {
        "unique": "error",
        "unique_why": "The Youzan export has one row per order (订单号).",
        "formats": {
            "order_id": _fmt(r"^[A-Za-z0-9]{6,40}$", "error", "Record key: one alphanumeric "
                             "token; spaces, separators or scientific notation break joins."),
        },
        "money": ["paid_amount", "refunded_amount"],
        "extra": lambda: [
            _exp("expect_column_values_to_match_regex", "warning",
                 "Youzan order numbers look like E + 20-odd digits (E20240301123456789012345).",
                 column="order_id", regex=r"^E\d{16,30}$"),
            _paid_after("paid_at", "created_at"),
            _exp("expect_column_pair_values_a_to_be_greater_than_b", "warning",
                 "An order cannot refund more than was paid for it.",
                 column_A="paid_amount", column_B="refunded_amount", or_equal=True,
                 ignore_row_if="either_value_is_missing"),
        ],
    },
    "crm_members": {
        "unique": "error",
        "unique_why": "The CRM member export has one row per member (会员编号).",
        "formats": {
            "member_id": _fmt(TOKEN_ID, "error", "Record key: one token of letters, digits, "
                              "_ and -."),
            "unionid": _fmt(WX_ID, "warning", "Identity key: a malformed unionid joins "
                            "nothing."),
            "email": _fmt(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "warning", "A syntactically valid "
                          "e-mail address."),
        },
    },
    "erp_sales": {
        "unique": "warning",
        "unique_why": "(订单来源, 原始子单号) should identify an out-bound line, but an ERP "
        "splits a sub-order over several shipments now and then; repeats lose a line under "
        "latest-export-wins, so they are reported, but the platform records still win.",
        "formats": {
            "platform_order_id": _fmt(TOKEN_ID, "error", "Record key: 原始单号 joins the "
                                      "platform order; scientific notation or spaces break "
                                      "that join."),
            "platform_sub_order_id": _fmt(TOKEN_ID, "error", "Record key: 原始子单号 is one "
                                          "token."),
            "erp_order_id": _fmt(TOKEN_ID, "warning", "The ERP's own order id."),
        },
        "money": ["unit_price", "allocated_total", "receivable_amount"],
        "ranges": {
            "quantity": (0, 100_000, "warning", "Units on a sales-out line."),
        },
        "enums": {
            "order_source": (ERP_ORDER_SOURCES, "warning", "订单来源 values listed by the "
                             "landing spec; a new platform joins no platform export."),
        },
        "extra": lambda: [
            _paid_after("paid_at", "traded_at"),
            _exp("expect_compound_columns_to_be_unique", "warning",
                 "Fallback record key (订单来源, 原始单号, 商家编码) when 原始子单号 is empty: "
                 "unique within one export file.",
                 column_list=["order_source", "platform_order_id", "merchant_sku",
                              "_source_file"],
                 ignore_row_if="any_value_is_missing",
                 row_condition=_is_null("platform_sub_order_id")),
        ],
    },
    "erp_refunds": {
        "unique": "error",
        "unique_why": "The 退换单 export has one row per refund/return (退换单号).",
        "formats": {
            "refund_id": _fmt(TOKEN_ID, "error", "Record key: 退换单号 is one token."),
            "platform_order_id": _fmt(TOKEN_ID, "warning", "原始单号 joins the refund to its "
                                      "order."),
        },
        "money": ["refund_amount"],
        "enums": {
            "order_source": (ERP_ORDER_SOURCES, "warning", "订单来源 values listed by the "
                             "landing spec."),
            "refund_type": (["退款", "退货", "换货"], "warning", "类型 values listed by the "
                            "landing spec; only 退款 and 退货 count as refunds."),
            "status": (["已完成", "处理中", "已取消"], "warning", "状态 values listed by the "
                       "landing spec; only 已完成 counts."),
        },
        "extra": lambda: [
            _exp("expect_column_values_to_not_be_null", "warning",
                 "A refund joins its order by (订单来源, 原始单号): without 原始单号 it is "
                 "attributed to no order.", column="platform_order_id"),
        ],
    },
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
    return {"type": "comparison", "column": {"name": column}, "operator": "==",
            "parameter": value}


def _is_null(column: str) -> dict:
    return {"type": "nullity", "column": {"name": column}, "is_null": True}


def _paid_after(paid: str, created: str) -> dict:
    return _exp("expect_column_pair_values_a_to_be_greater_than_b", "warning",
                f"{paid} cannot precede {created} (both Beijing wall time read as UTC; an "
                "Excel re-save drops seconds on both, which keeps the order).",
                column_A=paid, column_B=created, or_equal=True,
                ignore_row_if="either_value_is_missing")


def bronze_columns(contract: Contract) -> list[str]:
    """Bronze column names of a source, in table order (see sources/README.md)."""
    names: list[str] = []
    for col in contract.columns:
        names.append(col.name)
        if col.type in TIMESTAMP_TYPES:
            names.append(f"{col.name}_raw")
        if col.type == "phone":
            names += [f"{col.name}_normalized", f"{col.name}_is_masked"]
    return names + list(LINEAGE_COLUMNS) + ["_extra"]


def _derived(contract: Contract, rules: dict) -> list[dict]:
    """Everything that follows from the contract alone."""
    source = contract.source
    has_timestamps = any(c.type in TIMESTAMP_TYPES for c in contract.columns)
    derived_cols = [EXPORT_WINDOW_END] if has_timestamps else []
    out = [
        _exp("expect_table_columns_to_match_set", "error",
             "Bronze schema derived from the contract (columns, _raw/_normalized/_is_masked "
             "companions, lineage, _extra) plus the helper columns validate_bronze adds "
             f"({', '.join(derived_cols) or 'none'}); a missing or extra column means the "
             "ingestion and the contract have drifted.",
             column_set=bronze_columns(contract) + derived_cols, exact_match=True),
    ]
    for col in contract.required_columns:
        key = "record key" if col.name in contract.record_key else "required column"
        out.append(_exp("expect_column_values_to_not_be_null", "error",
                        f"{col.name} is a {key} of the contract: a row without it must have "
                        "gone to audit.rejects, not to bronze.", column=col.name))
    for lineage in LINEAGE_COLUMNS:
        out.append(_exp("expect_column_values_to_not_be_null", "error",
                        "Lineage is set by the ingestion on every row; without it a row "
                        "cannot be traced or deduplicated (latest export wins).",
                        column=lineage))
    out += [
        _exp("expect_column_values_to_match_regex", "error",
             "_source_file is <source>/<export_date>/<file> relative to the landing root.",
             column="_source_file", regex=rf"^{source}/\d{{4}}-\d{{2}}-\d{{2}}/.+$"),
        _exp("expect_column_values_to_be_between", "error",
             "_row_number is the 1-based data row (JSON Lines: line number).",
             column="_row_number", min_value=1),
        _exp("expect_column_values_to_match_regex", "error",
             "_file_sha256 is the hex SHA-256 of the landing file (re-drop detection).",
             column="_file_sha256", regex=SHA256_HEX),
    ]
    for col in contract.columns:
        if col.type in TIMESTAMP_TYPES:
            out += _timestamp_checks(col.name)
        elif col.type == "phone":
            out += [
                _exp("expect_column_values_to_match_regex", "warning",
                     "A normalised phone is E.164 (+86 and 11 digits for the mainland); "
                     "anything else would be a bad identity join key.",
                     column=f"{col.name}_normalized", regex=PHONE_E164),
                _exp("expect_column_values_to_match_regex", "warning",
                     "Mainland numbers start 13-19 after +86; others keep their country "
                     "code. An implausible number joins people it should not.",
                     column=f"{col.name}_normalized", regex=PHONE_PLAUSIBLE),
                _exp("expect_column_values_to_be_null", "warning",
                     "A masked phone (* inside) is never a join key, so it has no "
                     "normalised form.", column=f"{col.name}_normalized",
                     row_condition=_eq(f"{col.name}_is_masked", True)),
            ]
        elif col.type == "json":
            out.append(_exp("expect_column_values_to_be_json_parseable", "warning",
                            "Nested lists are kept as JSON text; unparseable text loses "
                            "the nested records (staff, tags, members).", column=col.name))
    # Uniqueness of the record key within one export file.
    out.append(_exp("expect_compound_columns_to_be_unique", rules["unique"],
                    "Record key unique within one export file: " + rules["unique_why"],
                    column_list=list(contract.record_key) + ["_source_file"],
                    ignore_row_if="any_value_is_missing"))
    return out


def _timestamp_checks(column: str) -> list[dict]:
    return [
        _exp("expect_column_values_to_be_between", "warning",
             "Nothing in these exports predates 2000: an earlier value is a row whose "
             "timestamp was mis-parsed (epoch seconds read as ms, an Excel serial).",
             column=column, min_value=EARLIEST_TIMESTAMP),
        _exp("expect_column_pair_values_a_to_be_greater_than_b", "warning",
             "A record cannot be later than the end of the export's Beijing day "
             "(_export_date + 1 day): that row has a mis-read value or its file sits in "
             "the wrong date folder.", column_A=EXPORT_WINDOW_END, column_B=column,
             or_equal=True, ignore_row_if="either_value_is_missing"),
        _exp("expect_column_values_to_be_between", "error",
             "When most of the column predates 2000 the parse itself is wrong (epoch unit, "
             "date format), not a row: the whole column would be garbage downstream.",
             column=column, min_value=EARLIEST_TIMESTAMP, mostly=TIMESTAMP_ERROR_MOSTLY),
        _exp("expect_column_pair_values_a_to_be_greater_than_b", "error",
             "When most of the column is after the export day the file sits in the wrong "
             "date folder (which corrupts latest-export-wins) or days and months are swapped: "
             "not a bad row.", column_A=EXPORT_WINDOW_END, column_B=column,
             or_equal=True, ignore_row_if="either_value_is_missing",
             mostly=TIMESTAMP_ERROR_MOSTLY),
    ]


def _hand_written(contract: Contract, rules: dict) -> list[dict]:
    out: list[dict] = []
    for column, spec in rules.get("formats", {}).items():
        out.append(_exp("expect_column_values_to_match_regex", spec["severity"], spec["why"],
                        column=column, regex=spec["regex"]))
    for column in rules.get("money", []):
        out.append(_exp("expect_column_values_to_be_between", "warning",
                        f"Yuan amount between 0 and {MAX_YUAN:,}: a negative or huge value "
                        "is a refund sign, a fen/yuan mix-up or a shifted column; the row is "
                        "kept, so it is a warning.",
                        column=column, min_value=0, max_value=MAX_YUAN))
    for column, (low, high, severity, why) in rules.get("ranges", {}).items():
        out.append(_exp("expect_column_values_to_be_between", severity, why,
                        column=column, min_value=low, max_value=high))
    for column, (values, severity, why) in rules.get("enums", {}).items():
        out.append(_exp("expect_column_values_to_be_in_set", severity, why,
                        column=column, value_set=values))
    if "extra" in rules:
        out += rules["extra"]()
    # Referenced columns must be contract columns (or their companions / lineage).
    allowed = set(bronze_columns(contract)) | set(DERIVED_COLUMNS)
    for exp in out:
        for col in _referenced_columns(exp["kwargs"]):
            if col not in allowed:
                raise ValueError(f"{contract.source}: rule on unknown column {col!r}")
    decimals = {c.name for c in contract.columns if c.type == "decimal"}
    classified = set(rules.get("money", [])) | set(rules.get("ranges", {}))
    if decimals - classified:
        raise ValueError(f"{contract.source}: classify decimal columns "
                         f"{sorted(decimals - classified)} in RULES (money or ranges)")
    return out


def _referenced_columns(kwargs: dict) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    cols += kwargs.get("column_list", [])
    return cols


def build_suite(contract: Contract) -> dict:
    rules = RULES[contract.source]
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


def build_all() -> dict[str, dict]:
    contracts = load_contracts()
    missing = set(contracts) - set(RULES)
    unknown = set(RULES) - set(contracts)
    if missing or unknown:
        raise ValueError(f"RULES and contracts differ: no rules for {sorted(missing)}, "
                         f"rules without contract {sorted(unknown)}")
    return {source: build_suite(contract) for source, contract in contracts.items()}


def render(suite: dict) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2) + "\n"


def suite_path(source: str) -> Path:
    return EXPECTATIONS_DIR / f"{source}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 when a file on disk differs")
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
    orphans = sorted(p.name for p in EXPECTATIONS_DIR.glob("*.json")
                     if p.stem not in suites)
    if args.check:
        if stale or orphans:
            print(f"out of date: {stale}; without a contract: {orphans}", file=sys.stderr)
            return 1
        print(f"{len(suites)} suites up to date")
        return 0
    print(f"wrote {len(stale)} of {len(suites)} suites" +
          (f"; suites without a contract (delete them): {orphans}" if orphans else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

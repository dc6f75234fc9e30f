"""Per-file export variants and planted bad rows.

A variant (encoding, CSV vs XLSX, header aliases, Excel re-save, ...) is a pure
function of (seed, source, export index), so the truth can know how a file
renders a record before the file is written. Variants rotate with the export
index, so every quirk shows up in any tree with a handful of dates.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from . import ids

TS_BAD = ["2025-13-45 25:61", "昨天", "下午3点", "2025-00-00 99:99:99", "32/13/2025"]
AMOUNT_BAD = ["abc", "12.3.4", "约100", "1..5", "—5—"]
# A formula that failed in a spreadsheet export (or its CSV re-save): every other bad amount or time of a tabular export.
EXCEL_ERRORS = ["#VALUE!", "#N/A", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


def variant(source: str, x: int, n_exports: int, seed: int) -> dict:
    r = (x + seed) % 60  # rotating patterns: deterministic, covers every combination quickly
    daily = x >= n_exports - 7
    v = {"format": "csv", "encoding": "utf-8", "ts": "std", "spaces": r % 5 == 4, "crlf": False}
    if source.startswith(("wechat", "wecom")):
        v.update(format="jsonl", spaces=False)
    elif source == "tmall_orders":
        # The shop operators re-save the last weeks' reports in Excel (minute precision).
        v.update(
            encoding="utf-8-sig" if r % 5 == 2 else "gbk",
            wrap_ids=r % 2 == 0,
            aliases=r % 3 == 1,
            refund_col=r % 4 != 3,
            crlf=True,
            ts="excel" if x >= n_exports - 10 else "std",
        )
    elif source == "jd_orders":
        v.update(format="xlsx", encoding=None, aliases=r % 3 == 1)
    elif source == "douyin_orders":
        v.update(encoding="utf-8-sig" if r % 2 == 0 else "gbk", influencer=r % 3 != 0)
    elif source == "youzan_orders":
        xl = r % 5 == 1  # XLSX is slow to write: a fifth of the Youzan exports
        v.update(
            format="xlsx" if xl else "csv",
            encoding=None if xl else ("gbk" if r % 3 == 0 else "utf-8-sig"),
            aliases=r % 4 == 2,
            dup_distributor=r % 2 == 1,
        )
    elif source == "crm_members":
        v.update(encoding="utf-8-sig" if r % 2 == 0 else "utf-8")
    elif source == "erp_sales":
        xl = r % 12 == 7  # the occasional ERP export saved as XLSX
        v.update(
            format="xlsx" if xl else "csv",
            encoding=None if xl else ("gbk" if r % 5 < 3 else "utf-8"),
            ts="serial" if xl else ("excel" if daily and r % 2 == 0 else "std"),
            crlf=not xl,
        )
    elif source == "erp_refunds":
        v.update(encoding="gbk" if r % 5 < 3 else "utf-8", crlf=True)
    return v


# --- bad rows -------------------------------------------------------------------------------
# Per source: (reason, bronze column, cell/key to damage). `None` as cell = the JSON line itself.
BAD_OPTIONS = {
    "wechat_oa_users": [
        ("malformed_json", "_line", None),
        ("missing_key", "openid", "openid"),
        ("bad_timestamp", "subscribe_time", "subscribe_time"),
    ],
    "wechat_mp_users": [
        ("malformed_json", "_line", None),
        ("missing_key", "openid", "openid"),
        ("bad_timestamp", "register_time", "register_time"),
    ],
    "wechat_mp_events": [
        ("malformed_json", "_line", None),
        ("missing_key", "event_id", "event_id"),
        ("bad_timestamp", "event_time", "event_time"),
        ("bad_amount", "amount", "amount"),
    ],
    "wecom_contacts": [
        ("malformed_json", "_line", None),
        ("missing_key", "external_userid", "external_contact.external_userid"),
        ("bad_timestamp", "follow_user[0].createtime", "follow_user"),
    ],
    "wecom_groups": [
        ("malformed_json", "_line", None),
        ("missing_key", "chat_id", "group_chat.chat_id"),
        ("bad_timestamp", "create_time", "group_chat.create_time"),
    ],
    "tmall_orders": [
        ("missing_key", "order_id", "order_id"),
        ("bad_timestamp", "paid_at", "paid_at"),
        ("bad_timestamp", "created_at", "created_at"),
        ("bad_amount", "paid_amount", "paid_amount"),
    ],
    "jd_orders": [
        ("missing_key", "order_id", "order_id"),
        ("bad_timestamp", "ordered_at", "ordered_at"),
        ("bad_amount", "line_amount", "line_amount"),
    ],
    "douyin_orders": [
        ("missing_key", "sub_order_id", "sub_order_id"),
        ("bad_timestamp", "paid_at", "paid_at"),
        ("bad_amount", "payable_amount", "payable_amount"),
    ],
    "youzan_orders": [
        ("missing_key", "order_id", "order_id"),
        ("bad_timestamp", "created_at", "created_at"),
        ("bad_amount", "paid_amount", "paid_amount"),
    ],
    "crm_members": [
        ("missing_key", "member_id", "member_id"),
        ("bad_timestamp", "registered_at", "registered_at"),
    ],
    "erp_sales": [
        ("missing_required", "platform_order_id", "platform_order_id"),
        ("bad_timestamp", "paid_at", "paid_at"),
        ("bad_amount", "allocated_total", "allocated_total"),
    ],
    "erp_refunds": [
        ("missing_key", "refund_id", "refund_id"),
        ("bad_timestamp", "created_at", "created_at"),
        ("bad_amount", "refund_amount", "refund_amount"),
    ],
}
# Cells a bad copy gets fresh values for, so it can never stand for (or override) a real record.
FRESH_KEYS = {
    "wechat_oa_users": {"openid": lambda s: '"' + ids.b64_ids(s, "oQmVN5", 22, 2) + '"'},
    "wechat_mp_users": {"openid": lambda s: '"' + ids.b64_ids(s, "o3xYt0", 22, 3) + '"'},
    "wechat_mp_events": {
        "event_id": lambda s: '"' + ids.hex_ids(s, 32, 21) + '"',
        "order_id": lambda s: '"WX20990101' + ids.digit_ids(s, "", 10, 15) + '"',
    },
    "wecom_contacts": {
        "external_contact.external_userid": lambda s: '"' + ids.b64_ids(s, "wmqfasdAAA", 22, 4) + '"'
    },
    "wecom_groups": {"group_chat.chat_id": lambda s: '"' + ids.b64_ids(s, "wrOgQhDgAA", 22, 41) + '"'},
    "tmall_orders": {"order_id": lambda s: ids.digit_ids(s, "2835", 15, 11)},
    "jd_orders": {"order_id": lambda s: ids.digit_ids(s, "29", 10, 12)},
    "douyin_orders": {
        "order_id": lambda s: ids.digit_ids(s, "6928", 15, 13),
        "sub_order_id": lambda s: ids.digit_ids(s, "6929", 15, 17),
    },
    "youzan_orders": {"order_id": lambda s: "E20990101000000" + ids.digit_ids(s, "", 8, 14)},
    "crm_members": {"member_id": lambda s: ids.digit_ids(s, "M", 9, 6)},
    "erp_sales": {
        "erp_order_id": lambda s: ids.digit_ids(s, "XS", 12, 18),
        "platform_order_id": lambda s: ids.digit_ids(s, "BAD", 12, 19),
        "platform_sub_order_id": lambda s: ids.digit_ids(s, "", 15, 20),
    },
    "erp_refunds": {"refund_id": lambda s: ids.digit_ids(s, "TK", 12, 22)},
}


def bad_rows(source: str, part: pl.DataFrame, k: int, start: int, option0: int, rng: np.random.Generator):
    """k damaged copies of random rows of `part`, each bad for exactly one reason.

    Copies get fresh record keys first, so a rejected copy can never stand for (or
    override) a real record. Returns (rows, [(reason, column)]); JSON rows to be
    written as a truncated line carry `_malformed` = true.
    """
    opts = BAD_OPTIONS[source]
    is_json = source.startswith(("wechat", "wecom"))
    src = part[rng.integers(0, part.height, k)].with_row_index("_bad_i")
    seq = np.arange(ids.FRESH_BASE + start, ids.FRESH_BASE + start + k)
    src = src.with_columns(
        **{
            c: pl.when(pl.col(c).is_not_null() & (pl.col(c) != "")).then(f(seq)).otherwise(pl.col(c))
            for c, f in FRESH_KEYS[source].items()
            if c in src.columns
        }
    )
    which = (option0 + np.arange(k)) % len(opts)
    out = []
    for j, (reason, _col, cell) in enumerate(opts):
        sub = src.filter(pl.Series(which == j))
        if sub.height == 0:
            continue
        m = sub.height
        if reason in ("missing_key", "missing_required"):
            vals = [None if is_json and rng.random() < 0.5 else ('""' if is_json else "") for _ in range(m)]
        else:
            pool = TS_BAD if reason == "bad_timestamp" else AMOUNT_BAD
            vals = [pool[v] for v in rng.integers(0, len(pool), m)]
            if not is_json:  # picked without a random draw, so every other planted row stays as it was
                vals = [
                    EXCEL_ERRORS[(start + i) % len(EXCEL_ERRORS)] if (start + i) % 2 == 0 else v
                    for i, v in enumerate(vals)
                ]
            vals = [f'"{v}"' for v in vals] if is_json else vals
        if cell == "follow_user":  # inside the JSON list: the first staff add's createtime
            vals = [
                re.sub(r'"createtime":\d+', lambda _, v=v: '"createtime":' + v, fu, count=1)
                for fu, v in zip(sub["follow_user"], vals, strict=False)
            ]
        if reason == "bad_amount" and source == "wechat_mp_events":  # amounts sit on purchase events
            sub = sub.with_columns(
                event=pl.lit('"purchase"'), order_id=FRESH_KEYS[source]["order_id"](seq[which == j])
            )
        if cell is not None:
            sub = sub.with_columns(pl.Series(cell, vals, dtype=pl.String))
        out.append(sub.with_columns(_malformed=pl.lit(cell is None)))
    rows = pl.concat(out, how="vertical_relaxed").sort("_bad_i").drop("_bad_i")
    return rows, [(opts[j][0], opts[j][1]) for j in which]

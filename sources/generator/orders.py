"""Orders, order lines and refunds: the commerce side of each buyer.

Every order belongs to its buyer's person. Times are epoch ms; platform
exports show whole seconds, mini-program orders keep the purchase event's ms.
Anything that would happen after as-of is censored (-1), so the state at as-of
is the true final state.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import ids
from .population import PLATFORM_P, PLATFORMS
from .timeline import DAY_MS, Timeline

MP = PLATFORMS.index("miniprogram")
OFFLINE = PLATFORMS.index("offline")
UNPAID_P = {"tmall": 0.08, "jd": 0.06, "douyin": 0.10, "youzan": 0.07, "miniprogram": 0.0, "offline": 0.0}
# (name, price in fen): a small cosmetics catalogue
CATALOGUE = [
    ("氨基酸洁面乳120g", 8900),
    ("经典保湿面霜50ml", 29900),
    ("玻尿酸精华液30ml", 45900),
    ("修护爽肤水200ml", 15900),
    ("防晒乳SPF50 60ml", 16800),
    ("眼霜15g", 38800),
    ("面膜10片装", 9900),
    ("卸妆油150ml", 12900),
    ("身体乳250ml", 7900),
    ("护手霜三支装", 5900),
    ("口红经典色", 23000),
    ("气垫粉底", 32900),
    ("洗发水500ml", 6900),
    ("护发精油", 11900),
    ("香水50ml", 89900),
    ("礼盒套装", 129900),
    ("旅行装四件套", 19900),
    ("男士洁面", 7800),
    ("儿童面霜", 6800),
    ("唇膏", 3900),
    ("精华水150ml", 25900),
    ("美白精华", 59900),
    ("抗皱面霜", 79900),
    ("洁面仪", 69900),
    ("化妆棉", 1990),
    ("收纳包", 2990),
]
SKU_CODES = [f"SKU-{1001 + i}" for i in range(len(CATALOGUE))]


def _gaps(rng, k: np.ndarray) -> np.ndarray:
    mean_days = np.clip(160.0 / k, 2.0, 90.0)
    return (rng.exponential(1.0, len(k)) * mean_days * DAY_MS).astype(np.int64)


def simulate(persons: pl.DataFrame, tl: Timeline, seed: int, clean: bool):
    rng = ids.rng_for(seed, "orders")
    b = persons.filter(pl.col("t1") >= 0)
    k = b["k"].to_numpy()
    pid = np.repeat(b["pid"].to_numpy(), k)
    nth = np.arange(len(pid)) - np.repeat(np.cumsum(k) - k, k)  # 0 for each buyer's first order
    gap = np.where(nth == 0, 0, _gaps(rng, np.repeat(k, k)))
    start = np.cumsum(gap)
    start -= np.repeat(start[np.cumsum(k) - k], k)
    t = np.repeat(b["t1"].to_numpy(), k) + start
    reg = np.repeat(b["reg"].to_numpy(), k)
    pref = np.repeat(b["pref"].to_numpy(), k)
    foreign = np.repeat(b["foreign"].to_numpy(), k)
    platform_first = np.repeat((b["c0"] == "platform").to_numpy(), k)

    p = np.where(rng.random(len(t)) < 0.7, pref, rng.choice(len(PLATFORMS), len(t), p=PLATFORM_P))
    alt_w = PLATFORM_P.copy()
    alt_w[MP] = 0
    alt = rng.choice(len(PLATFORMS), len(t), p=alt_w / alt_w.sum())
    mp_ok = (reg >= 0) & (t > reg + 3_600_000)
    p = np.where((p == MP) & ~mp_ok, alt, p)
    p = np.where((nth == 0) & platform_first & (p == MP), alt, p)  # a first order is not on the MP
    p = np.where(foreign, MP, p)
    keep = (t < tl.end_ms) & (~foreign | mp_ok)
    pid, t, p = pid[keep], t[keep], p[keep]
    n = len(t)
    t = np.where(p == MP, t - t % 1000 + rng.integers(0, 1000, n), t - t % 1000)

    # Lines: distinct SKUs per order (ERP falls back to (source, order id, SKU code) as key).
    n_lines = rng.choice([1, 2, 3], n, p=[0.7, 0.22, 0.08])
    oid = np.repeat(np.arange(n), n_lines)
    line_no = np.arange(len(oid)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    first_sku = np.repeat(rng.integers(0, len(CATALOGUE), n), n_lines)
    sku = (first_sku + line_no * np.repeat(rng.integers(1, 8, n), n_lines)) % len(CATALOGUE)
    qty = rng.choice([1, 2, 3], len(oid), p=[0.85, 0.12, 0.03])
    unit = np.array([c[1] for c in CATALOGUE])[sku]
    goods = unit * qty
    disc = np.repeat(rng.choice([0, 5, 10, 15], n, p=[0.5, 0.2, 0.2, 0.1]), n_lines)
    pay = goods - (goods * disc) // 100
    postage = np.where((np.array(PLATFORMS)[p] == "tmall") & (rng.random(n) < 0.1), 1000, 0)
    order_pay = np.bincount(oid, pay, n).astype(np.int64) + postage
    order_goods = np.bincount(oid, goods, n).astype(np.int64)

    unpaid_p = np.array([UNPAID_P[x] for x in PLATFORMS])[p]
    paid = rng.random(n) >= unpaid_p
    at_once = (p == MP) | (p == OFFLINE)  # a purchase event / a till receipt: paid when ordered
    t_paid = np.where(
        paid, np.where(at_once, t, t + 5000 + (rng.exponential(180, n) * 1000).astype(np.int64)), -1
    )
    t_paid -= np.where((t_paid >= 0) & (p != MP), t_paid % 1000, 0)
    t_close = np.where(~paid, t + (rng.uniform(0.02, 1.0, n) * DAY_MS).astype(np.int64), -1)
    t_ship = np.where(p == OFFLINE, t_paid, t_paid + (rng.uniform(0.15, 3, n) * DAY_MS).astype(np.int64))
    t_ship = np.where(paid, t_ship - t_ship % 1000, -1)
    t_done = np.where(paid, t_ship + (rng.uniform(3, 10, n) * DAY_MS).astype(np.int64) * (p != OFFLINE), -1)

    refund = paid & (rng.random(n) < 0.09)
    ref_req = np.where(refund, t_paid + (rng.uniform(0.02, 15, n) * DAY_MS).astype(np.int64), -1)
    ref_req -= np.where(ref_req >= 0, ref_req % 1000, 0)
    ref_done = np.where(refund, ref_req + (rng.uniform(0.05, 5, n) * DAY_MS).astype(np.int64), -1)
    ref_done -= np.where(ref_done >= 0, ref_done % 1000, 0)
    full = refund & ((rng.random(n) < 0.65) | (n_lines == 1) & (np.array(PLATFORMS)[p] == "douyin"))
    before_ship = refund & (ref_req < t_ship)
    full |= before_ship & (p != OFFLINE)  # a refund before shipping cancels the whole order
    t_ship = np.where(before_ship & full, -1, t_ship)
    t_done = np.where(before_ship & full, -1, t_done)
    # Douyin refunds whole sub-orders: a partial one refunds the last line.
    last_line = np.cumsum(n_lines) - 1
    partial_cents = np.where(
        np.array(PLATFORMS)[p] == "douyin",
        pay[last_line],
        np.maximum(100, (order_pay * rng.uniform(0.1, 0.6, n)).astype(np.int64)),
    )
    ref_cents = np.where(refund, np.where(full, order_pay, partial_cents), 0)
    line_refunded = np.repeat(refund & full, n_lines) | np.isin(
        np.arange(len(oid)), last_line[refund & ~full]
    )

    def censor(x):
        return np.where((x >= 0) & (x < tl.end_ms), x, -1)

    t_paid, t_close, t_ship, t_done = censor(t_paid), censor(t_close), censor(t_ship), censor(t_done)
    ref_req, ref_done = censor(ref_req), censor(ref_done)
    ref_done = np.where(ref_req >= 0, ref_done, -1)

    plat = np.array(PLATFORMS)[p]
    seq = np.zeros(n, dtype=np.int64)
    for j, _name in enumerate(PLATFORMS):  # one counter per platform: ids are per platform
        m = p == j
        seq[m] = np.arange(m.sum())
    orders = pl.DataFrame(
        {
            "oid": np.arange(n),
            "pid": pid,
            "platform": plat,
            "seq": seq,
            "t_c": t,
            "t_paid": t_paid,
            "t_close": t_close,
            "t_ship": t_ship,
            "t_done": t_done,
            "ref_req": ref_req,
            "ref_done": ref_done,
            "ref_full": full,
            "ref_cents": ref_cents,
            "pay_cents": order_pay,
            "goods_cents": order_goods,
            "postage": postage,
            "n_lines": n_lines,
            "lost_event": (p == MP) & (rng.random(n) < 0.03),
            "u": rng.random(n),  # a per-order uniform for later choices (gifts, masking, ...)
        }
    )
    orders = orders.with_columns(platform_order_id=_platform_ids(orders))
    lines = pl.DataFrame(
        {
            "oid": oid,
            "line_no": line_no,
            "sku": sku,
            "qty": qty,
            "unit_cents": unit,
            "goods_cents": goods,
            "pay_cents": pay + np.where(line_no == 0, postage[oid], 0),
            "refunded": line_refunded,
            "lid": np.arange(len(oid)),
        }
    )
    return orders, lines


def _platform_ids(o: pl.DataFrame) -> pl.Series:
    """Platform order ids in each platform's own format."""
    seq = o["seq"].to_numpy()
    bj = (o["t_c"] + 8 * 3_600_000).cast(pl.Datetime("ms"))
    forms = {
        "tmall": ids.digit_ids(seq, "2835", 15, 11),
        "jd": ids.digit_ids(seq, "29", 10, 12),
        "douyin": ids.digit_ids(seq, "6928", 15, 13),
        "youzan": "E" + bj.dt.strftime("%Y%m%d%H%M%S") + ids.digit_ids(seq, "", 8, 14),
        "miniprogram": "WX" + bj.dt.strftime("%Y%m%d") + ids.digit_ids(seq, "", 10, 15),
        "offline": ids.digit_ids(seq, "POS", 12, 16),
    }
    out = pl.Series([""] * len(o))
    plat = o["platform"]
    for name, s in forms.items():
        out = pl.select(pl.when(plat == name).then(s).otherwise(out)).to_series()
    return out


def fresh_order_ids(platform: str, n: int, start: int) -> pl.Series:
    """Ids for planted bad rows: same format, index range no real order reaches."""
    seq = np.arange(ids.FRESH_BASE + start, ids.FRESH_BASE + start + n)
    return {
        "tmall": lambda: ids.digit_ids(seq, "2835", 15, 11),
        "jd": lambda: ids.digit_ids(seq, "29", 10, 12),
        "douyin": lambda: ids.digit_ids(seq, "6928", 15, 13),
        "youzan": lambda: "E20990101000000" + ids.digit_ids(seq, "", 8, 14),
    }[platform]()

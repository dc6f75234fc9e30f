"""Back-office sources: the ERP refund/return export (退换单) and the CRM member export."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import ids
from .commerce import ERP_SOURCE, _e, _n
from .timeline import DAY_MS, Timeline

LEVELS = ["普通会员", "银卡会员", "金卡会员", "钻石会员"]


def refunds(o: pl.DataFrame, tl: Timeline, seed: int):
    """ERP 退换单: completed refunds/returns, in-progress ones, exchanges and cancelled requests.

    Returns (frame, per-order sum of completed 退款/退货 amounts in fen).
    """
    rng = ids.rng_for(seed, "refunds")
    r = o.filter(
        (pl.col("ref_req") >= 0)
        & (pl.col("platform").is_in(["jd", "miniprogram", "offline"]) | (pl.col("u2") < 0.8))
    )
    n = r.height
    split = rng.random(n) < 0.1
    over = ~split & (rng.random(n) < 0.01)  # ERP refunded postage compensation too: capped by the rule
    parts = np.where(split, 2, 1)
    idx = np.repeat(np.arange(n), parts)
    rr = r[idx].with_columns(
        part=pl.Series(np.arange(len(idx)) - np.repeat(np.cumsum(parts) - parts, parts)),
        split=pl.Series(split[idx]),
        over=pl.Series(over[idx]),
    )
    half = pl.col("ref_cents") // 2
    rr = rr.with_columns(
        amount=pl.when(~pl.col("split"))
        .then(pl.col("ref_cents") + pl.when("over").then(1000).otherwise(0))
        .when(pl.col("part") == 0)
        .then(half)
        .otherwise(pl.col("ref_cents") - half),
        rtype=pl.when((pl.col("t_ship") < 0) | (pl.col("ref_req") < pl.col("t_ship")))
        .then(pl.lit("退款"))
        .otherwise(pl.lit("退货")),
        created=pl.col("ref_req"),
    )
    rr = rr.with_row_index("rid")
    x_req = tl.export_index(rr["ref_req"].to_numpy())
    x_done = np.where(
        rr["ref_done"].to_numpy() >= 0, tl.export_index(np.maximum(rr["ref_done"].to_numpy(), 0)), -1
    )
    pending = rr.with_columns(_x=pl.Series(x_req), rstatus=pl.lit("处理中")).filter(
        pl.Series(x_done != x_req)
    )
    done = rr.with_columns(_x=pl.Series(x_done), rstatus=pl.lit("已完成")).filter(pl.Series(x_done >= 0))
    # Noise the rule must ignore: exchanges and cancelled requests.
    shipped = o.filter(pl.col("t_ship") >= 0)
    ex = shipped.filter(pl.Series(rng.random(shipped.height) < 0.01)).with_columns(
        created=pl.col("t_ship") + 5 * DAY_MS,
        amount=pl.lit(0, pl.Int64),
        rtype=pl.lit("换货"),
        rstatus=pl.lit("已完成"),
    )
    paid = o.filter(pl.col("t_paid") >= 0)
    ca = paid.filter(pl.Series(rng.random(paid.height) < 0.01)).with_columns(
        created=pl.col("t_paid") + 2 * DAY_MS,
        amount=pl.col("pay_cents") // 3,
        rtype=pl.lit("退款"),
        rstatus=pl.lit("已取消"),
    )
    noise = pl.concat([ex, ca]).filter(pl.col("created") < tl.end_ms)
    noise = noise.with_columns(created=pl.col("created") - pl.col("created") % 1000)
    noise = noise.with_columns(
        _x=pl.Series(tl.export_index(noise["created"].to_numpy())),
        rid=pl.int_range(pl.len(), dtype=pl.UInt32) + rr.height,
    )
    cols = ["_x", "rid", "created", "platform", "platform_order_id", "amount", "rtype", "rstatus", "oid"]
    allr = pl.concat([pending.select(cols), done.select(cols), noise.select(cols)]).sort(
        ["_x", "created", "rid"]
    )
    frame = allr.select(
        "_x",
        _t="created",
        refund_id=ids.digit_ids(allr["rid"].to_numpy(), "TK", 12, 22),
        platform_order_id="platform_order_id",
        order_source=pl.col("platform").replace_strict(ERP_SOURCE),
        refund_type="rtype",
        refund_amount=ids.cents_text(pl.col("amount")),
        created_at="created",
        status="rstatus",
        reason=pl.when(pl.col("rtype") == "换货")
        .then(pl.lit("尺码/色号不合适"))
        .otherwise(pl.lit("七天无理由")),
    )
    sums = (
        done.filter(pl.col("rtype").is_in(["退款", "退货"]))
        .group_by("oid")
        .agg(erp_refund=pl.col("amount").sum())
    )
    return frame, sums


def crm(P: pl.DataFrame, tl: Timeline, seed: int):
    rng = ids.rng_for(seed, "crm")
    m = P.filter(pl.col("crm") >= 0)
    n = m.height
    upd = m["crm"].to_numpy() + 60_000 + (rng.exponential(60, n) * DAY_MS).astype(np.int64)
    upd -= upd % 1000
    again = (rng.random(n) < 0.3) & (upd < tl.end_ms)
    a = pl.concat(
        [
            m.with_columns(
                _t=pl.col("crm"), level=pl.lit(0, pl.Int64), pts=pl.Series(rng.integers(0, 200, n))
            ),
            m.filter(pl.Series(again)).with_columns(
                _t=pl.Series(upd[again]),
                level=pl.Series(rng.integers(1, 4, int(again.sum()))),
                pts=pl.Series(rng.integers(200, 20000, int(again.sum()))),
            ),
        ]
    )
    a = (
        a.with_columns(_x=pl.Series(tl.export_index(a["_t"].to_numpy())))
        .unique(["pid", "_x"], keep="last", maintain_order=True)
        .sort(["_x", "_t", "pid"])
    )
    style = ids.style_choice(rng, a.height, {"plain": 0.8, "spaced": 0.07, "fullwidth": 0.06, "86dash": 0.07})
    show_union = pl.col("bound") & (pl.col("u") < 0.7)
    frame = a.select(
        "_x",
        "_t",
        member_id="crm_id",
        phone=pl.when(pl.col("crm_phone_kind") == "own")
        .then(ids.phone_render(pl.col("phone"), style))
        .when(pl.col("crm_phone_kind") == "none")
        .then(pl.lit(""))
        .otherwise("crm_phone_kind"),
        unionid=pl.when(show_union).then("unionid").otherwise(pl.lit("")),
        name="name",
        gender=pl.col("gender").replace_strict({0: "未知", 1: "男", 2: "女"}),
        birthday=pl.when(pl.col("u") > 0.5).then("birthday").otherwise(pl.lit("")),
        registered_at="crm",
        register_channel="crm_channel",
        member_level=pl.col("level").replace_strict(dict(enumerate(LEVELS))),
        points=pl.col("pts").cast(pl.String),
        email=pl.when(pl.col("u") < 0.2)
        .then(pl.lit("m") + pl.col("crm_id").str.slice(1) + pl.lit("@163.com"))
        .otherwise(pl.lit("")),
        store=pl.lit("上海南京西路店"),
    )
    junk = m.filter(~pl.col("crm_phone_kind").is_in(["own", "none"]))
    own = m.filter(pl.col("crm_phone_kind") == "own").with_columns(norm=pl.lit("+86") + pl.col("phone"))
    un = m.filter(show_union)
    nodes = [
        _n(
            m,
            "crm_member_id",
            "crm_id",
            trap=pl.when(~pl.col("crm_phone_kind").is_in(["own", "none"])).then(pl.lit("junk_phone")),
        ),
        _n(own, "phone", "norm"),
        _n(un, "wx_unionid", "unionid"),
        _n(junk, "phone", pl.lit("+86") + pl.col("crm_phone_kind"), pid=None, trap=pl.lit("junk_phone")),
    ]
    edges = [
        _e(own, "crm_member_id", "crm_id", "phone", "norm"),
        _e(un, "crm_member_id", "crm_id", "wx_unionid", "unionid"),
    ]
    return frame, nodes, edges

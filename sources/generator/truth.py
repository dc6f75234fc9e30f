"""Ground truth: who is who, what every order finally is, and what was planted.

Identity: every identifier a landing row shows becomes a node with its true
person (null for trap values that belong to nobody: junk/staff phones, shared
devices). Edges are the links the marts.md identity rules accept. A node is
`discoverable` when it sits in its person's main connected component, i.e. the
landing data really links it to the rest of its person.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from . import ids, mp
from .commerce import _state
from .timeline import Timeline

TRAP_ORDER = [
    "gift",
    "shared_phone",
    "recycled_phone",
    "junk_phone",
    "staff_phone",
    "shared_device",
    "masked_phone",
]
TYPE_ORDER = [
    "wx_unionid",
    "mp_openid",
    "oa_openid",
    "wecom_external_userid",
    "crm_member_id",
    "phone",
    "tmall_buyer",
    "order",
    "mp_anonymous_id",
]
MONEY = pl.Decimal(18, 2)
TS = pl.Datetime("ms", "UTC")


def _money(cents: pl.Expr) -> pl.Expr:
    return ids.cents_text(cents).cast(MONEY)


def identifiers(
    nodes: list[pl.DataFrame], edges: list[pl.DataFrame], nobody: pl.DataFrame | None = None
) -> pl.DataFrame:
    """`nobody` (type, value, trap): values several persons really use (a family's or a recycled
    number): they belong to no one and link nothing."""
    n = pl.concat(nodes, how="vertical_relaxed")
    e = pl.concat(edges, how="vertical_relaxed")
    if nobody is not None and nobody.height:
        nobody = nobody.unique(["type", "value"]).rename({"trap": "nobody_trap"})
        n = (
            n.join(nobody, on=["type", "value"], how="left")
            .with_columns(
                pid=pl.when(pl.col("nobody_trap").is_null()).then("pid"),
                trap=pl.coalesce("nobody_trap", "trap"),
            )
            .drop("nobody_trap")
        )
        ends = nobody.select("type", "value")
        e = e.join(ends.rename({"type": "ta", "value": "va"}), on=["ta", "va"], how="anti").join(
            ends.rename({"type": "tb", "value": "vb"}), on=["tb", "vb"], how="anti"
        )
    n = n.with_columns(
        trap_rank=pl.col("trap").replace_strict(
            {t: i for i, t in enumerate(TRAP_ORDER)}, default=None, return_dtype=pl.Int8
        )
    )
    agg = n.group_by(["type", "value"]).agg(
        owners=pl.col("pid").drop_nulls().n_unique(),
        person_id=pl.col("pid").drop_nulls().first(),
        trap_rank=pl.col("trap_rank").min(),
    )
    clash = agg.filter(pl.col("owners") > 1)
    if clash.height:
        raise AssertionError(f"identifier shared by several persons: {clash.head(3)}")
    agg = agg.sort(["type", "value"]).with_row_index("node")
    key = agg.select("type", "value", "node", "person_id")
    e = e.join(
        key.rename({"type": "ta", "value": "va", "node": "a", "person_id": "pa"}), on=["ta", "va"], how="left"
    ).join(
        key.rename({"type": "tb", "value": "vb", "node": "b", "person_id": "pb"}), on=["tb", "vb"], how="left"
    )
    bad = e.filter(
        pl.col("a").is_null()
        | pl.col("b").is_null()
        | (pl.col("pa") != pl.col("pb"))
        | pl.col("pa").is_null()
    )
    if bad.height:
        raise AssertionError(f"identity edge across persons or to a trap value: {bad.head(3)}")
    m = agg.height
    g = coo_matrix((np.ones(e.height, dtype=np.int8), (e["a"].to_numpy(), e["b"].to_numpy())), shape=(m, m))
    _, comp = connected_components(g, directed=False)
    agg = agg.with_columns(
        comp=pl.Series(comp), prio=pl.col("type").replace_strict({t: i for i, t in enumerate(TYPE_ORDER)})
    )
    # Main component per person: most identifiers, then the strongest id type, then the lowest node.
    comps = (
        agg.filter(pl.col("person_id").is_not_null())
        .group_by(["person_id", "comp"])
        .agg(size=pl.len(), prio=pl.col("prio").min(), first=pl.col("node").min())
        .sort(["person_id", "size", "prio", "first"], descending=[False, True, False, False])
        .with_columns(component=pl.int_range(pl.len()).over("person_id"))
    )
    agg = agg.join(comps.select("person_id", "comp", "component"), on=["person_id", "comp"], how="left")
    return agg.select(
        "person_id",
        identifier_type="type",
        identifier_value="value",
        discoverable=pl.col("component").fill_null(-1) == 0,
        trap=pl.col("trap_rank").replace_strict(
            dict(enumerate(TRAP_ORDER)), default=None, return_dtype=pl.String
        ),
        component=pl.col("component").cast(pl.Int32),
    ).sort(["person_id", "identifier_type", "identifier_value"], nulls_last=True)


def orders(o: pl.DataFrame, facts: pl.DataFrame, erp_refunds: pl.DataFrame, tl: Timeline) -> pl.DataFrame:
    """Final state of each order as the marts.md rules derive it from the landing data."""
    mp = o.filter((pl.col("platform") == "miniprogram") & ~pl.col("lost_event")).select(
        "oid",
        ordered_at="t_c",
        paid_at="t_c",
        paid_cents="pay_cents",
        platform_refund=pl.lit(None, pl.Int64),
        status_raw=pl.lit(None, pl.String),
    )
    f = pl.concat([facts, mp], how="vertical_relaxed")
    assert f["oid"].n_unique() == f.height == o.height, "every order needs exactly one record of truth"
    end = pl.lit(tl.end_ms)
    t = (
        o.join(f, on="oid")
        .join(erp_refunds, on="oid", how="left")
        .with_columns(
            refund=pl.min_horizontal(
                pl.col("paid_cents"),
                pl.max_horizontal(pl.col("platform_refund").fill_null(0), pl.col("erp_refund").fill_null(0)),
            )
        )
        .with_columns(state=_state(end))
    )
    t = t.with_columns(
        status=pl.when((pl.col("state") != "refunded") & (pl.col("ref_done") >= 0))
        .then(pl.lit("partially_refunded"))
        .otherwise("state"),
        net=pl.col("paid_cents") - pl.col("refund"),
    )
    t = t.with_columns(is_valid=pl.col("paid_at").is_not_null() & (pl.col("net") > 0))
    t = t.sort(["pid", "paid_at", "order_key"], nulls_last=True).with_columns(
        valid_order_seq=pl.when("is_valid").then(pl.col("is_valid").cast(pl.Int32).cum_sum().over("pid"))
    )
    return t.select(
        "order_key",
        "platform",
        "platform_order_id",
        person_id="pid",
        ordered_at=pl.col("ordered_at").cast(TS),
        paid_at=pl.col("paid_at").cast(TS),
        paid_amount=_money(pl.col("paid_cents")),
        refunded_amount=_money(pl.col("refund")),
        net_amount=_money(pl.col("net")),
        is_valid="is_valid",
        valid_order_seq="valid_order_seq",
        status="status",
        status_raw="status_raw",
        platform_refund_amount=pl.when(pl.col("platform_refund").is_not_null()).then(
            _money(pl.col("platform_refund"))
        ),
        erp_refund_amount=pl.when(pl.col("erp_refund").is_not_null()).then(_money(pl.col("erp_refund"))),
        in_erp=pl.col("t_ship") >= 0,
    ).sort("order_key")


def persons(P: pl.DataFrame, E: pl.DataFrame, T: pl.DataFrame, tl: Timeline) -> pl.DataFrame:
    """First touch, acquisition channel, funnel stages and segments per person."""
    ev = E.filter(pl.col("dup_next").is_null()).with_columns(
        channel=pl.Series(mp.CH).gather(
            E.filter(pl.col("dup_next").is_null())["channel"].cast(pl.Int64).to_numpy()
        )
    )
    first_ev = (
        ev.sort(["t", "eid"])
        .group_by("pid", maintain_order=True)
        .first()
        .select("pid", t="t", ch="channel", sf="share_from")
    )
    chan = lambda prefix, c: pl.lit(prefix) + c
    touches = pl.concat(
        [
            P.filter(pl.col("wecom") >= 0).select(
                "pid",
                t="wecom",
                prec=pl.lit(1),
                channel=pl.when(pl.col("wecom_state") != "")
                .then(chan("wecom:", pl.col("wecom_state")))
                .otherwise(chan("wecom:add_way_", pl.col("wecom_add_way").cast(pl.String))),
                ref=pl.lit(None, pl.Int64),
            ),
            P.filter(pl.col("oa") >= 0).select(
                "pid",
                t="oa",
                prec=pl.lit(2),
                channel=pl.when(pl.col("oa_qr_str") != "")
                .then(chan("oa:", pl.col("oa_qr_str")))
                .otherwise(chan("oa:", pl.col("oa_scene"))),
                ref=pl.lit(None, pl.Int64),
            ),
            first_ev.select(
                "pid",
                "t",
                prec=pl.when(pl.col("sf") >= 0).then(0).otherwise(3),
                channel=pl.when(pl.col("sf") >= 0)
                .then(pl.lit("referral"))
                .when(pl.col("ch") != "")
                .then(chan("mp:", pl.col("ch")))
                .otherwise(pl.lit("mp:organic")),
                ref=pl.when(pl.col("sf") >= 0).then("sf"),
            ),
            P.filter(pl.col("reg") >= 0)
            .join(first_ev.select("pid", "ch"), on="pid", how="left")
            .select(
                "pid",
                t="reg",
                prec=pl.lit(3),
                channel=pl.when(pl.col("ch").fill_null("") != "")
                .then(chan("mp:", pl.col("ch")))
                .otherwise(pl.lit("mp:organic")),
                ref=pl.lit(None, pl.Int64),
            ),
            P.filter(pl.col("group") >= 0).select(
                "pid", t="group", prec=pl.lit(4), channel=pl.lit("wecom_group"), ref=pl.lit(None, pl.Int64)
            ),
            P.filter(pl.col("crm") >= 0).select(
                "pid",
                t="crm",
                prec=pl.lit(5),
                channel=chan("crm:", pl.col("crm_channel")),
                ref=pl.lit(None, pl.Int64),
            ),
            T.select(
                pid="person_id",
                t=pl.col("ordered_at").dt.epoch("ms"),
                prec=pl.lit(6),
                channel=chan("platform:", pl.col("platform")),
                ref=pl.lit(None, pl.Int64),
                key="order_key",
            ),
        ],
        how="diagonal_relaxed",
    )
    first = (
        touches.sort(["pid", "t", "prec", "key"], nulls_last=True)
        .group_by("pid", maintain_order=True)
        .first()
    )
    stage = lambda evs: (
        ev.filter(pl.col("ev").is_in([mp.E_[e] for e in evs])).group_by("pid").agg(pl.col("t").min())
    )
    interest = (
        pl.concat(
            [stage(["view_item", "coupon_claim"]), P.filter(pl.col("group") >= 0).select("pid", t="group")]
        )
        .group_by("pid")
        .agg(interest_at=pl.col("t").min())
    )
    consider = stage(["add_to_cart", "begin_checkout"]).rename({"t": "consider_at"})
    v = T.filter("is_valid")
    buy = v.group_by("person_id").agg(
        first_order_at=pl.col("paid_at").min(),
        last_order_at=pl.col("paid_at").max(),
        valid_orders=pl.len(),
        net_revenue=pl.col("net_amount").sum(),
        repeat_order_at=pl.col("paid_at").filter(pl.col("valid_order_seq") == 2).first(),
        orders_365=(
            pl.col("paid_at").dt.convert_time_zone("Asia/Shanghai").dt.date()
            >= tl.as_of - dt.timedelta(days=365)
        ).sum(),
    )
    out = (
        P.select("pid", first_touch="c0")
        .join(
            first.select("pid", aware="t", acquisition_channel="channel", referred_by="ref"),
            on="pid",
            how="left",
        )
        .join(interest, on="pid", how="left")
        .join(consider, on="pid", how="left")
        .join(buy.rename({"person_id": "pid"}), on="pid", how="left")
    )
    refs = (
        out.filter(pl.col("referred_by").is_not_null())
        .group_by("referred_by")
        .agg(referral_at=pl.col("aware").min(), referrals=pl.len())
    )
    out = out.join(refs.rename({"referred_by": "pid"}), on="pid", how="left")
    as_of = pl.lit(tl.as_of)
    d = (as_of - pl.col("last_order_at").dt.convert_time_zone("Asia/Shanghai").dt.date()).dt.total_days()
    out = out.with_columns(
        valid_orders=pl.col("valid_orders").fill_null(0).cast(pl.Int64),
        net_revenue=pl.col("net_revenue").fill_null(0).cast(MONEY),
        referrals=pl.col("referrals").fill_null(0).cast(pl.Int64),
        d=d,
    )
    out = out.with_columns(
        lifecycle_segment=pl.when(pl.col("valid_orders") == 0)
        .then(pl.lit("potential"))
        .when((pl.col("valid_orders") == 1) & (pl.col("d") <= 30))
        .then(pl.lit("new"))
        .when((pl.col("orders_365") >= 3) & (pl.col("d") <= 90))
        .then(pl.lit("loyal"))
        .when(pl.col("d") <= 90)
        .then(pl.lit("active"))
        .when(pl.col("d") <= 180)
        .then(pl.lit("dormant"))
        .otherwise(pl.lit("churned"))
    )
    buyers = pl.col("valid_orders") > 0
    r_hi = pl.col("d") <= pl.col("d").filter(buyers).mean()
    f_hi = pl.col("valid_orders") >= pl.col("valid_orders").filter(buyers).mean()
    m_hi = (
        pl.col("net_revenue").cast(pl.Float64) >= pl.col("net_revenue").cast(pl.Float64).filter(buyers).mean()
    )
    names = {
        (1, 1, 1): "重要价值客户",
        (1, 0, 1): "重要发展客户",
        (0, 1, 1): "重要保持客户",
        (0, 0, 1): "重要挽留客户",
        (1, 1, 0): "一般价值客户",
        (1, 0, 0): "一般发展客户",
        (0, 1, 0): "一般保持客户",
        (0, 0, 0): "一般挽留客户",
    }
    code = r_hi.cast(pl.Int8) * 100 + f_hi.cast(pl.Int8) * 10 + m_hi.cast(pl.Int8)
    out = out.with_columns(
        rfm_segment=pl.when(buyers).then(
            code.replace_strict(
                {a * 100 + b * 10 + c: v for (a, b, c), v in names.items()}, return_dtype=pl.String
            )
        )
    )
    ms = lambda c: pl.col(c).cast(TS)
    return out.select(
        person_id="pid",
        aware_at=ms("aware"),
        acquisition_channel="acquisition_channel",
        referred_by="referred_by",
        referred_at=pl.when(pl.col("referred_by").is_not_null()).then(ms("aware")),
        first_touch="first_touch",
        interest_at=ms("interest_at"),
        consider_at=ms("consider_at"),
        first_order_at="first_order_at",
        repeat_order_at="repeat_order_at",
        last_order_at="last_order_at",
        valid_orders="valid_orders",
        net_revenue="net_revenue",
        referral_at=ms("referral_at"),
        referrals="referrals",
        lifecycle_segment="lifecycle_segment",
        rfm_segment="rfm_segment",
    ).sort("person_id")


def write(folder: Path, tables: dict[str, pl.DataFrame]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.write_parquet(folder / f"{name}.parquet", statistics=False)

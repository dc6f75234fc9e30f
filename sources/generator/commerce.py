"""Rows of the tabular sources (platform orders, ERP, CRM) and their identity evidence.

A platform order appears in the export covering its creation and again in the
export covering its last change (paid/shipped/completed/refunded/closed), each
time with its state at that export's cutoff; the last appearance is the final
state. ERP sales lines appear once, when shipped; ERP refunds when requested
(处理中) and again when completed. Timestamp columns stay epoch ms (`_ts`
suffix-free Int64) until the writer renders them in the file's style.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import ids
from .orders import CATALOGUE, SKU_CODES
from .quirks import variant
from .timeline import Timeline, truncate_to_style

STATUS = {
    "tmall": {
        "unpaid": "等待买家付款",
        "cancelled": "交易关闭",
        "paid": "买家已付款，等待卖家发货",
        "shipped": "卖家已发货，等待买家确认",
        "completed": "交易成功",
        "refunded": "交易关闭",
    },
    "jd": {
        "unpaid": "等待付款",
        "cancelled": "已取消",
        "paid": "等待出库",
        "shipped": "等待确认收货",
        "completed": "完成",
        "refunded": "已取消",
    },
    "douyin": {
        "unpaid": "待支付",
        "cancelled": "已关闭",
        "paid": "待发货",
        "shipped": "已发货",
        "completed": "已完成",
        "refunded": "已关闭",
    },
    "youzan": {
        "unpaid": "待付款",
        "cancelled": "已关闭",
        "paid": "待发货",
        "shipped": "已发货",
        "completed": "交易成功",
        "refunded": "交易关闭",
    },
}
ERP_SOURCE = {
    "tmall": "天猫",
    "jd": "京东",
    "douyin": "抖音",
    "youzan": "有赞",
    "miniprogram": "小程序",
    "offline": "线下",
}
SHOPS = {
    "tmall": "悦颜官方旗舰店",
    "jd": "悦颜京东自营旗舰店",
    "douyin": "悦颜抖音官方旗舰店",
    "youzan": "悦颜有赞商城",
    "miniprogram": "悦颜小程序商城",
    "offline": "悦颜上海南京西路店",
}
JD_SKU = [f"1000{x:08d}" for x in ids.scramble(np.arange(len(CATALOGUE)), 8, 51)]
DY_PRODUCT = [f"3568{x:15d}" for x in ids.scramble(np.arange(len(CATALOGUE)), 15, 52)]
NAMES = pl.Series([c[0] for c in CATALOGUE])


def _state(C: pl.Expr) -> pl.Expr:
    paid = (pl.col("t_paid") >= 0) & (pl.col("t_paid") < C)
    return (
        pl.when(~paid & (pl.col("t_close") >= 0) & (pl.col("t_close") < C))
        .then(pl.lit("cancelled"))
        .when(~paid)
        .then(pl.lit("unpaid"))
        .when(pl.col("ref_full") & (pl.col("ref_done") >= 0) & (pl.col("ref_done") < C))
        .then(pl.lit("refunded"))
        .when((pl.col("t_done") >= 0) & (pl.col("t_done") < C))
        .then(pl.lit("completed"))
        .when((pl.col("t_ship") >= 0) & (pl.col("t_ship") < C))
        .then(pl.lit("shipped"))
        .otherwise(pl.lit("paid"))
    )


def _at(C: pl.Expr) -> dict[str, pl.Expr]:
    """State columns of an order as an export with cutoff C shows it."""
    paid = (pl.col("t_paid") >= 0) & (pl.col("t_paid") < C)
    done = (pl.col("ref_done") >= 0) & (pl.col("ref_done") < C)
    return {
        "state": _state(C),
        "paid_c": paid,
        "refund_c": done,
        "pending_c": (pl.col("ref_req") >= 0) & (pl.col("ref_req") < C) & ~done,
    }


def enrich(orders: pl.DataFrame, P: pl.DataFrame, seed: int, clean: bool) -> pl.DataFrame:
    """Buyer data on each order, plus who receives it (gifts, junk numbers) and what is masked."""
    rng = ids.rng_for(seed, "enrich")
    n = orders.height
    o = (
        orders.sort(["pid", "t_c", "oid"])
        .with_columns(nth_platform=pl.int_range(pl.len()).over(["pid", "platform"]))
        .sort("oid")
    )
    o = o.join(
        P.select(
            "pid",
            "name",
            "phone",
            "foreign",
            "anchored",
            "tmall_nick",
            "jd_pin",
            "dy_nick",
            "yz_nick",
            "wx_nick",
            "province",
            "city",
            "district",
            "address_detail",
        ),
        on="pid",
        how="left",
    )
    u = o["u"].to_numpy()
    plat = o["platform"].to_numpy()
    nth = o["nth_platform"].to_numpy()
    pool = P.filter("anchored")["pid"].to_numpy()
    gift_pid = pool[rng.integers(0, max(len(pool), 1), n)] if len(pool) else np.full(n, -1)
    # Gifts (shipped to another known customer's phone), by any non-overseas buyer:
    #  * now and then, after a first order on the platform;
    #  * on Youzan, any order, the first too (the row shows the buyer phone beside the receiver's);
    #  * a Tmall account's second order (with exactly two orders, own and gift phones tie 1:1);
    #  * gift givers: some buyers whose own phone is on record (MP authorisation, Youzan buyer
    #    phone) send most Mini Program / Youzan orders to one relative, more often than to themselves.
    extra = rng.random((2, n))
    giver = rng.random(P.height) < 0.02
    relative = pool[rng.integers(0, max(len(pool), 1), P.height)] if len(pool) else np.full(P.height, -1)
    givers = P.select(
        "pid",
        giver=pl.Series(giver) & (pl.col("auth") >= 0) & ~pl.col("foreign"),
        relative=pl.Series(relative),
    )
    g = o.select("pid").join(givers, on="pid", how="left", maintain_order="left")
    heavy = (
        g["giver"].fill_null(False).to_numpy()
        & np.isin(plat, ["youzan", "miniprogram"])
        & (nth >= 1)
        & (extra[1] < 0.7)
    )
    gift = (
        np.zeros(n, bool)
        if clean
        else (
            (np.isin(plat, ["tmall", "youzan", "miniprogram"]) & (nth >= 1) & (u < 0.015))
            | ((plat == "youzan") & (extra[0] < 0.03))
            | ((plat == "tmall") & (nth == 1) & (extra[0] < 0.08))
            | heavy
        )
        & ~o["foreign"].to_numpy()
    )
    gift_pid = np.where(heavy, g["relative"].fill_null(-1).to_numpy(), gift_pid)
    junk = (
        np.zeros(n, bool)
        if clean
        else ~gift
        & (
            ((plat == "tmall") & (u >= 0.015) & (u < 0.018))
            | ((plat == "offline") & (u >= 0.015) & (u < 0.035))
        )
    )
    gift_pid = np.where(gift & (gift_pid == o["pid"].to_numpy()), pool[0] if len(pool) else -1, gift_pid)
    gift &= (gift_pid != o["pid"].to_numpy()) & (gift_pid >= 0)
    gift_pid = np.where(gift, gift_pid, -1)
    r = rng.random((3, n))
    o = o.with_columns(
        gift=gift,
        gift_pid=np.where(gift, gift_pid, -1),
        junk=junk,
        junk_phone=pl.Series(np.asarray(ids.JUNK_PHONES)[rng.integers(0, 3, n)]),
        m_t=pl.Series((not clean) & (r[0] < 0.08)),
        m_y=pl.Series((not clean) & (r[1] < 0.10)),
        m_e=pl.Series((not clean) & (r[2] < 0.10)),
        style_t=ids.style_choice(rng, n, {"plain": 0.6, "quote": 0.2, "86dash": 0.2}),
        style_e=ids.style_choice(rng, n, {"plain": 0.7, "quote": 0.15, "86dash": 0.15}),
        u2=pl.Series(rng.random(n)),
    )
    g = P.select(gift_pid="pid", g_phone="phone", g_name="name")
    o = o.join(g, on="gift_pid", how="left")
    return o.with_columns(
        rcv_kind=pl.when("gift")
        .then(pl.lit("gift"))
        .when("junk")
        .then(pl.lit("junk"))
        .when("foreign")
        .then(pl.lit("none"))
        .otherwise(pl.lit("own")),
        rcv_phone=pl.when("gift").then("g_phone").when("junk").then("junk_phone").otherwise("phone"),
        rcv_name=pl.when("gift").then("g_name").otherwise("name"),
        order_key=pl.col("platform") + pl.lit(":") + pl.col("platform_order_id"),
    )


# Order columns each source needs (joins with lines multiply rows: carry no more than needed).
BASE = [
    "oid",
    "pid",
    "platform",
    "platform_order_id",
    "order_key",
    "t_c",
    "t_paid",
    "t_close",
    "t_ship",
    "t_done",
    "ref_req",
    "ref_done",
    "ref_full",
    "ref_cents",
    "pay_cents",
    "goods_cents",
    "postage",
    "n_lines",
    "u2",
]
ADDRESS = ["name", "phone", "province", "city", "district", "address_detail"]
RECEIVER = ["rcv_kind", "rcv_phone", "rcv_name", "gift", "junk", "gift_pid"]


def _cols(o: pl.DataFrame, platform: str | None, extra: list[str]) -> pl.DataFrame:
    o = o if platform is None else o.filter(pl.col("platform") == platform)
    return o.select(BASE + [c for c in extra if c not in BASE])


def _appearances(o: pl.DataFrame, tl: Timeline) -> pl.DataFrame:
    times = ["t_c", "t_paid", "t_ship", "t_done", "t_close", "ref_done"]
    last = o.select(pl.max_horizontal([pl.when(pl.col(c) >= 0).then(pl.col(c)) for c in times]))
    x1 = tl.export_index(o["t_c"].to_numpy())
    x2 = tl.export_index(last.to_series().to_numpy())
    a = pl.concat([o.with_columns(_x=pl.Series(x1)), o.with_columns(_x=pl.Series(x2))])
    a = a.unique(["oid", "_x"], keep="first", maintain_order=True).sort(["_x", "t_c", "oid"])
    a = a.with_columns(_c=pl.Series(tl.cutoff_ms(a["_x"].to_numpy())))
    a = a.with_columns(**_at(pl.col("_c")))
    return a.with_columns(is_last=pl.col("_x") == pl.col("_x").max().over("oid"))


def _ms_or_null(cond: pl.Expr, col: str) -> pl.Expr:
    return pl.when(cond).then(pl.col(col))


def build(
    o: pl.DataFrame,
    lines: pl.DataFrame,
    P: pl.DataFrame,
    tl: Timeline,
    seed: int,
    facts: list,
    nodes: list,
    edges: list,
):
    """Yield (source, frame) one source at a time (so only one big frame is alive); the order
    facts the truth needs and the identity evidence go into the given lists. XLSX sources
    come first so their (slow) writers overlap with the rest."""
    rng = ids.rng_for(seed, "commerce")
    nx = len(tl.export_days)
    L = lines.with_columns(
        sku_code=pl.Series(SKU_CODES)[lines["sku"].to_numpy()], item_name=NAMES[lines["sku"].to_numpy()]
    )
    first_line = L.filter(pl.col("line_no") == 0).select("oid", "item_name")
    qty = L.group_by("oid").agg(total_qty=pl.col("qty").sum())

    def cents(c):
        return ids.cents_text(pl.col(c))

    def status(platform):
        return pl.col("state").replace_strict(STATUS[platform])

    # ---- JD: one row per order line (phones always masked) -----------------------------------
    j = (
        _appearances(_cols(o, "jd", ADDRESS), tl)
        .join(L, on="oid", suffix="_l")
        .sort(["_x", "t_c", "oid", "line_no"])
    )
    recv = ids.cents_text(pl.col("pay_cents_l"))
    yield (
        "jd_orders",
        j.select(
            "_x",
            _t="t_c",
            order_id="platform_order_id",
            item_name="item_name",
            sku_id=pl.Series(JD_SKU)[j["sku"].to_numpy()],
            quantity=pl.col("qty").cast(pl.String),
            ordered_at="t_c",
            paid_at=_ms_or_null(pl.col("paid_c"), "t_paid"),
            line_amount=recv,
            merchant_receivable=pl.when(pl.col("state") == "paid")
            .then(recv + pl.lit("（系统计算中，该值仅供参考）"))
            .otherwise(recv),
            order_status=pl.when(pl.col("pending_c") & (pl.col("state") != "refunded"))
            .then(pl.lit("锁定"))
            .otherwise(status("jd")),
            customer_name="name",
            customer_address=pl.concat_str(["province", "city", "district", "address_detail"]),
            customer_phone=ids.phone_render(pl.col("phone"), "mask6"),
            pay_method=pl.lit("在线支付"),
        ),
    )
    facts.append(_platform_facts(j.filter("is_last").unique("oid"), "jd", pl.lit(None, pl.Int64)))
    nodes.append(_n(j.unique("oid"), "order", "order_key"))
    del j

    # ---- Youzan: one row per order; amounts like "1,299.00", "——" for none ----------------------
    y = _appearances(_cols(o, "youzan", ["yz_nick", "phone", "m_y", "name"] + RECEIVER), tl).join(
        first_line, on="oid"
    )
    mask = lambda c: pl.when(pl.col("m_y")).then(ids.phone_render(pl.col(c), "mask4")).otherwise(pl.col(c))
    yield (
        "youzan_orders",
        y.select(
            "_x",
            _t="t_c",
            order_id="platform_order_id",
            order_status=status("youzan"),
            created_at="t_c",
            paid_at=_ms_or_null(pl.col("paid_c"), "t_paid"),
            paid_amount=ids.cents_text(pl.when("paid_c").then("pay_cents").otherwise(0), thousands=True),
            refunded_amount=pl.when("refund_c")
            .then(ids.cents_text(pl.col("ref_cents"), thousands=True))
            .otherwise(pl.lit("——")),
            buyer_nick="yz_nick",
            buyer_phone=mask("phone"),
            receiver_phone=mask("rcv_phone"),
            sales_channel=pl.when(pl.col("u2") < 0.7).then(pl.lit("微商城")).otherwise(pl.lit("直播带货")),
            distributor=pl.when(pl.col("u2") > 0.8)
            .then(pl.lit("导购") + pl.col("name").str.slice(0, 1))
            .otherwise(pl.lit("")),
            _distributor2=pl.when(pl.col("u2") > 0.8)
            .then(pl.lit("DS") + (pl.col("u2") * 1e5).cast(pl.Int64).cast(pl.String))
            .otherwise(pl.lit("")),
            item_names="item_name",
        ),
    )
    facts.append(
        _platform_facts(y.filter("is_last"), "youzan", pl.when("refund_c").then("ref_cents").otherwise(0))
    )
    nodes.append(_n(y, "order", "order_key", trap=_order_trap("m_y")))
    ym = y.filter(~pl.col("m_y"))
    nodes.append(_n(ym, "phone", pl.lit("+86") + pl.col("phone")))
    edges.append(_e(ym, "order", "order_key", "phone", pl.lit("+86") + pl.col("phone")))
    _phone_evidence(ym, nodes, edges)
    del y, ym

    # ---- ERP sales-out lines: shipped orders of every platform, offline ones only here ---------
    erp_o = _cols(
        o,
        None,
        RECEIVER + ["m_e", "style_e", "lost_event", "tmall_nick", "jd_pin", "dy_nick", "yz_nick", "wx_nick"],
    ).filter(pl.col("t_ship") >= 0)
    erp = erp_o.join(L, on="oid", suffix="_l").sort(["t_ship", "oid", "line_no"])
    erp = erp.with_columns(_x=pl.Series(tl.export_index(erp["t_ship"].to_numpy())))
    erp = erp.with_columns(_c=pl.Series(tl.cutoff_ms(erp["_x"].to_numpy())))
    e_var = {x: variant("erp_sales", x, nx, seed) for x in range(nx)}
    sub_id = (
        pl.when(pl.col("platform") == "tmall")
        .then(ids.digit_ids(erp["lid"].to_numpy(), "2836", 15, 23))
        .when(pl.col("platform") == "douyin")
        .then(ids.digit_ids(erp["lid"].to_numpy(), "6929", 15, 17))
        .otherwise(pl.lit(""))
    )
    erp = erp.with_columns(
        nick=pl.when(pl.col("platform") == "tmall")
        .then("tmall_nick")
        .when(pl.col("platform") == "jd")
        .then("jd_pin")
        .when(pl.col("platform") == "douyin")
        .then("dy_nick")
        .when(pl.col("platform") == "youzan")
        .then("yz_nick")
        .when(pl.col("platform") == "miniprogram")
        .then("wx_nick")
        .otherwise(pl.lit(""))
    )
    yield (
        "erp_sales",
        erp.select(
            "_x",
            _t="t_ship",
            erp_order_id=ids.digit_ids(erp["oid"].to_numpy(), "XS", 12, 18),
            platform_order_id="platform_order_id",
            platform_sub_order_id=sub_id,
            shop_name=pl.col("platform").replace_strict(SHOPS),
            order_source=pl.col("platform").replace_strict(ERP_SOURCE),
            order_status=pl.when((pl.col("t_done") >= 0) & (pl.col("t_done") < pl.col("_c")))
            .then(pl.lit("已完成"))
            .otherwise(pl.lit("已发货")),
            traded_at="t_c",
            paid_at="t_paid",
            shipped_at="t_ship",
            buyer_nick="nick",
            receiver_name="rcv_name",
            receiver_phone=pl.when(pl.col("rcv_kind") == "none")
            .then(pl.lit(""))
            .when(pl.col("m_e"))
            .then(ids.phone_render(pl.col("rcv_phone"), "mask4"))
            .otherwise(ids.phone_render(pl.col("rcv_phone"), pl.col("style_e"))),
            merchant_sku="sku_code",
            goods_name="item_name",
            quantity=pl.col("qty").cast(pl.String),
            unit_price=cents("unit_cents"),
            allocated_total=cents("pay_cents_l"),
            receivable_amount=cents("pay_cents_l"),
            warehouse=pl.lit("上海一号仓"),
        ),
    )
    # ERP is the record for mini-program orders without a purchase event and for offline orders.
    own = (
        erp.filter(pl.col("lost_event") | (pl.col("platform") == "offline"))
        .unique("oid")
        .with_columns(style=pl.col("_x").replace_strict({x: v["ts"] for x, v in e_var.items()}))
    )
    facts.append(
        own.select(
            "oid",
            ordered_at=_trunc("t_c"),
            paid_at=_trunc("t_paid"),
            paid_cents="pay_cents",
            platform_refund=pl.lit(None, pl.Int64),
            status_raw=pl.lit(None, pl.String),
        )
    )
    eu = erp.unique("oid")
    nodes.append(_n(eu, "order", "order_key", trap=_order_trap("m_e")))
    nodes.append(_n(eu.filter(pl.col("platform") == "tmall"), "tmall_buyer", "tmall_nick"))
    edges.append(
        _e(eu.filter(pl.col("platform") == "tmall"), "order", "order_key", "tmall_buyer", "tmall_nick")
    )
    _phone_evidence(eu.filter(~pl.col("m_e")), nodes, edges)
    del erp, eu, own
    # ---- Tmall: one row per order ---------------------------------------------------------
    t = (
        _appearances(_cols(o, "tmall", ["tmall_nick", "m_t", "style_t"] + ADDRESS + RECEIVER), tl)
        .join(first_line, on="oid")
        .join(qty, on="oid")
    )
    t_var = {x: variant("tmall_orders", x, nx, seed) for x in range(nx)}
    shown_phone = (
        pl.when(pl.col("m_t"))
        .then(ids.phone_render(pl.col("rcv_phone"), "mask4"))
        .otherwise(ids.phone_render(pl.col("rcv_phone"), pl.col("style_t")))
    )
    yield (
        "tmall_orders",
        t.select(
            "_x",
            _t="t_c",
            order_id="platform_order_id",
            buyer_nick="tmall_nick",
            goods_amount=cents("goods_cents"),
            postage=cents("postage"),
            total_amount=ids.cents_text(pl.col("goods_cents") + pl.col("postage")),
            paid_amount=ids.cents_text(pl.when("paid_c").then("pay_cents").otherwise(0)),
            order_status=status("tmall"),
            receiver_name="rcv_name",
            receiver_address=pl.concat_str(["province", "city", "district", "address_detail"], separator=" "),
            receiver_phone=shown_phone,
            created_at="t_c",
            paid_at=_ms_or_null(pl.col("paid_c"), "t_paid"),
            item_title=pl.when(pl.col("n_lines") > 1)
            .then(pl.col("item_name") + pl.lit(" 等") + pl.col("n_lines").cast(pl.String) + pl.lit("件"))
            .otherwise("item_name"),
            item_quantity=pl.col("total_qty").cast(pl.String),
            shop_name=pl.lit(SHOPS["tmall"]),
            refund_amount=ids.cents_text(pl.when("refund_c").then("ref_cents").otherwise(0)),
            buyer_message=pl.lit(""),
            logistics_company=pl.when(pl.col("state").is_in(["shipped", "completed"])).then(
                pl.lit("中通快递")
            ),
        ),
    )
    tl_last = t.filter("is_last").with_columns(
        style=pl.col("_x").replace_strict({x: v["ts"] for x, v in t_var.items()}),
        has_ref=pl.col("_x").replace_strict({x: v["refund_col"] for x, v in t_var.items()}),
    )
    facts.append(
        _platform_facts(
            tl_last, "tmall", pl.when("has_ref").then(pl.when("refund_c").then("ref_cents").otherwise(0))
        )
    )
    nodes += [_n(t, "order", "order_key", trap=_order_trap("m_t")), _n(t, "tmall_buyer", "tmall_nick")]
    edges += [_e(t, "order", "order_key", "tmall_buyer", "tmall_nick")]
    _phone_evidence(t.filter(~pl.col("m_t")), nodes, edges)
    del t, tl_last

    # ---- Douyin: one row per sub-order, tabs inside some product names ------------------------
    d = (
        _appearances(_cols(o, "douyin", ADDRESS), tl)
        .join(L, on="oid", suffix="_l")
        .sort(["_x", "t_c", "oid", "line_no"])
    )
    tabbed = pl.Series(rng.random(d.height) < 0.05)
    yield (
        "douyin_orders",
        d.select(
            "_x",
            _t="t_c",
            order_id="platform_order_id",
            sub_order_id=ids.digit_ids(d["lid"].to_numpy(), "6929", 15, 17),
            product_name=pl.when(tabbed)
            .then(pl.col("item_name") + pl.lit("\t官方正品"))
            .otherwise("item_name"),
            product_id=pl.Series(DY_PRODUCT)[d["sku"].to_numpy()],
            merchant_sku="sku_code",
            quantity=pl.col("qty").cast(pl.String),
            goods_amount=cents("goods_cents_l"),
            payable_amount=cents("pay_cents_l"),
            submitted_at="t_c",
            paid_at=_ms_or_null(pl.col("paid_c"), "t_paid"),
            order_status=status("douyin"),
            after_sale_status=pl.when(pl.col("refunded") & pl.col("refund_c"))
            .then(pl.lit("退款成功"))
            .when(pl.col("refunded") & pl.col("pending_c"))
            .then(pl.lit("退款中"))
            .otherwise(pl.lit("")),
            receiver_name="name",
            receiver_phone=ids.phone_render(pl.col("phone"), "mask4"),
            province="province",
            city="city",
            district="district",
            address_detail="address_detail",
            influencer_nick=pl.when(pl.col("u2") < 0.3)
            .then(pl.lit("美妆达人") + (pl.col("u2") * 100).cast(pl.Int64).cast(pl.String))
            .otherwise(pl.lit("")),
        ),
    )
    facts.append(
        _platform_facts(
            d.filter("is_last").unique("oid"), "douyin", pl.when("refund_c").then("ref_cents").otherwise(0)
        )
    )
    nodes.append(_n(d.unique("oid"), "order", "order_key"))


def _trunc(col: str) -> pl.Expr:
    t = pl.col(col)
    return (
        pl.when(pl.col("style") == "excel")
        .then(truncate_to_style(t, "excel"))
        .otherwise(truncate_to_style(t, "std"))
    )


def _platform_facts(last: pl.DataFrame, platform: str, refund: pl.Expr) -> pl.DataFrame:
    if "style" not in last.columns:
        last = last.with_columns(style=pl.lit("std"))
    return last.select(
        "oid",
        ordered_at=_trunc("t_c"),
        paid_at=pl.when("paid_c").then(_trunc("t_paid")),
        paid_cents=pl.when("paid_c").then("pay_cents").otherwise(0),
        platform_refund=refund.cast(pl.Int64),
        status_raw=pl.col("state").replace_strict(STATUS[platform]),
    )


def _order_trap(masked: str) -> pl.Expr:
    return (
        pl.when("gift")
        .then(pl.lit("gift"))
        .when("junk")
        .then(pl.lit("junk_phone"))
        .when(masked)
        .then(pl.lit("masked_phone"))
    )


def _val(v) -> pl.Expr:
    return pl.col(v) if isinstance(v, str) else v


def _n(df: pl.DataFrame, typ: str, value, pid="pid", trap: pl.Expr | None = None) -> pl.DataFrame:
    return df.select(
        type=pl.lit(typ),
        value=_val(value),
        pid=_val(pid).cast(pl.Int64) if pid is not None else pl.lit(None, pl.Int64),
        trap=trap if trap is not None else pl.lit(None, pl.String),
    )


def _e(df: pl.DataFrame, ta: str, va, tb: str, vb) -> pl.DataFrame:
    return df.select(ta=pl.lit(ta), va=_val(va), tb=pl.lit(tb), vb=_val(vb))


def _phone_evidence(df: pl.DataFrame, nodes: list, edges: list) -> None:
    """Receiver phones: the buyer's own links the order; a gift's is the receiver's; junk joins nothing."""
    norm = pl.lit("+86") + pl.col("rcv_phone")
    own = df.filter(pl.col("rcv_kind") == "own")
    nodes.append(_n(own, "phone", norm))
    edges.append(_e(own, "order", "order_key", "phone", norm))
    nodes.append(
        _n(df.filter(pl.col("rcv_kind") == "gift"), "phone", norm, pid="gift_pid", trap=pl.lit("gift"))
    )
    nodes.append(
        _n(df.filter(pl.col("rcv_kind") == "junk"), "phone", norm, pid=None, trap=pl.lit("junk_phone"))
    )

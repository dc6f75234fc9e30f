"""Rows of the five WeChat/WeCom JSON Lines sources, plus their identity evidence.

Each builder returns (frame, nodes, edges). The frame has `_x` (export index),
`_t` (order within the file) and one column per JSON key holding the value's
JSON text (dotted names nest one level). `nodes` are the identifiers the rows
show (type, value, pid, trap) and `edges` the links the identity rules accept.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import ids, mp
from . import jsonl as J
from .timeline import DAY_MS, Timeline

STAFF = [
    "zhangli",
    "wangfang",
    "liuyang01",
    "chenjing",
    "yangguang",
    "zhaolei",
    "huangmin",
    "zhoujie",
    "wutao",
    "xulin",
    "sunli",
    "mahui",
]
TAGS = ["[]", "[2]", "[2,105]", "[108]", "[105,110]"]
WECOM_TAGS = [
    "[]",
    '[{"group_name":"客户等级","tag_name":"潜在客户","type":1}]',
    '[{"group_name":"客户等级","tag_name":"VIP","type":1}]',
    '[{"group_name":"来源","tag_name":"门店","type":1},{"group_name":"客户等级","tag_name":"老客户","type":1}]',
]


def _node(
    df: pl.DataFrame, typ: str, value: str, pid: str | None = "pid", trap: pl.Expr | None = None
) -> pl.DataFrame:
    return df.select(
        type=pl.lit(typ),
        value=pl.col(value),
        pid=pl.col(pid).cast(pl.Int64) if pid else pl.lit(None, pl.Int64),
        trap=trap if trap is not None else pl.lit(None, pl.String),
    )


def _edge(df: pl.DataFrame, ta: str, va: str, tb: str, vb: str) -> pl.DataFrame:
    return df.select(ta=pl.lit(ta), va=pl.col(va), tb=pl.lit(tb), vb=pl.col(vb))


def _stray(expr: pl.Expr, u: pl.Expr, rate: float) -> pl.Expr:
    """Ids sometimes carry stray spaces in the pulled JSON."""
    return (
        pl.when(u < rate / 2).then(pl.lit(" ") + expr).when(u < rate).then(expr + pl.lit(" ")).otherwise(expr)
    )


def _u(rng, n: int) -> pl.Series:
    return pl.Series(rng.random(n))


def oa_users(P: pl.DataFrame, tl: Timeline, rng):
    def lines(df: pl.DataFrame, t: str, sub: int, scene: pl.Expr, qr_int: pl.Expr, qr_str: pl.Expr):
        u = _u(rng, df.height)
        full = sub == 1
        return df.select(
            _t=pl.col(t),
            pid="pid",
            subscribe=pl.lit(str(sub)),
            openid=J.s(_stray(pl.col("oa_openid"), u, 0.01)),
            language=J.s(pl.lit("zh_CN")) if full else pl.lit(None, pl.String),
            subscribe_time=J.num(pl.col(t) // 1000) if full else pl.lit(None, pl.String),
            unionid=pl.when("bound").then(J.s(pl.col("unionid"))),
            remark=J.s(pl.when(u > 0.95).then(pl.lit("老客户")).otherwise(pl.lit("")))
            if full
            else pl.lit(None, pl.String),
            groupid=pl.lit("0") if full else pl.lit(None, pl.String),
            tagid_list=pl.Series(np.asarray(TAGS)[rng.integers(0, len(TAGS), df.height)])
            if full
            else pl.lit(None, pl.String),
            subscribe_scene=J.s(scene) if full else pl.lit(None, pl.String),
            qr_scene=J.num(qr_int) if full else pl.lit(None, pl.String),
            qr_scene_str=J.s(qr_str) if full else pl.lit(None, pl.String),
        )

    f = lines(
        P.filter(pl.col("oa") >= 0), "oa", 1, pl.col("oa_scene"), pl.col("oa_qr_int"), pl.col("oa_qr_str")
    )
    un = lines(P.filter(pl.col("oa_unsub") >= 0), "oa_unsub", 0, pl.lit(""), pl.lit(0), pl.lit(""))
    re = lines(
        P.filter(pl.col("oa_refollow") >= 0), "oa_refollow", 1, pl.col("oa_scene2"), pl.lit(0), pl.lit("")
    )
    frame = pl.concat([f, un, re]).with_columns(
        _x=pl.Series(tl.export_index(pl.concat([f, un, re])["_t"].to_numpy()))
    )
    oa = P.filter(pl.col("oa") >= 0)
    nodes = pl.concat(
        [_node(oa, "oa_openid", "oa_openid"), _node(oa.filter("bound"), "wx_unionid", "unionid")]
    )
    edges = _edge(oa.filter("bound"), "oa_openid", "oa_openid", "wx_unionid", "unionid")
    return frame.drop("pid"), nodes, edges


def mp_users(P: pl.DataFrame, tl: Timeline, rng):
    r = P.filter(pl.col("reg") >= 0)
    x_reg = tl.export_index(r["reg"].to_numpy())
    x_auth = np.where(r["auth"].to_numpy() >= 0, tl.export_index(np.maximum(r["auth"].to_numpy(), 0)), -1)
    app = pl.concat(
        [
            r.with_columns(_x=pl.Series(x_reg), _t=pl.col("reg")),
            r.with_columns(_x=pl.Series(x_auth), _t=pl.col("auth")).filter(
                pl.col("_x") >= 0
            ),  # phone authorised later
        ]
    )
    app = app.unique(["pid", "_x"], keep="first", maintain_order=True)
    cutoff = pl.Series(tl.cutoff_ms(app["_x"].to_numpy()))
    u = _u(rng, app.height)
    cc_num = pl.Series(rng.random(app.height) < 0.5)
    shown = (pl.col("auth") >= 0) & (pl.col("auth") < cutoff)
    cc = pl.when("foreign").then(pl.col("foreign_phone").str.slice(1, 3)).otherwise(pl.lit("86"))
    frame = app.select(
        "_x",
        "_t",
        openid=J.s(_stray(pl.col("mp_openid"), u, 0.01)),
        unionid=pl.when("bound").then(J.s(pl.col("unionid"))),
        nickname=J.s(pl.col("wx_nick")),
        register_time=J.num(pl.col("reg") // 1000),
        **{
            "phone_info.phoneNumber": pl.when(shown).then(
                J.s(pl.when("foreign").then("foreign_phone").otherwise("phone"))
            ),
            "phone_info.purePhoneNumber": pl.when(shown).then(
                J.s(pl.when("foreign").then(pl.col("foreign_phone").str.slice(4)).otherwise("phone"))
            ),
            "phone_info.countryCode": pl.when(shown).then(pl.when(cc_num).then(cc).otherwise(J.s(cc))),
        },
    )
    a = r.filter(pl.col("auth") >= 0).with_columns(
        norm=pl.when("foreign").then("foreign_phone").otherwise(pl.lit("+86") + pl.col("phone"))
    )
    nodes = pl.concat(
        [
            _node(r, "mp_openid", "mp_openid"),
            _node(r.filter("bound"), "wx_unionid", "unionid"),
            _node(a, "phone", "norm"),
        ]
    )
    edges = pl.concat(
        [
            _edge(r.filter("bound"), "mp_openid", "mp_openid", "wx_unionid", "unionid"),
            _edge(a, "mp_openid", "mp_openid", "phone", "norm"),
        ]
    )
    return frame, nodes, edges


def _hash_u(idx: pl.Series, salt: int) -> pl.Series:
    """A uniform in [0, 1) from an index: the same row gets the same draw in any part file."""
    return pl.Series((ids.mix64(idx.to_numpy(), salt) % ids.U64(1_000_000)).astype(np.float64) / 1e6)


def mp_events(E: pl.DataFrame, P: pl.DataFrame, orders: pl.DataFrame, tl: Timeline):
    """Compact event rows plus an encoder the writer applies per part file (tens of millions of rows)."""
    openid_by_pid = pl.concat([pl.Series([""]), P.sort("pid")["mp_openid"]])  # pid 1..N -> position pid
    order_id_by_oid = orders.sort("oid")["platform_order_id"]
    x = tl.export_index(E["t"].to_numpy())
    x = np.where(E["dup_next"].fill_null(False).to_numpy(), np.minimum(x + 1, len(tl.export_days) - 1), x)
    frame = E.with_columns(_x=pl.Series(x), _t=pl.col("t"))
    ev_names = pl.Series(mp.EV)
    fixed_page = pl.Series([mp.PAGES[e][0] for e in mp.EV])
    home_pages = pl.Series(mp.PAGES["page_view"])

    def gather(s: pl.Series, idx: pl.Series) -> pl.Series:
        return s.gather(idx.clip(0, None).to_numpy())

    def encode(part: pl.DataFrame) -> pl.DataFrame:
        u = _hash_u(part["eid"], 77)
        page = pl.select(
            pl.when(part["ev"] == mp.E_["page_view"])
            .then(gather(home_pages, (u * 5).cast(pl.Int64)))
            .otherwise(gather(fixed_page, part["ev"].cast(pl.Int64)))
        ).to_series()
        return part.select(
            "_x",
            "_t",
            event_id=J.s(ids.hex_ids(part["eid"].to_numpy(), 32, 21)),
            event_time=J.num(pl.col("t")),
            openid=pl.when(pl.col("openid") >= 0).then(
                J.s(_stray(gather(openid_by_pid, part["openid"]), u, 0.005))
            ),
            anonymous_id=J.s(ids.uuid_ids(part["dev"].to_numpy(), 31)),
            event=J.s(gather(ev_names, part["ev"].cast(pl.Int64))),
            page=J.s(page),
            item_id=pl.when(pl.col("item") >= 0).then(
                J.s(pl.lit("SPU") + (pl.col("item").cast(pl.Int64) + 10001).cast(pl.String))
            ),
            order_id=pl.when(pl.col("oid") >= 0).then(J.s(gather(order_id_by_oid, part["oid"]))),
            amount=pl.when(pl.col("amount") >= 0).then(ids.cents_text(pl.col("amount"))),
            share_from=pl.when(pl.col("share_from") >= 0).then(
                J.s(gather(openid_by_pid, part["share_from"]))
            ),
            channel=pl.when(pl.col("channel") > 0).then(
                J.s(gather(pl.Series(mp.CH), part["channel"].cast(pl.Int64)))
            ),
        )

    # Identity evidence: a device seen with several openids (a family's tablet) is shared: it
    # stays with the openid seen on it first (its owner, who used it before anyone else logged
    # in) and links no other openid.
    once = E.filter(pl.col("dup_next").is_null())
    with_openid = once.filter(pl.col("openid") >= 0).with_columns(
        mp_openid=gather(openid_by_pid, once.filter(pl.col("openid") >= 0)["pid"])
    )
    first_user = (
        with_openid.sort(["t", "mp_openid"])
        .group_by("dev", maintain_order=True)
        .first()
        .select("dev", first_pid="pid")
    )
    dev = once.group_by("dev").agg(owners=pl.col("pid").n_unique(), pid=pl.col("pid").first()).sort("dev")
    dev = dev.with_columns(dev_id=ids.uuid_ids(dev["dev"].to_numpy(), 31))
    dev = dev.join(first_user, on="dev", how="left", maintain_order="left").with_columns(
        pid=pl.when(pl.col("owners") == 1).then("pid").otherwise("first_pid")
    )
    dev_nodes = dev.select(
        type=pl.lit("mp_anonymous_id"),
        value="dev_id",
        pid="pid",
        trap=pl.when(pl.col("owners") > 1).then(pl.lit("shared_device")),
    )
    shared_devs = dev.filter(pl.col("owners") > 1).select("dev")
    pairs = (
        with_openid.select("pid", "dev")
        .unique()
        .join(dev.select("dev", "dev_id", owner="pid"), on="dev")
        .filter(pl.col("pid") == pl.col("owner"))
        .drop("owner")
    )
    pairs = pairs.with_columns(mp_openid=gather(openid_by_pid, pairs["pid"]))
    trapped = once.join(shared_devs, on="dev")["pid"].unique().implode()
    users = once.filter(pl.col("openid") >= 0).select("pid").unique().sort("pid")
    users = users.with_columns(
        mp_openid=gather(openid_by_pid, users["pid"]),
        trap=pl.when(pl.col("pid").is_in(trapped)).then(pl.lit("shared_device")),
    )
    buys = once.filter(pl.col("oid") >= 0).select("pid", "oid").unique()
    buys = buys.with_columns(
        mp_openid=gather(openid_by_pid, buys["pid"]),
        key=pl.lit("miniprogram:") + gather(order_id_by_oid, buys["oid"]),
    )
    nodes = pl.concat(
        [dev_nodes, _node(users, "mp_openid", "mp_openid", trap=pl.col("trap")), _node(buys, "order", "key")]
    )
    edges = pl.concat(
        [
            _edge(pairs, "mp_openid", "mp_openid", "mp_anonymous_id", "dev_id"),
            _edge(buys, "mp_openid", "mp_openid", "order", "key"),
        ]
    )
    return (frame, encode), nodes, edges


def wecom_contacts(P: pl.DataFrame, tl: Timeline, rng, clean: bool):
    c = P.filter(pl.col("wecom") >= 0)
    n = c.height
    n_staff = rng.choice([1, 2, 3], n, p=[0.75, 0.2, 0.05])
    rep = lambda a: np.repeat(a, n_staff)
    j = np.arange(n_staff.sum()) - rep(np.cumsum(n_staff) - n_staff)
    first = rep(c["wecom"].to_numpy())
    ct = np.where(j == 0, first, first + 60_000 + (rng.exponential(60, len(j)) * DAY_MS).astype(np.int64))
    ct -= ct % 1000
    staff = np.asarray(STAFF)[(rep(rng.integers(0, len(STAFF), n)) + j * 5) % len(STAFF)]
    kind = np.where(rng.random(len(j)) < 0.3, "own", "none").astype(object)
    kind = np.where(rep(c["foreign"].to_numpy()), "none", kind)
    staff_phones = pl.Series([f"{ids.STAFF_PHONE_PREFIX}{x:08d}" for x in ids.scramble(np.arange(3), 8, 3)])
    staff_of = rng.integers(0, 3, len(j))
    if not clean:  # staff type their own work phone into hundreds of contacts (>= 12 each at any size)
        per = max(12, round(0.02 * n))
        firsts = np.flatnonzero(j == 0)
        chosen = rng.choice(firsts, min(3 * per, len(firsts)), replace=False)
        kind[chosen] = "staff"
        staff_of[chosen] = np.arange(len(chosen)) % 3
    style = ids.style_choice(rng, len(j), {"plain": 0.6, "spaced": 0.15, "dashed": 0.15, "fullwidth": 0.1})
    e = pl.DataFrame(
        {
            "pid": rep(c["pid"].to_numpy()),
            "j": j,
            "ct": ct,
            "staff": staff,
            "kind": kind,
            "staff_phone": staff_phones[staff_of],
            "style": style,
            "add_way": np.where(j == 0, rep(c["wecom_add_way"].to_numpy()), rng.choice([1, 2, 3], len(j))),
            "state": np.where(j == 0, rep(c["wecom_state"].to_numpy()), ""),
            "tags": np.asarray(WECOM_TAGS)[rng.integers(0, len(WECOM_TAGS), len(j))],
        }
    )
    e = e.filter(pl.col("ct") < tl.end_ms).join(c.select("pid", "phone"), on="pid")
    e = e.with_columns(
        _ex=pl.Series(tl.export_index(e["ct"].to_numpy())),
        shown=pl.when(pl.col("kind") == "own")
        .then(ids.phone_render(pl.col("phone"), pl.col("style")))
        .when(pl.col("kind") == "staff")
        .then("staff_phone"),
    )
    e = e.with_columns(
        elem=J.obj(
            {
                "userid": J.s(pl.col("staff")),
                "remark": J.s(pl.lit("")),
                "description": J.s(pl.lit("")),
                "createtime": J.num(pl.col("ct") // 1000),
                "tags": pl.col("tags"),
                "remark_mobiles": pl.when(pl.col("shown").is_not_null())
                .then(pl.lit('["') + pl.col("shown") + pl.lit('"]'))
                .otherwise(pl.lit("[]")),
                "add_way": J.num(pl.col("add_way")),
                "state": J.s(pl.col("state")),
                "oper_userid": J.s(pl.col("staff")),
            }
        )
    )
    # One line per export that saw a new follow, with every staff member known by then.
    apps = e.select("pid", "_ex").unique().rename({"_ex": "_x"})
    fu = (
        apps.join(e, on="pid")
        .filter(pl.col("_ex") <= pl.col("_x"))
        .sort(["pid", "_x", "ct", "j"])
        .group_by(["pid", "_x"], maintain_order=True)
        .agg(follow_user=pl.lit("[") + pl.col("elem").str.join(",") + pl.lit("]"), _t=pl.col("ct").max())
    )
    typ = pl.Series(np.where(rng.random(n) < 0.97, 1, 2))
    info = c.select("pid", "ext_userid", "wx_nick", "gender", "unionid", "bound").with_columns(
        typ=typ, show_union=pl.col("bound") & (typ == 1) & pl.Series(rng.random(n) < 0.9)
    )
    df = fu.join(info, on="pid").sort(["_x", "_t", "pid"])
    u = _u(rng, df.height)
    frame = df.select(
        "_x",
        "_t",
        **{
            "external_contact.external_userid": J.s(_stray(pl.col("ext_userid"), u, 0.01)),
            "external_contact.name": J.s(pl.col("wx_nick")),
            "external_contact.type": J.num(pl.col("typ")),
            "external_contact.gender": J.num(pl.col("gender")),
            "external_contact.unionid": pl.when("show_union").then(J.s(pl.col("unionid"))),
        },
        follow_user="follow_user",
    )
    trapped = e.filter(pl.col("kind") == "staff")["pid"].unique().implode()
    ext = info.with_columns(trap=pl.when(pl.col("pid").is_in(trapped)).then(pl.lit("staff_phone")))
    own = e.filter(pl.col("kind") == "own").with_columns(norm=pl.lit("+86") + pl.col("phone"))
    staff = (
        e.filter(pl.col("kind") == "staff")
        .unique("staff_phone")
        .with_columns(norm=pl.lit("+86") + pl.col("staff_phone"))
    )
    nodes = pl.concat(
        [
            _node(ext, "wecom_external_userid", "ext_userid", trap=pl.col("trap")),
            _node(ext.filter("show_union"), "wx_unionid", "unionid"),
            _node(own, "phone", "norm"),
            _node(staff, "phone", "norm", pid=None, trap=pl.lit("staff_phone")),
        ]
    )
    edges = pl.concat(
        [
            _edge(ext.filter("show_union"), "wecom_external_userid", "ext_userid", "wx_unionid", "unionid"),
            _edge(
                own.join(c.select("pid", "ext_userid"), on="pid"),
                "wecom_external_userid",
                "ext_userid",
                "phone",
                "norm",
            ),
        ]
    )
    return frame, nodes, edges


def wecom_groups(P: pl.DataFrame, tl: Timeline, rng):
    m = P.filter(pl.col("group") >= 0).sort("group")
    g_n = max(2, m.height // 120)
    create = np.sort(rng.integers(tl.start_ms, tl.end_ms - DAY_MS, g_n))
    create[0] = tl.start_ms + 3_600_000
    create -= create % 1000
    jt = m["group"].to_numpy()
    hi = np.searchsorted(create, jt, side="right")  # groups created by the join
    lo = np.searchsorted(create, jt - 56 * DAY_MS, side="left")  # ... that are still filling up
    g = np.where(hi > lo, lo + (rng.random(len(jt)) * (hi - lo)).astype(np.int64), np.maximum(hi - 1, 0))
    owner = np.asarray(STAFF)[rng.integers(0, len(STAFF), g_n)]
    mem = m.select("pid", "ext_userid", "unionid", "bound").with_columns(
        g=pl.Series(g),
        jt=pl.Series(jt),
        scene=pl.Series(rng.choice([1, 2, 3], len(jt))),
        invitor=pl.Series(owner[g]),
        show_union=pl.col("bound") & pl.Series(rng.random(len(jt)) < 0.6),
    )
    mem = mem.with_columns(
        _ex=pl.Series(tl.export_index(jt)),
        elem=J.obj(
            {
                "userid": J.s(pl.col("ext_userid")),
                "type": pl.lit("2"),
                "unionid": pl.when("show_union").then(J.s(pl.col("unionid"))),
                "join_time": J.num(pl.col("jt") // 1000),
                "join_scene": J.num(pl.col("scene")),
                "invitor": J.obj({"userid": J.s(pl.col("invitor"))}),
            }
        ),
    )
    grp = pl.DataFrame(
        {"g": np.arange(g_n), "create": create, "owner": owner, "_ex": tl.export_index(create)}
    )
    grp = grp.with_columns(
        elem=J.obj(
            {
                "userid": J.s(pl.col("owner")),
                "type": pl.lit("1"),
                "join_time": J.num(pl.col("create") // 1000),
                "join_scene": pl.lit("1"),
            }
        )
    )
    apps = pl.concat([grp.select("g", "_ex"), mem.select("g", "_ex")]).unique().rename({"_ex": "_x"})
    allm = pl.concat([grp.select("g", "_ex", "elem", t="create"), mem.select("g", "_ex", "elem", t="jt")])
    lists = (
        apps.join(allm, on="g")
        .filter(pl.col("_ex") <= pl.col("_x"))
        .sort(["g", "_x", "t"])
        .group_by(["g", "_x"], maintain_order=True)
        .agg(ml=pl.lit("[") + pl.col("elem").str.join(",") + pl.lit("]"), _t=pl.col("t").max())
    )
    df = lists.join(grp.select("g", "create", "owner"), on="g").sort(["_x", "_t", "g"])
    frame = df.select(
        "_x",
        "_t",
        **{
            "group_chat.chat_id": J.s(ids.b64_ids(df["g"].to_numpy(), "wrOgQhDgAA", 22, 41)),
            "group_chat.name": J.s(pl.lit("会员福利群") + (pl.col("g") + 1).cast(pl.String)),
            "group_chat.owner": J.s(pl.col("owner")),
            "group_chat.create_time": J.num(pl.col("create") // 1000),
            "group_chat.member_list": pl.col("ml"),
        },
    )
    nodes = pl.concat(
        [
            _node(mem, "wecom_external_userid", "ext_userid"),
            _node(mem.filter("show_union"), "wx_unionid", "unionid"),
        ]
    )
    edges = _edge(mem.filter("show_union"), "wecom_external_userid", "ext_userid", "wx_unionid", "unionid")
    return frame, nodes, edges

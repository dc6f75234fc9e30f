"""Mini Program behaviour: browsing, shares that bring referred persons, purchases.

Events before a person registers carry only the device id (anonymous_id); the
login event and everything after carry the openid as well, which is how a
device is tied to its person. Referred persons are drawn from real `share`
events: their first touch is a landing event carrying `share_from`.
Events are kept as small integer codes (20 per person: tens of millions of rows).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import ids
from .orders import CATALOGUE
from .population import MP_CHANNELS
from .timeline import DAY_MS, Timeline

BROWSE = [
    "page_view",
    "view_item",
    "add_to_cart",
    "begin_checkout",
    "coupon_claim",
    "share",
    "search",
    "video_play",
]
BROWSE_P = [0.46, 0.25, 0.07, 0.03, 0.04, 0.04, 0.06, 0.05]
EV = BROWSE + ["login", "purchase"]
E_ = {name: i for i, name in enumerate(EV)}
CAMPAIGNS = ["double11", "618_promo", "member_day", "new_arrival", "live_weekly"]
CH = MP_CHANNELS + CAMPAIGNS + ["share"]  # CH[0] == "": no channel
C_ = {name: i for i, name in enumerate(CH)}
PAGES = {
    "page_view": [
        "pages/index/index",
        "pages/category/index",
        "pages/activity/detail",
        "pages/mine/index",
        "pages/member/index",
    ],
    "view_item": ["pages/goods/detail"],
    "add_to_cart": ["pages/goods/detail"],
    "begin_checkout": ["pages/order/confirm"],
    "coupon_claim": ["pages/coupon/center"],
    "share": ["pages/goods/detail"],
    "search": ["pages/search/index"],
    "video_play": ["pages/live/index"],
    "login": ["pages/login/index"],
    "purchase": ["pages/order/result"],
}
ITEM_EVENTS = [E_[e] for e in ("view_item", "add_to_cart", "begin_checkout", "share", "purchase")]
SCHEMA = {
    "pid": pl.Int64,
    "t": pl.Int64,
    "ev": pl.Int8,
    "dev": pl.Int64,
    "openid": pl.Int64,
    "channel": pl.Int8,
    "share_from": pl.Int64,
    "oid": pl.Int64,
    "amount": pl.Int64,
    "item": pl.Int16,
}


def _frame(pid, t, ev, dev, openid, channel=None, share_from=None, oid=None, amount=None, item=None):
    n = len(pid)
    none = np.full(n, -1, dtype=np.int64)
    return pl.DataFrame(
        {
            "pid": pid,
            "t": t,
            "ev": np.broadcast_to(ev, n),
            "dev": dev,
            "openid": openid,
            "channel": np.zeros(n, np.int8) if channel is None else channel,
            "share_from": none if share_from is None else share_from,
            "oid": none if oid is None else oid,
            "amount": none if amount is None else amount,
            "item": none if item is None else item,
        },
        schema=SCHEMA,
    )


def browse(
    p: pl.DataFrame, tl: Timeline, rng: np.random.Generator, landing_from: np.ndarray | None = None
) -> pl.DataFrame:
    """Browsing events of persons with an MP first visit (`mp_first`)."""
    pid, first, reg = p["pid"].to_numpy(), p["mp_first"].to_numpy(), p["reg"].to_numpy()
    registered = reg >= 0
    n_ev = np.where(
        registered, 1 + rng.lognormal(3.55, 1.0, len(pid)).astype(np.int64), 1 + rng.geometric(0.3, len(pid))
    )
    room = tl.end_ms - first - 1000
    span = np.minimum(
        room, np.where(registered, rng.uniform(20, 450, len(pid)), rng.uniform(0.01, 3, len(pid))) * DAY_MS
    )
    span = np.maximum(span, 0).astype(np.int64)
    rep = lambda a: np.repeat(a, n_ev)
    nth = np.arange(n_ev.sum()) - rep(np.cumsum(n_ev) - n_ev)
    n = len(nth)
    t = (
        rep(first)
        + np.where(nth == 0, 0, (rng.random(n) * rep(span)).astype(np.int64))
        + rng.integers(0, 1000, n)
    )
    ev = rng.choice(len(BROWSE), n, p=BROWSE_P).astype(np.int8)
    has_openid = rep(registered) & (t >= rep(reg))
    ev[(ev == E_["share"]) & ~has_openid] = E_["page_view"]
    ev[nth == 0] = E_["page_view"]
    second = rep(p["dev2"].to_numpy()) & has_openid & (rng.random(n) < 0.25)
    first_ch = np.array([C_[c] for c in MP_CHANNELS], np.int8)[
        pl.Series(p["mp_channel"]).replace_strict({c: i for i, c in enumerate(MP_CHANNELS)}).to_numpy()
    ]
    campaign = np.where(
        rng.random(n) < 0.08, C_[CAMPAIGNS[0]] + rng.integers(0, len(CAMPAIGNS), n), 0
    ).astype(np.int8)
    channel = np.where(nth == 0, rep(first_ch), campaign).astype(np.int8)
    share_from = np.full(n, -1, dtype=np.int64)
    if landing_from is not None:
        share_from = np.where(nth == 0, rep(landing_from), -1)
        channel = np.where(nth == 0, C_["share"], channel).astype(np.int8)
    item = np.where(np.isin(ev, ITEM_EVENTS), rng.integers(0, len(CATALOGUE), n), -1)
    out = _frame(
        rep(pid),
        t,
        ev,
        rep(pid) * 2 + second,
        np.where(has_openid, rep(pid), -1),
        channel,
        share_from,
        item=item,
    )
    # The login event ties the first device to the openid.
    lg = p.filter(pl.col("reg") >= 0)
    lp = lg["pid"].to_numpy()
    login = _frame(
        lp, lg["reg"].to_numpy() + rng.integers(0, 1000, lg.height), np.int8(E_["login"]), lp * 2, lp
    )
    return pl.concat([out, login])


def assign_referrals(persons: pl.DataFrame, events: pl.DataFrame, tl: Timeline, seed: int) -> pl.DataFrame:
    """Referred persons: first touch = a landing shortly after a real share event."""
    rng = ids.rng_for(seed, "referrals")
    shares = events.filter((pl.col("ev") == E_["share"]) & (pl.col("t") < tl.end_ms - 2 * DAY_MS))
    is_ref = persons["c0"] == "referral"
    n_ref = int(is_ref.sum())
    if shares.height == 0:  # tiny populations: nobody shared, nobody can be referred
        return persons.with_columns(
            c0=pl.when(is_ref).then(pl.lit("mp")).otherwise("c0"), inviter=pl.lit(-1, pl.Int64)
        )
    pick = rng.integers(0, shares.height, n_ref)
    aware = shares["t"].to_numpy()[pick] + 60_000 + (rng.exponential(0.3, n_ref) * DAY_MS).astype(np.int64)
    aware = np.minimum(aware, tl.end_ms - 60_000)
    aware -= aware % 1000
    registered = rng.random(n_ref) < 0.5
    reg = np.where(registered, aware + 60_000 + (rng.exponential(1, n_ref) * DAY_MS).astype(np.int64), -1)
    reg = np.where(reg < tl.end_ms, reg - np.where(reg >= 0, reg % 1000, 0), -1)
    auth = np.where((reg >= 0) & (rng.random(n_ref) < 0.5), reg, -1)
    ref = persons.filter(is_ref)
    delta = aware - ref["aware"].to_numpy()

    def shift(col: str) -> np.ndarray:  # keep the person's other touches relative to the new first touch
        x = ref[col].to_numpy()
        y = x + delta
        return np.where((x >= 0) & (y < tl.end_ms), y, -1)

    upd = ref.with_columns(
        aware=aware,
        mp_first=aware,
        reg=reg,
        auth=auth,
        foreign=False,
        **{c: shift(c) for c in ["oa", "oa_unsub", "oa_refollow", "wecom", "group", "crm", "t1"]},
        inviter=shares["pid"].to_numpy()[pick],
    )
    upd = upd.with_columns(oa_unsub=pl.when(pl.col("oa") >= 0).then("oa_unsub").otherwise(-1)).with_columns(
        oa_refollow=pl.when(pl.col("oa_unsub") >= 0).then("oa_refollow").otherwise(-1)
    )
    rest = persons.filter(~is_ref).with_columns(inviter=pl.lit(-1, pl.Int64))
    return pl.concat([rest, upd.select(rest.columns)]).sort("pid")


def purchases(orders: pl.DataFrame, persons: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Purchase events (one per mini-program order) and the funnel events before them."""
    mp = orders.filter(pl.col("platform") == "miniprogram").join(persons.select("pid", "dev2"), on="pid")
    pid, t = mp["pid"].to_numpy(), mp["t_c"].to_numpy()
    dev = pid * 2 + (mp["dev2"].to_numpy() & (rng.random(len(pid)) < 0.25))
    item = rng.integers(0, len(CATALOGUE), len(pid))
    frames = []
    for ev, lo, hi in [("view_item", 300, 2400), ("add_to_cart", 120, 300), ("begin_checkout", 10, 90)]:
        dt = rng.integers(lo * 1000, hi * 1000, len(pid))
        frames.append(_frame(pid, t - dt, np.int8(E_[ev]), dev, pid, item=item))
    kept = ~mp["lost_event"].to_numpy()  # a few purchase events never reached the tracker
    frames.append(
        _frame(
            pid[kept],
            t[kept],
            np.int8(E_["purchase"]),
            dev[kept],
            pid[kept],
            oid=mp["oid"].to_numpy()[kept],
            amount=mp["pay_cents"].to_numpy()[kept],
            item=item[kept],
        )
    )
    return pl.concat(frames)


def finish(events: pl.DataFrame, persons: pl.DataFrame, seed: int, clean: bool) -> pl.DataFrame:
    """Shares clicked by existing persons, shared devices (trap), ids, duplicates."""
    rng = ids.rng_for(seed, "mp_finish")
    events = events.sort(["t", "pid", "ev"])
    n = events.height
    own = events["pid"].to_numpy()
    registered = persons.filter(pl.col("reg") >= 0)["pid"].to_numpy()
    # ~1% of later page views come from someone's share link: not a referral (they already exist).
    click = (
        (events["ev"] == E_["page_view"]).to_numpy()
        & (events["share_from"] < 0).to_numpy()
        & (events["channel"] != C_["share"]).to_numpy()
        & (rng.random(n) < 0.01)
    )
    sharer = registered[rng.integers(0, len(registered), n)] if len(registered) else np.full(n, -1)
    click &= (sharer != own) & (sharer >= 0)
    click[events.with_row_index("i").group_by("pid").agg(pl.col("i").min())["i"].to_numpy()] = False
    share_from = np.where(click, sharer, events["share_from"].to_numpy())
    dev = events["dev"].to_numpy().copy()
    shared = np.zeros(n, bool)
    if not clean and len(registered) >= 2:  # families sharing one phone: one device seen with several openids
        top = int(persons["pid"].max()) + 1
        fam = rng.permutation(registered)[: max(2, len(registered) // 100) // 2 * 2]
        shared_dev = np.full(top, -1, dtype=np.int64)
        shared_dev[fam] = 2 * top + np.arange(len(fam)) // 2
        sd = shared_dev[own]
        shared = (
            (sd >= 0)
            & (events["openid"] >= 0).to_numpy()
            & (events["ev"] != E_["login"]).to_numpy()
            & (rng.random(n) < 0.3)
        )
        dev = np.where(shared, sd, dev)
    events = events.with_columns(
        share_from=share_from, dev=dev, shared=shared, eid=pl.int_range(n, dtype=pl.Int64)
    )
    dup = rng.random(n) < 0.005  # the tracker delivers some events twice
    copies = events.filter(pl.Series(dup)).with_columns(dup_next=pl.Series(rng.random(int(dup.sum())) < 0.5))
    return pl.concat([events.with_columns(dup_next=pl.lit(None, pl.Boolean)), copies])

"""Persons and their touch points with the private domain.

Each person gets a first-touch channel and, strictly later (>= 1 minute, so
no ties decide the acquisition channel), the other touches they make: OA follow,
MP visit/registration, WeCom add, group join, CRM registration, orders. Times
are epoch ms; a touch that would fall after as-of does not happen. Referred
persons are created later from real MP share events (see mp.py).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import ids
from .timeline import DAY_MS, Timeline

CHANNELS = ["platform", "oa", "wecom", "mp", "referral", "group", "crm"]
CHANNEL_P = [0.38, 0.14, 0.12, 0.14, 0.06, 0.04, 0.12]
PLATFORMS = ["tmall", "jd", "douyin", "youzan", "miniprogram", "offline"]
PLATFORM_P = np.array([0.32, 0.14, 0.14, 0.10, 0.22, 0.08])
OA_QR = ["store_sh01", "store_bj02", "pkg_insert", "live_room", "event_booth", "poster_mall", "kol_xhs"]
OA_SCENES = [
    "ADD_SCENE_SEARCH",
    "ADD_SCENE_PROFILE_CARD",
    "ADD_SCENE_ACCOUNT_MIGRATION",
    "ADD_SCENE_WECHAT_ADVERTISEMENT",
    "ADD_SCENE_OTHERS",
    "ADD_SCENE_PAID",
]
WECOM_STATES = ["store_sh01", "pkg_card", "live_0618", "ad_moments", "guide_card", "mp_popup"]
WECOM_ADD_WAYS = [1, 2, 3, 201]
MP_CHANNELS = ["", "moments_ad", "kol_live", "search_brand", "poster_store", "sms_push", "oa_menu"]
CRM_CHANNELS = ["门店", "小程序", "公众号", "天猫旗舰店", "导购推荐", "线下活动"]


def _later(rng, base: np.ndarray, mean_days: float, tl: Timeline, active: np.ndarray) -> np.ndarray:
    """A touch at least one minute after `base`; -1 when it does not happen before as-of."""
    t = base + 60_000 + (rng.exponential(mean_days, len(base)) * DAY_MS).astype(np.int64)
    t -= t % 1000
    return np.where(active & (t < tl.end_ms), t, -1)


def simulate(n: int, tl: Timeline, seed: int) -> pl.DataFrame:
    rng = ids.rng_for(seed, "population")
    span = tl.end_ms - tl.start_ms
    c0 = rng.choice(len(CHANNELS), n, p=CHANNEL_P)
    is_ = {c: c0 == i for i, c in enumerate(CHANNELS)}
    # Growth: half the persons arrive uniformly, half on a ramp (more recent ones).
    u = np.where(rng.random(n) < 0.45, rng.random(n), np.sqrt(rng.random(n)))
    aware = tl.start_ms + (u * (span - DAY_MS)).astype(np.int64)
    aware -= aware % 1000

    wechat = (
        (c0 >= 1) & (c0 <= 5)
        | (is_["crm"] & (rng.random(n) < 0.6))
        | (is_["platform"] & (rng.random(n) < 0.35))
    )
    bound = wechat & (rng.random(n) < 0.85)  # bound to the Open Platform: a unionid exists

    def touch(first: np.ndarray, p_later: float, mean_days: float) -> np.ndarray:
        later = _later(rng, aware, mean_days, tl, wechat & ~first & (rng.random(n) < p_later))
        return np.where(first, aware, later)

    oa = touch(is_["oa"], 0.35, 60)
    wecom = touch(is_["wecom"], 0.30, 45)
    group = touch(is_["group"], 0.12, 60)
    mp_first = touch(is_["mp"], 0.45, 40)  # referral persons get theirs in mp.py
    crm_later = _later(rng, aware, 90, tl, ~is_["crm"] & (rng.random(n) < 0.18))
    crm = np.where(is_["crm"], aware, crm_later)

    has_mp = mp_first >= 0
    registered = has_mp & (rng.random(n) < np.where(is_["mp"], 0.75, 0.88))
    reg = np.where(registered, mp_first + 30_000 + (rng.exponential(2, n) * DAY_MS).astype(np.int64), -1)
    reg -= np.where(reg >= 0, reg % 1000, 0)
    reg = np.where(reg < tl.end_ms, reg, -1)
    authorised = (reg >= 0) & (rng.random(n) < 0.6)
    auth = np.where(
        authorised,
        reg + np.where(rng.random(n) < 0.5, 0, (rng.exponential(10, n) * DAY_MS).astype(np.int64)),
        -1,
    )
    auth = np.where(auth < tl.end_ms, auth - np.where(auth >= 0, auth % 1000, 0), -1)
    foreign = (auth >= 0) & (rng.random(n) < 0.015)

    # Buying: platform-first persons are buyers by definition (their first order is the touch).
    p_buy = np.where(is_["platform"], 1.0, np.where(has_mp & (reg < 0), 0.15, 0.5))
    t1 = np.where(is_["platform"], aware, _later(rng, aware, 25, tl, rng.random(n) < p_buy))
    # Heavy tail: most buyers buy once, a few are loyal (capped to stay plausible).
    k = np.where(rng.random(n) < 0.55, 1, 1 + np.minimum(np.floor(rng.pareto(1.25, n) * 4.6), 400)).astype(
        np.int64
    )
    pref_p = np.tile(PLATFORM_P, (n, 1))
    pref_p[reg >= 0, 4] = 1.2  # registered MP users mostly buy in the Mini Program
    pref_p[reg < 0, 4] = 0.0
    pref = (pref_p.cumsum(1) / pref_p.sum(1, keepdims=True) > rng.random((n, 1))).argmax(1)

    oa_unsub = _later(rng, oa, 120, tl, (oa >= 0) & (rng.random(n) < 0.15))
    oa_refollow = _later(rng, oa_unsub, 60, tl, (oa_unsub >= 0) & (rng.random(n) < 0.3))
    qr = rng.random(n) < np.where(is_["oa"], 0.6, 0.4)
    return pl.DataFrame(
        {
            "pid": np.arange(1, n + 1, dtype=np.int64),
            "c0": np.asarray(CHANNELS)[c0],
            "aware": aware,
            "wechat": wechat,
            "bound": bound,
            "foreign": foreign,
            "oa": oa,
            "oa_unsub": oa_unsub,
            "oa_refollow": oa_refollow,
            "oa_qr_str": np.where(
                qr & (rng.random(n) < 0.9), np.asarray(OA_QR)[rng.integers(0, len(OA_QR), n)], ""
            ),
            "oa_qr_int": np.where(qr, rng.integers(1000, 1100, n), 0),
            "oa_scene": np.where(
                qr, "ADD_SCENE_QR_CODE", np.asarray(OA_SCENES)[rng.integers(0, len(OA_SCENES), n)]
            ),
            "oa_scene2": np.asarray(OA_SCENES)[rng.integers(0, len(OA_SCENES), n)],  # scene of a re-follow
            "wecom": wecom,
            "wecom_state": np.where(
                rng.random(n) < 0.75, np.asarray(WECOM_STATES)[rng.integers(0, len(WECOM_STATES), n)], ""
            ),
            "wecom_add_way": np.asarray(WECOM_ADD_WAYS)[rng.integers(0, len(WECOM_ADD_WAYS), n)],
            "group": group,
            "mp_first": mp_first,
            "reg": reg,
            "auth": auth,
            "mp_channel": np.asarray(MP_CHANNELS)[rng.integers(0, len(MP_CHANNELS), n)],
            "crm": crm,
            "crm_channel": np.asarray(CRM_CHANNELS)[rng.integers(0, len(CRM_CHANNELS), n)],
            "t1": t1,
            "k": k,
            "pref": pref,
            "dev2": (reg >= 0) & (rng.random(n) < 0.2),  # a second phone used after login
            "u": rng.random(n),  # a per-person uniform for later choices (traps, ...)
        }
    )


def identities(persons: pl.DataFrame, seed: int, clean: bool) -> pl.DataFrame:
    """Every person's own ids, names and contact data (used wherever a source shows them)."""
    rng = ids.rng_for(seed, "identities")
    n = persons.height
    pid = persons["pid"].to_numpy()
    addr = ids.addresses(rng, n)
    foreign_num = (
        pl.Series(np.where(rng.random(n) < 0.8, "+852", "+853"))
        + pl.Series(np.where(rng.random(n) < 0.5, "6", "9"))
        + ids.digit_ids(pid, "", 7, 5)
    )
    out = persons.with_columns(
        unionid=ids.b64_ids(pid, "o6_bmj", 22, 1),
        oa_openid=ids.b64_ids(pid, "oQmVN5", 22, 2),
        mp_openid=ids.b64_ids(pid, "o3xYt0", 22, 3),
        ext_userid=ids.b64_ids(pid, "wmqfasdAAA", 22, 4),
        crm_id=ids.digit_ids(pid, "M", 9, 6),
        phone=ids.mainland_phones(pid, 7),
        foreign_phone=foreign_num,
        name=ids.names(rng, n),
        wx_nick=ids.pick(rng, ids.NICK_WORDS, n) + ids.pick(rng, ids.GIVEN, n),
        tmall_nick=ids.pick(rng, ids.NICK_WORDS, n) + ids.digit_ids(pid, "", 7, 8),
        jd_pin="jd_" + ids.hex_ids(pid, 10, 9),
        dy_nick="抖音用户" + ids.digit_ids(pid, "", 9, 10),
        yz_nick=ids.pick(rng, ids.NICK_WORDS, n)
        + ids.pick(rng, ids.NICK_WORDS, n)
        + ids.digit_ids(pid, "", 5, 11),
        province=addr["province"],
        city=addr["city"],
        district=addr["district"],
        address_detail=addr["detail"],
        gender=pl.Series(rng.choice([0, 1, 2], n, p=[0.1, 0.35, 0.55])),
        birthday=pl.Series(rng.integers(-8000, 12000, n)).cast(pl.Date).cast(pl.String),
    )
    # CRM phone: mostly the person's own number; junk numbers typed at the counter (trap); some empty.
    junk_n = 0 if clean else int(np.clip(n // 1000, 6, 300))
    crm_rows = np.flatnonzero(out["crm"].to_numpy() >= 0)
    crm_phone = np.full(n, "own", dtype=object)
    crm_phone[out["foreign"].to_numpy()] = "none"
    crm_phone[crm_rows[rng.random(len(crm_rows)) < 0.03]] = "none"
    if junk_n and len(crm_rows) > 3 * junk_n:
        chosen = rng.choice(crm_rows, 3 * junk_n, replace=False)
        crm_phone[chosen] = np.repeat(ids.JUNK_PHONES, junk_n)
    # One number, two CRM members (trap): a family member registered with a relative's phone
    # (shared_phone), or the carrier recycled a lapsed member's number to a new customer who
    # registered with it later (recycled_phone). The number belongs to neither.
    phone = out["phone"].to_numpy().copy()
    phone_trap = np.full(n, None, dtype=object)
    own_crm = np.flatnonzero((crm_phone == "own") & (out["crm"].to_numpy() >= 0))
    pairs = 0 if clean else int(np.clip(n // 1000, 2, 400))
    if len(own_crm) >= 8 * pairs > 0:
        chosen = rng.choice(own_crm, 4 * pairs, replace=False)
        family, recycled = chosen[: 2 * pairs].reshape(-1, 2), chosen[2 * pairs :].reshape(-1, 2)
        crm_t = out["crm"].to_numpy()
        # recycled: the later registration gets the earlier member's number
        recycled = np.where(
            (crm_t[recycled[:, 0]] <= crm_t[recycled[:, 1]])[:, None], recycled, recycled[:, ::-1]
        )
        for kind, pair in (("shared_phone", family), ("recycled_phone", recycled)):
            phone[pair[:, 1]] = phone[pair[:, 0]]
            phone_trap[pair.ravel()] = kind
    anchored = ((out["auth"] >= 0) & ~out["foreign"]) | ((out["crm"] >= 0) & pl.Series(crm_phone == "own"))
    anchored &= pl.Series(phone_trap == None)  # noqa: E711 (element-wise)
    return out.with_columns(
        crm_phone_kind=pl.Series(crm_phone, dtype=pl.String),
        anchored=anchored,
        phone=pl.Series(phone.tolist(), dtype=pl.String),
        phone_trap=pl.Series(phone_trap.tolist(), dtype=pl.String),
    )

"""Vectorised identifiers, names and phone renderings.

Ids are bijections of a sequence number, so they are unique by construction
(no retry loops, no collision checks) yet look random. Bad rows draw their
fresh keys from indices far above any real one, so they can never collide
with a real record.
"""

from __future__ import annotations

import zlib

import numpy as np
import polars as pl

FRESH_BASE = 900_000_000  # index offset of the ids of planted bad rows
B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", np.uint8)
HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
U64 = np.uint64


def rng_for(seed: int, name: str) -> np.random.Generator:
    """An independent stream per simulation part: changing one part leaves the others."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def mix64(x: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 finaliser: a bijection of uint64, so distinct inputs stay distinct."""
    with np.errstate(over="ignore"):
        z = np.asarray(x, dtype=U64) ^ U64(salt & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
        return z ^ (z >> U64(31))


def _chars(words: list[np.ndarray], bits: int, alphabet: np.ndarray, n_chars: int) -> np.ndarray:
    out = np.empty((len(words[0]), n_chars), dtype=np.uint8)
    per = 64 // bits
    for k in range(n_chars):
        w = words[k // per]
        out[:, k] = alphabet[((w >> U64(bits * (k % per))) & U64((1 << bits) - 1)).astype(np.int64)]
    return out


def _to_str(mat: np.ndarray, prefix: str) -> pl.Series:
    s = pl.Series(np.ascontiguousarray(mat).view(f"S{mat.shape[1]}").ravel()).cast(pl.String)
    return (prefix + s) if prefix else s


def b64_ids(idx: np.ndarray, prefix: str, n_chars: int, salt: int) -> pl.Series:
    """WeChat-looking ids; the first 11 characters alone encode a bijection of idx."""
    words = [mix64(idx, salt + 7919 * k) for k in range((n_chars + 9) // 10)]
    return _to_str(_chars(words, 6, B64, n_chars), prefix)


def hex_ids(idx: np.ndarray, n_chars: int, salt: int, prefix: str = "") -> pl.Series:
    words = [mix64(idx, salt + 104729 * k) for k in range((n_chars + 15) // 16)]
    return _to_str(_chars(words, 4, HEX, n_chars), prefix)


def uuid_ids(idx: np.ndarray, salt: int) -> pl.Series:
    h = hex_ids(idx, 32, salt)
    return pl.concat_str(
        [h.str.slice(0, 8), h.str.slice(8, 4), h.str.slice(12, 4), h.str.slice(16, 4), h.str.slice(20, 12)],
        separator="-",
    )


def _mixk(x: np.ndarray, k: int, salt: int) -> np.ndarray:
    """A bijection of k-bit integers: xor-shifts and odd multiplications mod 2**k."""
    mask = U64((1 << k) - 1)
    with np.errstate(over="ignore"):
        x = (x + U64(salt)) & mask
        for mult in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB):
            x ^= x >> U64(k // 2)
            x = (x * U64(mult | 1)) & mask
        return x


def scramble(idx: np.ndarray, digits: int, salt: int) -> np.ndarray:
    """A random-looking bijection of [0, 10**digits) (digits <= 18), by cycle walking."""
    m = 10**digits
    k = int(m - 1).bit_length()
    x = _mixk(np.asarray(idx, dtype=np.int64).astype(U64) % U64(m), k, salt)
    out = x.copy()
    todo = np.flatnonzero(out >= U64(m))
    while len(todo):  # at most a few rounds: 2**k < 2 * 10**digits
        out[todo] = _mixk(out[todo], k, salt)
        todo = todo[out[todo] >= U64(m)]
    return out.astype(np.int64)


def digit_ids(idx: np.ndarray, prefix: str, digits: int, salt: int) -> pl.Series:
    return prefix + pl.Series(scramble(idx, digits, salt)).cast(pl.String).str.zfill(digits)


# --- people --------------------------------------------------------------------------------
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏宇浩凯晨欣怡佳琪子涵雨轩梓睿博诗悦婷雪晓峰斌颖琳倩蕾楠"
)
NICK_WORDS = [
    "小",
    "大",
    "爱",
    "快乐",
    "幸福",
    "阳光",
    "微笑",
    "甜甜",
    "星星",
    "月亮",
    "清风",
    "海洋",
    "糖果",
    "可乐",
    "咖啡",
    "奶茶",
    "饭团",
    "橘子",
    "柠檬",
    "西瓜",
    "草莓",
    "koala",
    "sunny",
    "lucky",
    "momo",
    "tina",
    "leo",
    "amy",
    "jack",
    "coco",
]
PROVINCES = [
    ("上海", "上海市", ["浦东新区", "徐汇区", "静安区", "闵行区"]),
    ("北京", "北京市", ["朝阳区", "海淀区", "东城区", "丰台区"]),
    ("广东省", "广州市", ["天河区", "越秀区", "海珠区", "番禺区"]),
    ("广东省", "深圳市", ["南山区", "福田区", "宝安区", "龙岗区"]),
    ("浙江省", "杭州市", ["西湖区", "余杭区", "拱墅区", "滨江区"]),
    ("江苏省", "南京市", ["鼓楼区", "玄武区", "建邺区", "江宁区"]),
    ("江苏省", "苏州市", ["姑苏区", "吴中区", "工业园区", "昆山市"]),
    ("四川省", "成都市", ["武侯区", "锦江区", "高新区", "青羊区"]),
    ("湖北省", "武汉市", ["武昌区", "洪山区", "江汉区", "江岸区"]),
    ("山东省", "青岛市", ["市南区", "崂山区", "黄岛区", "李沧区"]),
]
ROADS = ["人民路", "中山路", "解放路", "建设路", "和平路", "长江路", "南京路", "文化路", "新华路", "青年路"]


def pick(rng: np.random.Generator, values: list[str], n: int, p=None) -> pl.Series:
    return pl.Series(np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)], dtype=pl.String)


def names(rng: np.random.Generator, n: int) -> pl.Series:
    g1, g2 = pick(rng, GIVEN, n), pick(rng, GIVEN, n)
    two = pl.Series(rng.random(n) < 0.6)
    return pick(rng, SURNAMES, n) + pl.select(pl.when(two).then(g1 + g2).otherwise(g1)).to_series()


def addresses(rng: np.random.Generator, n: int) -> pl.DataFrame:
    k = rng.integers(0, len(PROVINCES), n)
    prov = pl.Series([p[0] for p in PROVINCES])[k]
    city = pl.Series([p[1] for p in PROVINCES])[k]
    dist = pl.Series([d for p in PROVINCES for d in p[2]])[k * 4 + rng.integers(0, 4, n)]
    detail = (
        pick(rng, ROADS, n)
        + pl.Series(rng.integers(1, 999, n)).cast(pl.String)
        + "号"
        + pl.Series(rng.integers(1, 30, n)).cast(pl.String)
        + "栋"
        + pl.Series(rng.integers(101, 2808, n)).cast(pl.String)
        + "室"
    )
    return pl.DataFrame({"province": prov, "city": city, "district": dist, "detail": detail})


# --- phones --------------------------------------------------------------------------------
PHONE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        135,
        136,
        137,
        150,
        151,
        152,
        155,
        156,
        157,
        158,
        159,
        166,
        175,
        176,
        177,
        180,
        181,
        182,
        185,
        186,
        187,
        188,
        189,
        191,
        198,
    ]
)
JUNK_PHONES = ["13800138000", "11111111111", "13888888888"]  # prefixes 138/111 are never real here
STAFF_PHONE_PREFIX = 199  # staff work phones, never a customer's prefix
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}


def mainland_phones(idx: np.ndarray, salt: int) -> pl.Series:
    """Unique 11-digit numbers: the 8-digit suffix is a bijection of idx (< 10**8)."""
    pref = PHONE_PREFIXES[mix64(idx, salt) % U64(len(PHONE_PREFIXES))]
    return pl.Series(pref).cast(pl.String) + pl.Series(scramble(idx, 8, salt)).cast(pl.String).str.zfill(8)


def phone_render(phone: pl.Expr, style: pl.Expr | str) -> pl.Expr:
    """Render an 11-digit mainland number in one of the spellings exports use."""
    forms = {
        "plain": phone,
        "quote": pl.lit("'") + phone,
        "86dash": pl.lit("86-") + phone,
        "spaced": pl.concat_str(
            [
                pl.lit("+86 "),
                phone.str.slice(0, 3),
                pl.lit(" "),
                phone.str.slice(3, 4),
                pl.lit(" "),
                phone.str.slice(7, 4),
            ]
        ),
        "dashed": pl.concat_str(
            [phone.str.slice(0, 3), pl.lit("-"), phone.str.slice(3, 4), pl.lit("-"), phone.str.slice(7, 4)]
        ),
        "fullwidth": phone.str.replace_many(list(FULLWIDTH), list(FULLWIDTH.values())),
        "mask4": phone.str.slice(0, 3) + pl.lit("****") + phone.str.slice(7, 4),
        "mask6": phone.str.slice(0, 1) + pl.lit("******") + phone.str.slice(7, 4),
    }
    if isinstance(style, str):
        return forms[style]
    out = phone
    for name, expr in forms.items():
        out = pl.when(style == name).then(expr).otherwise(out)
    return out


def style_choice(rng: np.random.Generator, n: int, styles: dict[str, float]) -> pl.Series:
    keys = list(styles)
    p = np.array(list(styles.values()), dtype=float)
    return pick(rng, keys, n, p / p.sum())


def cents_text(cents: pl.Expr, thousands: bool = False) -> pl.Expr:
    """Integer fen -> yuan text with two decimals (optionally `1,299.00`)."""
    yuan = cents // 100
    frac = (cents % 100).cast(pl.String).str.zfill(2)
    if not thousands:
        return pl.concat_str([yuan.cast(pl.String), pl.lit("."), frac])
    head = (
        pl.when(yuan >= 1000)
        .then(
            pl.concat_str(
                [(yuan // 1000).cast(pl.String), pl.lit(","), (yuan % 1000).cast(pl.String).str.zfill(3)]
            )
        )
        .otherwise(yuan.cast(pl.String))
    )
    return pl.concat_str([head, pl.lit("."), frac])

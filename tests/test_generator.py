"""Tests of the demo landing generator (sources/generator).

They run the generator at a small scale and read the files back the way the
ingestion will (csv module, json, fastexcel as text) with the contract rules,
so "exactly the planted rows are bad" is checked against the real bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import fastexcel
import polars as pl
import pytest
import yaml

from sources.generator import Config, generate

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = {
    p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ROOT / "sources/contracts").glob("*.yml")
}
AS_OF = dt.date(2026, 11, 22)
SOURCES = sorted(CONTRACTS)

# --- a reader that applies the contract rules (sources/README.md) ---------------------------
FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
TS_PATTERNS = [
    r"\d{4}-\d{2}-\d{2}( \d{1,2}:\d{2}(:\d{2})?)?",
    r"\d{4}/\d{1,2}/\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?",
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?",
]


def _text(v):
    if v is None:
        return None
    v = str(v).strip()
    if v.startswith('="') and v.endswith('"'):
        v = v[2:-1]
    return None if v in ("", "——", "—") else v


def _valid_ts(v: str) -> bool:
    if re.fullmatch(r"\d+(\.\d+)?", v):  # Excel serial number
        return 20000 < float(v) < 80000
    if not any(re.fullmatch(p, v) for p in TS_PATTERNS):
        return False
    nums = [int(x) for x in re.findall(r"\d+", v)[:6]]
    try:
        dt.datetime(*nums[:3], *(nums[3:6] + [0, 0, 0])[:3])
        return True
    except ValueError:
        return False


def problems(col: dict, raw) -> str | None:
    """Why this cell would be rejected (None when it loads)."""
    typ = col["type"]
    v = _text(raw)
    if typ == "id" and v is not None:
        v = v.lstrip("'\t") or None
    if v is None:
        return "missing" if col.get("required") else None
    if typ == "int" and not re.fullmatch(r"[+-]?\d+(\.0+)?", v):
        return "bad_int"
    if typ == "decimal":
        d = v.translate(FULLWIDTH).replace("元", "").replace("¥", "").replace(",", "")
        if d not in ("-",) and not re.fullmatch(r"[+-]?\d+(\.\d+)?", d):
            return "bad_amount"
    if typ == "timestamp" and not _valid_ts(v):
        return "bad_timestamp"
    if typ in ("unix_s", "unix_ms") and not re.fullmatch(r"\d+", v):
        return "bad_timestamp"
    return None


def read_table(path: Path, encoding: str | None) -> tuple[list[str], list[list]]:
    if path.suffix == ".xlsx":
        df = fastexcel.read_excel(path).load_sheet(0, dtypes="string", header_row=None).to_polars()
        rows = [list(r) for r in df.iter_rows()]
        return [str(h) for h in rows[0]], rows[1:]
    raw = path.read_bytes()
    text = raw.decode({"gbk": "gb18030"}.get(encoding, encoding))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def file_rows(landing: Path, f: dict):
    """(row_number, {column name: raw value} or None if malformed) for every data row of a file."""
    contract = CONTRACTS[f["source"]]
    path = landing / f["source_file"]
    if f["format"] == "jsonl":
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                yield i, None
                continue
            vals = {}
            for col in contract["columns"]:
                cur = obj
                for part in col["path"].split("."):
                    cur = cur.get(part) if isinstance(cur, dict) else None
                vals[col["name"]] = (
                    None
                    if cur is None
                    else (json.dumps(cur, ensure_ascii=False) if isinstance(cur, (list, dict)) else cur)
                )
            yield i, vals
        return
    header, rows = read_table(path, f["encoding"])
    names = {}
    for col in contract["columns"]:
        for h in [col["header"], *col.get("aliases", [])]:
            names[h] = col["name"]
    idx = {}
    for j, h in enumerate(header):
        name = names.get(str(h).strip())
        if name and name not in idx:  # a repeated header (Youzan 分销员): the first one wins
            idx[name] = j
    for i, r in enumerate(rows, start=1):
        yield i, {n: r[j] for n, j in idx.items()}


def row_reasons(source: str, vals: dict | None) -> list[tuple[str, str]]:
    if vals is None:
        return [("_line", "malformed_json")]
    out = []
    key = set(CONTRACTS[source]["record_key"])
    for col in CONTRACTS[source]["columns"]:
        p = problems(col, vals.get(col["name"]))
        if p == "missing":
            out.append(
                (
                    col["name"],
                    "missing_key" if col["name"] in key and source != "erp_sales" else "missing_required",
                )
            )
        elif p == "bad_int":
            out.append((col["name"], "bad_int"))
        elif p:
            out.append((col["name"], p))
        for field, typ in (col.get("items") or {}).items():  # typed fields of a JSON list's objects
            for k, item in enumerate(json.loads(vals.get(col["name"]) or "[]")):
                if p := problems({"type": typ}, item.get(field)):
                    out.append((f"{col['name']}[{k}].{field}", p))
    return out


def scan(landing: Path, truth: Path) -> tuple[set, set]:
    """(planted bad rows, rows the reader finds bad) as sets of (file, row, column, reason)."""
    files = pl.read_parquet(truth / "files.parquet")
    found = set()
    for f in files.iter_rows(named=True):
        for i, vals in file_rows(landing, f):
            for col, reason in row_reasons(f["source"], vals):
                found.add((f["source_file"], i, col, reason))
    planted = {
        (r["source_file"], r["row_number"], r["column_name"], r["reason"])
        for r in pl.read_parquet(truth / "bad_rows.parquet").iter_rows(named=True)
    }
    return planted, found


# --- fixtures -------------------------------------------------------------------------------
def run(tmp: Path, persons: int, seed: int = 7, clean: bool = False, **kw) -> tuple[Path, Path]:
    landing = tmp / "landing"
    generate(Config(seed=seed, persons=persons, out=landing, as_of=AS_OF, clean=clean, **kw))
    return landing, tmp / "ground_truth"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return run(tmp_path_factory.mktemp("gen"), 1500)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- tests ----------------------------------------------------------------------------------
def test_same_seed_same_bytes(tree, tmp_path):
    landing, truth = tree
    again, again_truth = run(tmp_path, 1500)
    assert _digest(landing) == _digest(again)
    assert _digest(truth) == _digest(again_truth)


def test_other_seed_differs(tree, tmp_path):
    other, _ = run(tmp_path, 1500, seed=8)
    assert _digest(tree[0]) != _digest(other)


def test_every_source_and_format(tree):
    landing, truth = tree
    files = pl.read_parquet(truth / "files.parquet")
    assert sorted(p.name for p in landing.iterdir()) == SOURCES
    on_disk = {str(p.relative_to(landing)).replace("\\", "/") for p in landing.rglob("*") if p.is_file()}
    assert on_disk == set(files["source_file"])
    formats = {s: set(g["format"]) for (s,), g in files.group_by("source")}
    for source, contract in CONTRACTS.items():
        assert formats[source] == set(contract["format"]), source
    for f in files.iter_rows(named=True):  # <source>/<export date>/<file>
        src, date, name = f["source_file"].split("/")
        assert (
            src == f["source"]
            and date == f["export_date"].isoformat()
            and dt.date.fromisoformat(date) <= AS_OF
        )


def test_encodings_as_promised(tree):
    landing, truth = tree
    files = pl.read_parquet(truth / "files.parquet")
    seen = set()
    for f in files.iter_rows(named=True):
        raw = (landing / f["source_file"]).read_bytes()
        seen.add((f["source"], f["encoding"]))
        if f["encoding"] == "gbk":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            raw.decode("gb18030")
        elif f["encoding"] == "utf-8-sig":
            assert raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")
        elif f["encoding"] == "utf-8":
            assert not raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")
        else:
            assert f["format"] == "xlsx" and raw.startswith(b"PK")
    for pair in [
        ("tmall_orders", "gbk"),
        ("tmall_orders", "utf-8-sig"),
        ("douyin_orders", "gbk"),
        ("douyin_orders", "utf-8-sig"),
        ("crm_members", "utf-8"),
        ("crm_members", "utf-8-sig"),
        ("erp_sales", "gbk"),
        ("erp_sales", "utf-8"),
        ("erp_refunds", "gbk"),
        ("youzan_orders", None),
    ]:
        assert pair in seen, pair


def test_headers_match_the_contract(tree):
    landing, truth = tree
    files = pl.read_parquet(truth / "files.parquet").filter(pl.col("format") != "jsonl")
    aliases_seen, spaces_seen = set(), False
    for f in files.iter_rows(named=True):
        header, rows = read_table(landing / f["source_file"], f["encoding"])
        stripped = [str(h).strip() for h in header]
        spaces_seen |= any(str(h) != s for h, s in zip(header, stripped, strict=False))
        for col in CONTRACTS[f["source"]]["columns"]:
            names = [col["header"], *col.get("aliases", [])]
            hit = [n for n in names if n in stripped]
            optional = (f["source"], col["name"]) in {
                ("tmall_orders", "refund_amount"),
                ("douyin_orders", "influencer_nick"),
            }
            assert hit or optional, (f["source_file"], col["name"])
            aliases_seen |= {n for n in hit if n != col["header"]}
        assert all(len(r) == len(header) for r in rows), f["source_file"]
    assert {"买家实付金额", "买家下单时间", "买家付款时间", "商品编号", "提货人手机号"} <= aliases_seen
    assert spaces_seen


def test_planted_bad_rows_are_exactly_the_bad_rows(tree):
    planted, found = scan(*tree)
    assert planted and planted == found
    bad = pl.read_parquet(tree[1] / "bad_rows.parquet")
    assert set(bad["source"]) == set(SOURCES)
    assert set(bad["reason"]) == {
        "malformed_json",
        "missing_key",
        "missing_required",
        "bad_timestamp",
        "bad_amount",
    }
    rows = pl.read_parquet(tree[1] / "files.parquet")["data_rows"].sum()
    assert 0.005 < bad.height / rows < 0.03


def test_clean_has_no_bad_rows_and_no_traps(tmp_path):
    landing, truth = run(tmp_path, 800, clean=True)
    planted, found = scan(landing, truth)
    assert planted == set() and found == set()
    ids = pl.read_parquet(truth / "identifiers.parquet")
    assert ids["trap"].null_count() == ids.height and ids["person_id"].null_count() == 0


def test_quirks_present(tree):
    landing, truth = tree
    text = ""
    files = pl.read_parquet(truth / "files.parquet")
    for f in files.filter(pl.col("format") == "csv").iter_rows(named=True):
        text += (
            (landing / f["source_file"])
            .read_bytes()
            .decode({"gbk": "gb18030"}.get(f["encoding"], f["encoding"]))
        )
    assert '"=""2835' in text  # ="..." wrapped Tmall ids
    assert (
        re.search(r",'1\d{10},", text)
        and re.search(r",86-1\d{10},", text)
        and re.search(r"1\d\d\*\*\*\*\d{4}", text)
    )
    assert re.search(r"\+86 1\d\d \d{4} \d{4}", text) and re.search("[０-９]{11}", text)
    assert re.search(r",\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2},", text)  # Excel re-save
    assert '"1,' in text and "——" in text and "\t" in text
    jd = files.filter(pl.col("source") == "jd_orders")["source_file"][0]
    _, rows = read_table(landing / jd, None)
    assert any(re.fullmatch(r"1\*{6}\d{4}", str(r[11])) for r in rows)
    events = "".join(
        (landing / p).read_text(encoding="utf-8")
        for p in files.filter(pl.col("source") == "wechat_mp_events")["source_file"]
    )
    ids = [json.loads(x).get("event_id") for x in events.splitlines() if x.endswith("}")]
    assert len(ids) > len(set(ids))  # duplicate events
    assert '"share_from"' in events and '"purchase"' in events
    oa = "".join(
        (landing / p).read_text(encoding="utf-8")
        for p in files.filter(pl.col("source") == "wechat_oa_users")["source_file"]
    )
    assert '"subscribe":0' in oa
    assert re.search(r'"openid":"( o[^" ]+| ?o[^" ]+ )"', events + oa)  # ids with stray spaces
    mpu = "".join(
        (landing / p).read_text(encoding="utf-8")
        for p in files.filter(pl.col("source") == "wechat_mp_users")["source_file"]
    )
    assert '"phoneNumber":"+85' in mpu
    multi = files.filter(pl.col("source") == "tmall_orders")
    assert multi.height > 10


def test_truth_schemas_and_traps(tree):
    _, truth = tree
    ids = pl.read_parquet(truth / "identifiers.parquet")
    assert ids.schema == pl.Schema(
        {
            "person_id": pl.Int64,
            "identifier_type": pl.String,
            "identifier_value": pl.String,
            "discoverable": pl.Boolean,
            "trap": pl.String,
            "component": pl.Int32,
        }
    )
    assert set(ids["identifier_type"]) == {
        "wx_unionid",
        "oa_openid",
        "mp_openid",
        "mp_anonymous_id",
        "wecom_external_userid",
        "phone",
        "crm_member_id",
        "tmall_buyer",
        "order",
    }
    assert set(ids["trap"].drop_nulls()) == {
        "gift",
        "shared_phone",
        "recycled_phone",
        "junk_phone",
        "staff_phone",
        "shared_device",
        "masked_phone",
    }
    assert (
        ids.filter(pl.col("identifier_type") == "phone")["identifier_value"]
        .str.contains(r"^\+(86\d{11}|85[23]\d{8})$")
        .all()
    )
    assert not ids.filter(pl.col("discoverable"))["person_id"].is_null().any()
    assert 0.5 < ids["discoverable"].mean() < 1
    orders = pl.read_parquet(truth / "orders.parquet")
    assert orders["paid_amount"].dtype == pl.Decimal(18, 2) and orders["ordered_at"].dtype == pl.Datetime(
        "ms", "UTC"
    )
    assert (orders["refunded_amount"] <= orders["paid_amount"]).all()
    assert orders.filter(pl.col("paid_at").is_null())["paid_amount"].cast(pl.Float64).eq(0).all()
    keys = ids.filter(pl.col("identifier_type") == "order")["identifier_value"]
    assert set(keys) == set(orders["order_key"])
    assert set(orders["platform"]) == {"tmall", "jd", "douyin", "youzan", "miniprogram", "offline"}
    persons = pl.read_parquet(truth / "persons.parquet")
    assert persons["referred_by"].drop_nulls().len() > 0 and persons["acquisition_channel"].null_count() == 0


def test_rows_scale_with_persons(tmp_path):
    small = pl.read_parquet(run(tmp_path / "a", 400)[1] / "files.parquet")
    big = pl.read_parquet(run(tmp_path / "b", 1600)[1] / "files.parquet")
    # Group lines are (group x export with new members): few groups at this size, so not linear.
    per = lambda f: (
        f.filter(pl.col("source") != "wecom_groups")
        .group_by("source")
        .agg(pl.col("data_rows").sum())
        .sort("source")
    )
    ratio = per(big)["data_rows"] / per(small)["data_rows"]
    assert ((ratio > 2.5) & (ratio < 6)).all(), ratio
    ev = big.filter(pl.col("source") == "wechat_mp_events")["data_rows"].sum()
    assert 12 * 1600 < ev < 30 * 1600


def test_part_files(tmp_path):
    landing, truth = run(tmp_path, 600, part_rows=300, xlsx_rows=100)
    files = pl.read_parquet(truth / "files.parquet")
    parts = files.filter(pl.col("source_file").str.contains("_part"))
    assert parts.height > 0 and (files["data_rows"] <= 300 + 10).all()
    planted, found = scan(landing, truth)
    assert planted == found


def test_cli_default_truth_folder(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "data" / "landing"
    (out / "tmall_orders" / "2000-01-01").mkdir(parents=True)  # stale folder from an earlier run
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sources.generator",
            "--seed",
            "3",
            "--persons",
            "300",
            "--out",
            str(out),
            "--as-of",
            "2026-11-22",
            "--quiet",
        ],
        check=True,
        cwd=ROOT,
    )
    assert not (out / "tmall_orders" / "2000-01-01").exists()
    truth = tmp_path / "data" / "ground_truth"
    assert sorted(p.name for p in truth.iterdir()) == sorted(
        f"{t}.parquet" for t in ["identifiers", "orders", "persons", "bad_rows", "files"]
    )
    dates = {p.name for p in (out / "wechat_mp_events").iterdir()}
    assert max(dates) == "2026-11-22" and len(dates) > 50


# --- the truth agrees with what the marts.md rules derive from the files ---------------------
PLATFORM = {
    "天猫": "tmall",
    "京东": "jd",
    "抖音": "douyin",
    "有赞": "youzan",
    "小程序": "miniprogram",
    "线下": "offline",
}
RECORD_KEY = {
    "tmall_orders": ("order_id",),
    "jd_orders": ("order_id", "sku_id"),
    "douyin_orders": ("sub_order_id",),
    "youzan_orders": ("order_id",),
    "erp_refunds": ("refund_id",),
    "wechat_mp_events": ("event_id",),
    "erp_sales": ("order_source", "platform_sub_order_id", "platform_order_id", "merchant_sku"),
}


def _clean(v):
    return v if isinstance(v, (int, float)) else _text(v)


def _ts(v) -> dt.datetime | None:
    v = _text(v)
    if v is None:
        return None
    bj = dt.timezone(dt.timedelta(hours=8))
    if re.fullmatch(r"\d+(\.\d+)?", v):  # Excel serial: round to the second
        return (dt.datetime(1899, 12, 30) + dt.timedelta(seconds=round(float(v) * 86400))).replace(tzinfo=bj)
    n = [int(x) for x in re.findall(r"\d+", v)]
    return dt.datetime(*n[:3], *(n[3:6] + [0, 0, 0])[:3], tzinfo=bj)


def _dec(v):
    from decimal import Decimal

    v = _text(v if not isinstance(v, (int, float)) else str(v))
    return None if v in (None, "-") else Decimal(v.translate(FULLWIDTH).replace(",", ""))


def test_truth_orders_follow_the_rules(tree):
    from decimal import Decimal

    landing, truth = tree
    latest = {}  # (source, record key) -> row of the latest export date (files sorted by date)
    for f in (
        pl.read_parquet(truth / "files.parquet").sort(["export_date", "source_file"]).iter_rows(named=True)
    ):
        if f["source"] not in RECORD_KEY:
            continue
        for _, vals in file_rows(landing, f):
            if not row_reasons(f["source"], vals):
                row = {k: _clean(v) for k, v in vals.items()}
                key = tuple(row[k] for k in RECORD_KEY[f["source"]])
                if f["source"] == "erp_sales":  # (来源, 原始子单号), else (来源, 原始单号, 商家编码)
                    key = key[:2] if key[1] else (key[0],) + key[2:]
                latest[(f["source"], key)] = row
    orders, erp, erp_refund = {}, {}, {}
    for (source, _), r in latest.items():
        line = None
        if source == "tmall_orders":
            line = (
                "tmall",
                r["order_id"],
                r["created_at"],
                r["paid_at"],
                r["paid_amount"],
                r.get("refund_amount"),
            )
        elif source == "jd_orders":
            line = ("jd", r["order_id"], r["ordered_at"], r["paid_at"], r["line_amount"], None)
        elif source == "douyin_orders":
            line = (
                "douyin",
                r["order_id"],
                r["submitted_at"],
                r["paid_at"],
                r["payable_amount"],
                r["payable_amount"] if r["after_sale_status"] == "退款成功" else "0",
            )
        elif source == "youzan_orders":
            line = (
                "youzan",
                r["order_id"],
                r["created_at"],
                r["paid_at"],
                r["paid_amount"],
                r["refunded_amount"],
            )
        elif source == "wechat_mp_events" and r["event"] == "purchase":
            t = dt.datetime.fromtimestamp(int(r["event_time"]) / 1000, dt.UTC)
            orders["miniprogram:" + r["order_id"]] = {
                "at": t,
                "paid_at": t,
                "paid": _dec(r["amount"]),
                "refund": Decimal(0),
            }
        elif source == "erp_sales":
            e = erp.setdefault(
                PLATFORM[r["order_source"]] + ":" + r["platform_order_id"],
                {
                    "at": _ts(r["traded_at"]),
                    "paid_at": _ts(r["paid_at"]),
                    "paid": Decimal(0),
                    "refund": Decimal(0),
                },
            )
            e["paid"] += _dec(r["allocated_total"])
        elif source == "erp_refunds" and r["status"] == "已完成" and r["refund_type"] in ("退款", "退货"):
            k = PLATFORM[r["order_source"]] + ":" + r["platform_order_id"]
            erp_refund[k] = erp_refund.get(k, Decimal(0)) + _dec(r["refund_amount"])
        if line:
            o = orders.setdefault(
                line[0] + ":" + line[1],
                {"at": _ts(line[2]), "paid_at": _ts(line[3]), "paid": Decimal(0), "refund": Decimal(0)},
            )
            o["paid"] += _dec(line[4]) or 0
            o["refund"] += _dec(line[5]) or 0
    for k, e in erp.items():
        orders.setdefault(k, e)  # the platform's record wins; the ERP fills in the rest
    got = {}
    for k, o in orders.items():
        paid = o["paid"] if o["paid_at"] else Decimal(0)
        got[k] = (o["at"], o["paid_at"], paid, min(paid, max(o["refund"], erp_refund.get(k, Decimal(0)))))
    want = {
        r["order_key"]: (r["ordered_at"], r["paid_at"], r["paid_amount"], r["refunded_amount"])
        for r in pl.read_parquet(truth / "orders.parquet").iter_rows(named=True)
    }
    assert got.keys() == want.keys()
    assert all(got[k] == want[k] for k in want), [(k, got[k], want[k]) for k in want if got[k] != want[k]][:3]


def _phone(v):
    v = _text(v if not isinstance(v, (int, float)) else str(v))
    if v is None or "*" in v:
        return None
    v = v.translate(FULLWIDTH).lstrip("'")
    if v.startswith("+") and not v.startswith("+86"):
        return v
    d = re.sub(r"[\s-]", "", v)
    for p in ("+86", "0086", "86"):
        if d.startswith(p) and len(d) == 11 + len(p):
            d = d[len(p) :]
    return "+86" + d if re.fullmatch(r"1\d{10}", d) else None


JUNK = {("phone", "+86" + j) for j in ("13800138000", "11111111111", "13888888888")}


def test_truth_identities_follow_the_data(tree):
    """A plain resolver over the files: same identifiers; every true component is linked; the
    only persons it wrongly merges are gift receivers (the trap it does not guard). Shared
    devices stay with their first openid; a phone on two accounts of one kind belongs to nobody."""
    landing, truth = tree
    edges, nodes, devices = [], set(), {}

    def link(a, b):
        for x in (a, b):
            if x[1] is not None:
                nodes.add(x)
        if a[1] is not None and b[1] is not None:
            edges.append((a, b))

    for f in pl.read_parquet(truth / "files.parquet").iter_rows(named=True):
        s = f["source"]
        for _, r in file_rows(landing, f):
            if row_reasons(s, r):
                continue
            g = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in r.items()}
            if s == "wechat_oa_users":
                link(("oa_openid", g["openid"]), ("wx_unionid", g["unionid"]))
            elif s == "wechat_mp_users":
                link(("mp_openid", g["openid"]), ("wx_unionid", g["unionid"]))
                link(("mp_openid", g["openid"]), ("phone", _phone(g["phone_number"])))
            elif s == "wechat_mp_events":
                link(("mp_anonymous_id", g["anonymous_id"]), ("mp_openid", None))
                if g["openid"]:  # a device stays with the openid seen on it first
                    seen = (int(g["event_time"]), g["openid"])
                    devices[g["anonymous_id"]] = min(devices.get(g["anonymous_id"], seen), seen)
                    link(
                        ("mp_openid", g["openid"]),
                        ("order", g["order_id"] and "miniprogram:" + g["order_id"]),
                    )
                link(("mp_openid", g["share_from"]), ("order", None))
            elif s == "wecom_contacts":
                x = ("wecom_external_userid", g["external_userid"])
                link(x, ("wx_unionid", g["unionid"]))
                for m in (m for fu in json.loads(g["follow_user"]) for m in fu["remark_mobiles"]):
                    link(x, ("phone", _phone(m)))
            elif s == "wecom_groups":
                for m in json.loads(g["member_list"]):
                    if m["type"] == 2:
                        link(("wecom_external_userid", m["userid"]), ("wx_unionid", m.get("unionid")))
            elif s == "crm_members":
                link(("crm_member_id", g["member_id"]), ("phone", _phone(g["phone"])))
                link(("crm_member_id", g["member_id"]), ("wx_unionid", g["unionid"]))
            elif s in ("tmall_orders", "jd_orders", "douyin_orders", "youzan_orders"):
                o = ("order", s.split("_")[0] + ":" + _clean(g["order_id"]))
                link(o, ("tmall_buyer", g.get("buyer_nick") if s == "tmall_orders" else None))
                for c in ("receiver_phone", "buyer_phone"):
                    link(o, ("phone", _phone(g.get(c)) if s in ("tmall_orders", "youzan_orders") else None))
            elif s == "erp_sales":
                o = ("order", PLATFORM[g["order_source"]] + ":" + g["platform_order_id"])
                link(o, ("phone", _phone(g["receiver_phone"])))
                link(o, ("tmall_buyer", g["buyer_nick"] if g["order_source"] == "天猫" else None))
    edges += [(("mp_anonymous_id", d), ("mp_openid", o)) for d, (_, o) in devices.items()]
    strong = {}  # a phone on two accounts of one kind (family, recycled, staff numbers) joins nothing
    for a, b in edges:
        if b[0] == "phone" and a[0] in ("mp_openid", "crm_member_id", "wecom_external_userid"):
            strong.setdefault((b, a[0]), set()).add(a)
    shared = {phone for (phone, _), accounts in strong.items() if len(accounts) > 1}
    parent = {n: n for n in nodes}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if b not in shared and b not in JUNK:
            parent[find(a)] = find(b)
    ids = pl.read_parquet(truth / "identifiers.parquet")
    rows = {(r["identifier_type"], r["identifier_value"]): r for r in ids.iter_rows(named=True)}
    assert rows.keys() == nodes
    parts, persons = {}, {}
    for k, r in rows.items():
        if r["person_id"] is not None:
            parts.setdefault((r["person_id"], r["component"]), set()).add(find(k))
            persons.setdefault(find(k), set()).add(r["person_id"])
    assert all(len(roots) == 1 for roots in parts.values())
    gifts = {find(k) for k, r in rows.items() if r["trap"] == "gift"}
    merged = {root for root, p in persons.items() if len(p) > 1}
    assert merged <= gifts


def test_identity_traps_are_in_the_files(tree):
    """The gift, shared-phone and recycled-phone traps as the export rows show them."""
    landing, truth = tree
    files = pl.read_parquet(truth / "files.parquet")
    ids = pl.read_parquet(truth / "identifiers.parquet")
    youzan_gift_rows, members_by_phone = 0, {}
    for f in files.filter(pl.col("source").is_in(["youzan_orders", "crm_members"])).iter_rows(named=True):
        for _, r in file_rows(landing, f):
            if row_reasons(f["source"], r):
                continue
            if f["source"] == "youzan_orders":
                buyer, receiver = _phone(r["buyer_phone"]), _phone(r["receiver_phone"])
                youzan_gift_rows += buyer is not None and receiver is not None and buyer != receiver
            elif _phone(r["phone"]):
                members_by_phone.setdefault(_phone(r["phone"]), set()).add(_clean(r["member_id"]))
    assert youzan_gift_rows > 0  # a Youzan row whose receiver phone is not the buyer phone
    for trap in ("shared_phone", "recycled_phone"):
        phones = ids.filter((pl.col("trap") == trap) & (pl.col("identifier_type") == "phone"))
        assert phones.height >= 2 and phones["person_id"].is_null().all() and not phones["discoverable"].any()
        assert all(
            len(members_by_phone[v]) == 2 for v in phones["identifier_value"]
        )  # one number, two members
    orders = pl.read_parquet(truth / "orders.parquet").join(
        ids.filter(pl.col("identifier_type") == "order").select(order_key="identifier_value", trap="trap"),
        on="order_key",
    )
    per_buyer = orders.group_by("person_id", "platform").agg(
        n=pl.len(), gifts=(pl.col("trap") == "gift").sum()
    )
    # a Tmall account with one order to itself and one gift: its receiver phones tie 1:1
    assert (
        per_buyer.filter((pl.col("platform") == "tmall") & (pl.col("n") == 2) & (pl.col("gifts") == 1)).height
        > 0
    )
    # gift givers: more orders shipped to a relative than to themselves
    assert (
        per_buyer.filter(
            pl.col("platform").is_in(["youzan", "miniprogram"]) & (pl.col("gifts") * 2 > pl.col("n"))
        ).height
        > 0
    )
    # a shared device stays with its first user: it belongs to a person and links them
    devices = ids.filter(
        (pl.col("trap") == "shared_device") & (pl.col("identifier_type") == "mp_anonymous_id")
    )
    assert devices.height > 0 and devices["person_id"].is_not_null().all()

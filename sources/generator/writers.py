"""Write each source's rows as real export files (CSV / XLSX / JSON Lines).

Per source: split every export date's rows into part files, render timestamps
in the file's style, plant the bad rows (the only rows that are bad), apply
the cosmetic quirks, serialise with the file's encoding, and log every file and
every bad row for the truth.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from . import ids
from . import jsonl as J
from .quirks import BAD_OPTIONS, bad_rows, variant
from .timeline import Timeline, ts_text

BAD_RATE = 0.008
STEMS = {
    "wechat_oa_users": "oa_user_info",
    "wechat_mp_users": "mp_users",
    "wechat_mp_events": "mp_events",
    "wecom_contacts": "externalcontact_get",
    "wecom_groups": "groupchat_get",
    "tmall_orders": "ExportOrderList",
    "jd_orders": "jd_order_export",
    "douyin_orders": "douyin_orders",
    "youzan_orders": "youzan_orders",
    "crm_members": "crm_members",
    "erp_sales": "sales_out_detail",
    "erp_refunds": "refund_exchange",
}
TS_COLUMNS = {
    "tmall_orders": ["created_at", "paid_at"],
    "jd_orders": ["ordered_at", "paid_at"],
    "douyin_orders": ["submitted_at", "paid_at"],
    "youzan_orders": ["created_at", "paid_at"],
    "crm_members": ["registered_at"],
    "erp_sales": ["traded_at", "paid_at", "shipped_at"],
    "erp_refunds": ["created_at"],
}
# Headers in file order: (bronze column or extra, export header). Extras are real export columns
# the contract does not list (they land in _extra).
HEADERS = {
    "tmall_orders": [
        ("order_id", "订单编号"),
        ("buyer_nick", "买家会员名"),
        ("goods_amount", "买家应付货款"),
        ("postage", "买家应付邮费"),
        ("total_amount", "总金额"),
        ("paid_amount", "买家实际支付金额"),
        ("order_status", "订单状态"),
        ("buyer_message", "买家留言"),
        ("receiver_name", "收货人姓名"),
        ("receiver_address", "收货地址"),
        ("receiver_phone", "联系手机"),
        ("created_at", "订单创建时间"),
        ("paid_at", "订单付款时间"),
        ("item_title", "宝贝标题"),
        ("item_quantity", "宝贝总数量"),
        ("logistics_company", "物流公司"),
        ("shop_name", "店铺名称"),
        ("refund_amount", "退款金额"),
    ],
    "jd_orders": [
        ("order_id", "订单号"),
        ("item_name", "商品名称"),
        ("sku_id", "商品ID"),
        ("quantity", "订购数量"),
        ("ordered_at", "下单时间"),
        ("paid_at", "付款确认时间"),
        ("line_amount", "订单金额"),
        ("merchant_receivable", "商家应收"),
        ("order_status", "订单状态"),
        ("customer_name", "客户姓名"),
        ("customer_address", "客户地址"),
        ("customer_phone", "联系电话"),
        ("pay_method", "支付方式"),
    ],
    "douyin_orders": [
        ("order_id", "主订单编号"),
        ("sub_order_id", "子订单编号"),
        ("product_name", "选购商品"),
        ("product_id", "商品ID"),
        ("merchant_sku", "商家编码"),
        ("quantity", "商品数量"),
        ("goods_amount", "商品金额"),
        ("payable_amount", "订单应付金额"),
        ("submitted_at", "订单提交时间"),
        ("paid_at", "支付完成时间"),
        ("order_status", "订单状态"),
        ("after_sale_status", "售后状态"),
        ("receiver_name", "收件人"),
        ("receiver_phone", "收件人手机号"),
        ("province", "省"),
        ("city", "市"),
        ("district", "区"),
        ("address_detail", "详细地址"),
        ("influencer_nick", "达人昵称"),
    ],
    "youzan_orders": [
        ("order_id", "订单号"),
        ("order_status", "订单状态"),
        ("created_at", "订单创建时间"),
        ("paid_at", "买家付款时间"),
        ("paid_amount", "订单实付金额"),
        ("refunded_amount", "订单已退款金额"),
        ("buyer_nick", "买家昵称"),
        ("buyer_phone", "买家手机号"),
        ("receiver_phone", "收货人手机号"),
        ("sales_channel", "销售渠道"),
        ("distributor", "分销员"),
        ("item_names", "全部商品名称"),
    ],
    "crm_members": [
        ("member_id", "会员编号"),
        ("phone", "手机号"),
        ("unionid", "unionid"),
        ("name", "姓名"),
        ("gender", "性别"),
        ("birthday", "生日"),
        ("registered_at", "注册时间"),
        ("register_channel", "注册渠道"),
        ("member_level", "会员等级"),
        ("points", "积分"),
        ("email", "邮箱"),
        ("store", "所属门店"),
    ],
    "erp_sales": [
        ("erp_order_id", "订单编号"),
        ("platform_order_id", "原始单号"),
        ("platform_sub_order_id", "原始子单号"),
        ("shop_name", "店铺名称"),
        ("order_source", "订单来源"),
        ("order_status", "订单状态"),
        ("traded_at", "交易时间"),
        ("paid_at", "付款时间"),
        ("shipped_at", "发货时间"),
        ("buyer_nick", "客户网名"),
        ("receiver_name", "收件人"),
        ("receiver_phone", "手机"),
        ("merchant_sku", "商家编码"),
        ("goods_name", "货品名称"),
        ("quantity", "数量"),
        ("unit_price", "成交价"),
        ("allocated_total", "分摊后总价"),
        ("receivable_amount", "应收金额"),
        ("warehouse", "仓库"),
    ],
    "erp_refunds": [
        ("refund_id", "退换单号"),
        ("platform_order_id", "原始单号"),
        ("order_source", "订单来源"),
        ("refund_type", "类型"),
        ("refund_amount", "退款金额"),
        ("created_at", "创建时间"),
        ("status", "状态"),
        ("reason", "退换原因"),
    ],
}
ALIASES = {
    "tmall_orders": {"paid_amount": "买家实付金额", "created_at": "买家下单时间", "paid_at": "买家付款时间"},
    "jd_orders": {"sku_id": "商品编号"},
    "youzan_orders": {"receiver_phone": "提货人手机号"},
}
XLSX_NUMERIC = {
    "erp_sales": {
        "quantity",
        "unit_price",
        "allocated_total",
        "receivable_amount",
        "traded_at",
        "paid_at",
        "shipped_at",
    }
}
EXT = {"csv": ".csv", "xlsx": ".xlsx", "jsonl": ".jsonl"}
XLSX_CREATED = dt.datetime(2020, 1, 1)  # fixed document metadata: identical bytes on every run


@dataclass
class Writer:
    out: Path
    tl: Timeline
    seed: int
    clean: bool
    part_rows: int = 250_000
    xlsx_rows: int = 50_000

    def __post_init__(self):
        self.files: list[dict] = []
        self.bad: list[dict] = []
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: list[Future] = []

    def _submit(self, path: Path, header: list[str], columns: list[np.ndarray]) -> None:
        """xlsxwriter costs ~10 us per cell in Python: big sheets go to worker processes
        while the main process renders the other sources."""
        if len(columns[0]) < 500:
            _xlsx_job(path, header, columns)
            return
        if self._pool is None:
            # spawn, not fork: a forked child shares the parent's many GB copy-on-write, and
            # its garbage collector touching them costs more than pickling the cells.
            self._pool = ProcessPoolExecutor(
                max_workers=max(1, min(2, os.cpu_count() or 1)),
                mp_context=multiprocessing.get_context("spawn"),
            )
        self._jobs.append(self._pool.submit(_xlsx_job, path, header, columns))

    def close(self) -> None:
        """Wait for the XLSX workers (re-raising their errors)."""
        for job in self._jobs:
            job.result()
        if self._pool is not None:
            self._pool.shutdown()

    def write(self, source: str, frame, encode=None) -> None:
        """Write one source; `frame` may be (compact rows, encoder applied per part file), or a
        one-item list the writer empties, so the caller holds no reference to a big frame."""
        if isinstance(frame, list):
            frame = frame.pop()
        if isinstance(frame, tuple):
            frame, encode = frame
        nx = len(self.tl.export_days)
        parts = []  # (x, part number, rows, variant)
        by_x = frame.partition_by("_x", as_dict=True, maintain_order=True)
        del frame
        for (x,), rows in sorted(by_x.items()):
            rows = rows.sort("_t", maintain_order=True)
            v = variant(source, int(x), nx, self.seed)
            size = self.xlsx_rows if v["format"] == "xlsx" else self.part_rows
            chunks = [rows[i : i + size] for i in range(0, rows.height, size)]
            parts += [(int(x), k, len(chunks), c, v) for k, c in enumerate(chunks)]
        rng = ids.rng_for(self.seed, "bad:" + source)
        total = sum(p[3].height for p in parts)
        n_bad = 0 if self.clean or total == 0 else max(len(BAD_OPTIONS[source]), round(BAD_RATE * total))
        weights = np.array([p[3].height for p in parts], dtype=float)
        where = (
            np.bincount(rng.choice(len(parts), n_bad, p=weights / weights.sum()), minlength=len(parts))
            if n_bad
            else np.zeros(len(parts), int)
        )
        done = 0
        for (x, k, n_parts, rows, v), k_bad in zip(parts, where, strict=False):
            name = f"{STEMS[source]}_{self.tl.date_str(x).replace('-', '')}" + (
                f"_part{k + 1:02d}" if n_parts > 1 else ""
            )
            rel = f"{source}/{self.tl.date_str(x)}/{name}{EXT[v['format']]}"
            body = self._render_times(source, encode(rows) if encode else rows, v)
            if k_bad:
                bad, reasons = bad_rows(source, body, int(k_bad), done, done, rng)
                body, positions = _insert(body, bad, rng)
                self.bad += [
                    {
                        "source": source,
                        "source_file": rel,
                        "row_number": int(p) + 1,
                        "column_name": c,
                        "reason": r,
                    }
                    for p, (r, c) in zip(positions, reasons, strict=False)
                ]
                done += int(k_bad)
            path = self.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if v["format"] == "jsonl":
                _write_jsonl(path, body, rng)
            elif v["format"] == "csv":
                _write_csv(path, source, body, v)
            else:
                self._submit(path, *_xlsx_columns(source, body, v))
            self.files.append(
                {
                    "source": source,
                    "source_file": rel,
                    "export_date": self.tl.date_str(x),
                    "format": v["format"],
                    "encoding": v["encoding"],
                    "data_rows": body.height,
                }
            )

    def _render_times(self, source: str, rows: pl.DataFrame, v: dict) -> pl.DataFrame:
        cols = [c for c in TS_COLUMNS.get(source, []) if c in rows.columns]
        rows = rows.with_columns(
            [ts_text(pl.col(c), v["ts"]).alias(c) for c in cols] + [pl.lit(False).alias("_malformed")]
        )
        if v["format"] == "jsonl":
            return rows
        return rows.with_columns(
            pl.col(c).cast(pl.String).fill_null("") for c in rows.columns if not c.startswith("_")
        )


def _insert(body: pl.DataFrame, bad: pl.DataFrame, rng) -> tuple[pl.DataFrame, np.ndarray]:
    """Put the bad rows at random places; return the frame and their 0-based positions."""
    n, k = body.height, bad.height
    positions = np.sort(rng.choice(n + k, k, replace=False))
    order = np.empty(n + k, dtype=np.int64)
    is_bad = np.zeros(n + k, bool)
    is_bad[positions] = True
    order[~is_bad] = np.arange(n)
    order[is_bad] = n + np.arange(k)
    both = pl.concat([body, bad.select(body.columns)], how="vertical_relaxed")
    return both[order], positions


def _headers(source: str, v: dict) -> list[tuple[str, str]]:
    cols = list(HEADERS[source])
    if source == "tmall_orders" and not v["refund_col"]:
        cols = [c for c in cols if c[0] != "refund_amount"]
    if source == "douyin_orders" and not v["influencer"]:
        cols = [c for c in cols if c[0] != "influencer_nick"]
    if v.get("aliases"):
        cols = [(b, ALIASES.get(source, {}).get(b, h)) for b, h in cols]
    if v.get("dup_distributor"):  # the Youzan export can carry 分销员 twice, with different content
        cols.append(("_distributor2", "分销员"))
    if v["spaces"]:
        cols = [(b, f" {h} " if i % 3 == 1 else h) for i, (b, h) in enumerate(cols)]
    return cols


def _cosmetics(source: str, body: pl.DataFrame, v: dict) -> pl.DataFrame:
    if source == "tmall_orders" and v["wrap_ids"]:  # Excel-proof ids: ="2835..."
        body = body.with_columns(
            order_id=pl.when(pl.col("order_id") != "")
            .then(pl.lit('="') + pl.col("order_id") + pl.lit('"'))
            .otherwise(pl.lit(""))
        )
    return body


def _write_csv(path: Path, source: str, body: pl.DataFrame, v: dict) -> None:
    cols = _headers(source, v)
    body = _cosmetics(source, body, v)
    eol = "\r\n" if v["crlf"] else "\n"
    # Empty cells as real exports write them: nothing between the commas (not "").
    cells = body.select(
        pl.when(pl.col(b) != "").then(pl.col(b)).alias(f"c{i}") for i, (b, _) in enumerate(cols)
    )
    text = (
        ",".join(h for _, h in cols)
        + eol
        + cells.write_csv(include_header=False, null_value="", line_terminator=eol)
    )
    enc = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gbk"}[v["encoding"]]
    path.write_bytes(text.encode(enc))


def _xlsx_columns(source: str, body: pl.DataFrame, v: dict) -> tuple[list[str], list[np.ndarray]]:
    cols = _headers(source, v)
    body = _cosmetics(source, body, v).select([b for b, _ in cols])
    numeric = XLSX_NUMERIC.get(source, set()) if v["ts"] == "serial" else set()
    columns = []
    for b, _ in cols:
        s = body[b]
        if b in numeric:  # a number cell where the text is a number (serial dates, amounts)
            f = s.cast(pl.Float64, strict=False)
            columns.append(
                np.where(f.is_null().to_numpy(), s.to_numpy().astype(object), f.to_numpy().astype(object))
            )
        else:
            columns.append(s.to_numpy().astype(object))
    return [h for _, h in cols], columns


def _xlsx_job(path: Path, header: list[str], columns: list[np.ndarray]) -> None:
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties({"created": XLSX_CREATED})
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, header)
    for r, row in enumerate(zip(*columns, strict=False), start=1):
        ws.write_row(r, 0, row)
    wb.close()


def _write_jsonl(path: Path, body: pl.DataFrame, rng) -> None:
    keys = [c for c in body.columns if not c.startswith("_")]
    lines = body.select(line=J.nested(keys), bad=pl.col("_malformed"))
    cut = pl.Series(rng.uniform(0.3, 0.9, lines.height))
    # A malformed line is a truncated one: any proper prefix of a JSON object is invalid.
    lines = lines.with_columns(
        line=pl.when("bad")
        .then(pl.col("line").str.slice(0, (pl.col("line").str.len_chars() * cut).cast(pl.Int64)))
        .otherwise("line")
    )
    lines.select("line").write_csv(path, include_header=False, quote_style="never")

"""Hand-written export files in the real shapes of the landing contract, for focused tests.

These are deliberately independent of the demo generator: a second program
writing the same formats.
"""

from __future__ import annotations

import json
from pathlib import Path

TMALL_HEADER = [
    "订单编号",
    "买家会员名",
    "买家应付货款",
    "买家应付邮费",
    "总金额",
    "买家实际支付金额",
    "订单状态",
    "收货人姓名",
    "收货地址",
    "联系手机",
    "订单创建时间",
    "订单付款时间",
    "宝贝标题",
    "宝贝总数量",
    "店铺名称",
    "退款金额",
]


def csv_line(cells: list[str]) -> str:
    out = []
    for cell in cells:
        if any(ch in cell for ch in ',"\n'):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out)


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "gb18030", bom: bool = False
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\r\n".join(csv_line(r) for r in [header, *rows]) + "\r\n"
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_jsonl(path: Path, records: list[dict | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class FormulaError(str):
    """An XLSX cell holding a formula that failed: Excel saves the formula with its error value
    (``<c t="e"><f>...</f><v>#N/A</v></c>``), which is what a reader sees."""


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("订单")
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, FormulaError):
                sheet.write_formula(r, c, "=VLOOKUP(A2,价格!A:B,2,FALSE)", None, str(value))
            elif hasattr(value, "year"):
                sheet.write_datetime(r, c, value, date_format)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            elif value is None:
                continue
            else:
                sheet.write_string(r, c, value)
    book.close()
    return path


def tmall_row(order_id: str, **overrides: str) -> list[str]:
    values = {
        "订单编号": f'="{order_id}"',
        "买家会员名": "tb_小王",
        "买家应付货款": "199.00",
        "买家应付邮费": "0.00",
        "总金额": "199.00",
        "买家实际支付金额": "199.00",
        "订单状态": "交易成功",
        "收货人姓名": "王小明",
        "收货地址": "浙江省 杭州市 西湖区 文三路 1 号",
        "联系手机": "'13812345678",
        "订单创建时间": "2025-03-01 10:00:00",
        "订单付款时间": "2025-03-01 10:01:30",
        "宝贝标题": "保湿面霜 50ml",
        "宝贝总数量": "1",
        "店铺名称": "品牌官方旗舰店",
        "退款金额": "0.00",
    }
    values.update(overrides)
    return [values[h] for h in TMALL_HEADER]

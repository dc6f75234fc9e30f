"""The bad-input matrix: every class of broken export a brand's teams drop, in one small landing.

The landing is hand-built (real headers of the contracts, GBK, masked phones) around each bad
file or row; the test knows every good row it wrote, so the count test checks that none is
lost without trusting the ingestion's own figures. Each case asserts what the operator sees:
a reject naming file, row, column and reason, an error naming the file and the problem, or a
layout problem naming the path.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest

from dagster_project.bronze.ingest import ingest_source, read_bronze
from sources.contracts import load_contracts
from tests.landing_builders import (
    TMALL_HEADER,
    FormulaError,
    csv_line,
    tmall_row,
    write_csv,
    write_jsonl,
    write_xlsx,
)

LOADED_AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
EXCEL_ERROR = "Excel error value"
ACCEPTED = (dt.date(2024, 1, 1), dt.date(2026, 11, 23))  # FIRST_EXPORT_DATE .. "today"
JD_HEADER = [
    "订单号",
    "商品名称",
    "商品ID",
    "订购数量",
    "下单时间",
    "付款确认时间",
    "订单金额",
    "商家应收",
    "订单状态",
    "客户姓名",
    "客户地址",
    "联系电话",
]
CRM_HEADER = [
    "会员编号",
    "手机号",
    "unionid",
    "姓名",
    "性别",
    "生日",
    "注册时间",
    "注册渠道",
    "会员等级",
    "积分",
    "邮箱",
]
ERP_SALES_HEADER = [
    "订单编号",
    "原始单号",
    "原始子单号",
    "店铺名称",
    "订单来源",
    "订单状态",
    "交易时间",
    "付款时间",
    "发货时间",
    "客户网名",
    "收件人",
    "手机",
    "商家编码",
    "货品名称",
    "数量",
    "成交价",
    "分摊后总价",
    "应收金额",
]
KEYS = {
    "tmall_orders": "order_id",
    "jd_orders": "order_id",
    "crm_members": "member_id",
    "wechat_mp_events": "event_id",
    "wecom_contacts": "external_userid",
    "wecom_groups": "chat_id",
}
MAIN = "tmall_orders/2025-03-02/订单报表.csv"
RESAVED = "tmall_orders/2025-03-05/ExportOrderList_resaved.csv"
JD_ERRORS = "jd_orders/2025-03-05/jd_formulas.xlsx"
CONTACTS = "wecom_contacts/2025-03-05/contacts.jsonl"
GROUPS = "wecom_groups/2025-03-05/groups.jsonl"


@dataclass
class Landing:
    root: Path
    good: dict[str, set[str]] = field(
        default_factory=dict
    )  # record keys of every good row written, per source

    def keep(self, source: str, *keys: str) -> None:
        self.good.setdefault(source, set()).update(keys)


def _tmall_rows(landing: Landing) -> None:
    """The main Tmall report (GBK): good rows around one row per absurd value, cut off at the end."""
    rows = [
        tmall_row("4000000000000000001", 联系手机="138****1234"),  # 1 good, masked phone
        tmall_row("4000000000000000002", 联系手机="86-13912345678", 订单付款时间="2025/3/1 10:01"),  # 2 good
        tmall_row("4000000000000000003", 买家实际支付金额="-199.00"),  # 3 negative amount
        tmall_row("4000000000000000004", 订单创建时间="1970-01-01 08:00:00"),  # 4 epoch zero in Beijing
        tmall_row("4000000000000000005", 订单付款时间="2025-03-09 10:00:00"),  # 5 a week after the export
        tmall_row("1" * 50),  # 6 a 50-digit id
        tmall_row("4000000000000000007", 收货地址="浙江省杭州市" + "长" * 5000),  # 7 a runaway cell
        tmall_row("4000000000000000008", 总金额="99,999,999.00"),  # 8 an absurd amount
        tmall_row("4000000000000000009", 买家实际支付金额="约100"),  # 9 not an amount
        tmall_row("4000000000000000010", 联系手机="138-1234-567a"),  # 10 good row, garbage phone: no phone
        tmall_row("4000000000000000011"),  # 11 good
        tmall_row("4000000000000000012", 退款金额="10.00"),  # 12 cut off after "1" below
    ]
    path = write_csv(landing.root / MAIN, TMALL_HEADER, rows)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"10.00") + 1])  # the download stopped inside the last value
    landing.keep("tmall_orders", *(f"40000000000000000{n:02d}" for n in (1, 2, 10, 11)))
    # the same report dropped again under the name a browser gives a second download
    shutil.copy(path, path.with_name("订单报表 (1).csv"))


def _tmall_other_files(landing: Landing) -> None:
    day = landing.root / "tmall_orders" / "2025-03-03"
    # GBK report with one row pasted in from a UTF-8 export
    gbk = [
        csv_line(tmall_row("4000000000000000021", 收货人姓名="李雷")),
        csv_line(tmall_row("4000000000000000023")),
    ]
    utf8 = csv_line(
        tmall_row("4000000000000000022", 收货人姓名="韩梅梅", 收货地址="上海市 浦东新区 世纪大道 100 号")
    )
    day.mkdir(parents=True)
    (day / "mixed.csv").write_bytes(
        (csv_line(TMALL_HEADER) + "\r\n" + gbk[0] + "\r\n").encode("gbk")
        + (utf8 + "\r\n").encode("utf-8")
        + (gbk[1] + "\r\n").encode("gbk")
    )
    landing.keep("tmall_orders", "4000000000000000021", "4000000000000000022", "4000000000000000023")
    # GBK report cut in the middle of a two-byte character of the last row's address
    cut = write_csv(
        day / "cut_gbk.csv",
        TMALL_HEADER,
        [
            tmall_row("4000000000000000031"),
            tmall_row("4000000000000000032"),
            tmall_row("4000000000000000033", 收货地址="广东省深圳市南山区"),
        ],
    )
    data = cut.read_bytes()
    cut.write_bytes(data[: data.rindex("南山区".encode("gbk")) + 1])
    landing.keep("tmall_orders", "4000000000000000031", "4000000000000000032")
    # a hand-edited report: an address typed with a line break and saved without quotes
    broken = write_csv(
        day / "broken_row.csv",
        TMALL_HEADER,
        [
            tmall_row("4000000000000000035"),
            tmall_row("4000000000000000036", 收货地址="浙江省杭州市@西湖区"),
            tmall_row("4000000000000000037"),
        ],
    )
    broken.write_bytes(broken.read_bytes().replace("@".encode("gbk"), b"\r\n"))
    landing.keep("tmall_orders", "4000000000000000035", "4000000000000000037")
    # an ERP sales export dropped into the Tmall folder: it shares 订单编号, 店铺名称, 订单状态
    write_csv(
        day / "销售出库明细.csv",
        ERP_SALES_HEADER,
        [
            [
                "ERP001",
                "4000000000000000041",
                "",
                "品牌官方旗舰店",
                "天猫",
                "已发货",
                "2025-03-01 10:00:00",
                "2025-03-01 10:01:00",
                "2025-03-02 09:00:00",
                "tb_小王",
                "王小明",
                "13812345678",
                "SKU-01",
                "保湿面霜",
                "1",
                "199.00",
                "199.00",
                "199.00",
            ]
        ],
    )
    empty_day = landing.root / "tmall_orders" / "2025-03-04"
    empty_day.mkdir()
    (empty_day / "empty.csv").write_bytes(b"")  # an export that failed to write anything
    write_csv(empty_day / "no_orders.csv", TMALL_HEADER, [])  # a day without orders: a header only
    write_csv(
        landing.root / "tmall_orders" / "2099-01-01" / "ExportOrderList.csv",
        TMALL_HEADER,
        [tmall_row("4000000000000000051")],
    )
    write_csv(
        landing.root / "tmall_order" / "2025-03-02" / "ExportOrderList.csv",
        TMALL_HEADER,
        [tmall_row("4000000000000000061")],
    )
    (landing.root / "misc").mkdir()


def _other_sources(landing: Landing) -> None:
    jd = write_xlsx(
        landing.root / "jd_orders" / "2025-03-02" / "jd.xlsx",
        JD_HEADER,
        [
            [
                "300000000001",
                "面霜",
                "100000000001",
                1,
                dt.datetime(2025, 3, 1, 10, 0),
                45717.4375,
                199.0,
                "199.00",
                "完成",
                "李*",
                "北京市朝阳区",
                "1******6198",
            ],
            [
                "300000000002",
                "精华",
                "100000000002",
                2,
                "2025-03-01 11:00:00",
                None,
                "299.00",
                "299",
                "等待出库",
                "王*",
                "上海市",
                "1******0001",
            ],
        ],
    )
    landing.keep("jd_orders", "300000000001", "300000000002")
    cut = jd.with_name("jd_part2.xlsx")
    cut.write_bytes(jd.read_bytes()[: jd.stat().st_size // 2])
    write_csv(
        landing.root / "crm_members" / "2025-03-02" / "members.csv",
        CRM_HEADER,
        [
            [
                "M0001",
                "13812345678",
                "oU_1",
                "张三",
                "男",
                "1990-01-01",
                "2025-03-01 09:00:00",
                "门店",
                "金卡",
                "120",
                "",
            ],
            [
                "M0002",
                "139 1234 5678",
                "",
                "李四",
                "女",
                "",
                "2025-03-01 09:30:00",
                "小程序",
                "普通",
                "0",
                "a@b.cn",
            ],
        ],
        encoding="utf-8",
        bom=True,
    )
    landing.keep("crm_members", "M0001", "M0002")
    write_csv(
        landing.root / "crm_members" / "2025-03-03" / "members.csv",
        CRM_HEADER,
        [
            ["M0003", "13712345678", "", "王五", "男", "", "2025-03-02 09:00:00", "门店", "普通", "0", ""],
        ],
        encoding="gbk",
    )  # CRM exports UTF-8 only
    events = [
        {
            "event_id": "e1",
            "event_time": 1740794400000,
            "openid": "o1",
            "anonymous_id": "d1",
            "event": "page_view",
        },
        {"event_id": "e2", "event_time": 1000, "anonymous_id": "d2", "event": "page_view"},  # 1970
        {
            "event_id": "e3",
            "event_time": 1740794400001,
            "anonymous_id": "d3",
            "event": "purchase",
            "order_id": "mp1",
            "amount": "59.90",
        },
        '{"event_id": "e4", "event_time": 17407944',  # cut off
    ]
    write_jsonl(landing.root / "wechat_mp_events" / "2025-03-02" / "events.jsonl", events)
    landing.keep("wechat_mp_events", "e1", "e3")


def _spreadsheet_errors(landing: Landing) -> None:
    """Formulas that failed: a Tmall report re-saved from Excel as CSV (GBK, times as 2025/3/1 10:01)
    and a JD export whose cells hold real XLSX error values, one per typed column kind."""
    rows = [
        tmall_row("4000000000000000071", 订单付款时间="2025/3/1 10:01"),  # 1 good
        tmall_row("4000000000000000072", 买家实际支付金额="#VALUE!"),  # 2
        tmall_row("4000000000000000073", 联系手机="#N/A"),  # 3 no phone shared by every #N/A row
        tmall_row("4000000000000000074", 买家会员名="#N/A"),  # 4 nor a buyer
        tmall_row("4000000000000000075", 订单创建时间="#REF!"),  # 5
        tmall_row("4000000000000000076", 宝贝总数量="#NAME?"),  # 6
        tmall_row("4000000000000000077", 总金额="#DIV/0!"),  # 7
        tmall_row("4000000000000000078", 订单编号="#NULL!"),  # 8 an order id
        tmall_row("4000000000000000079", 收货人姓名="#N/A"),  # 9 free text too: the cell lost its value
        tmall_row("4000000000000000080", 退款金额=" #NUM! "),  # 10
        tmall_row("4000000000000000081", 订单付款时间="Err:502"),  # 11 LibreOffice's error
        tmall_row("4000000000000000082", 宝贝标题="N/A 赠品"),  # 12 good: text that only looks like one
    ]
    write_csv(landing.root / RESAVED, TMALL_HEADER, rows)
    landing.keep("tmall_orders", "4000000000000000071", "4000000000000000082")

    def jd(order_id: str, **cells) -> list:
        row = dict(
            zip(
                JD_HEADER,
                [
                    order_id,
                    "面霜",
                    "100000000001",
                    1,
                    dt.datetime(2025, 3, 4, 10, 0),
                    45720.4375,
                    199.0,
                    "199.00",
                    "完成",
                    "李*",
                    "北京市朝阳区",
                    "13800138000",
                ],
                strict=False,
            )
        )
        return [FormulaError(v) if k in cells and (v := cells[k]) else row[k] for k in JD_HEADER]

    write_xlsx(
        landing.root / JD_ERRORS,
        JD_HEADER,
        [
            jd("300000000011"),  # 1 good
            jd("300000000012", 订单金额="#VALUE!"),  # 2
            jd("300000000013", 联系电话="#N/A"),  # 3
            jd("300000000014", 商品ID="#N/A"),  # 4
            jd("300000000015", 订购数量="#DIV/0!"),  # 5
            jd("300000000016", 付款确认时间="#REF!"),  # 6
            jd("300000000017", 客户姓名="#NAME?"),  # 7
            jd("300000000018", 订单金额="#NUM!"),  # 8
            jd("300000000019", 商家应收="#NULL!"),  # 9
            jd("300000000020"),  # 10 good
        ],
    )
    landing.keep("jd_orders", "300000000011", "300000000020")


def _bad_inside_json_lists(landing: Landing) -> None:
    """WeCom pulls whose nested lists carry a bad typed field: the line is rejected, named by JSON path."""

    def follow(staff: str, createtime, add_way=1) -> dict:
        return {
            "userid": staff,
            "remark": "",
            "createtime": createtime,
            "add_way": add_way,
            "state": "",
            "remark_mobiles": ["138 0013 8000"],
        }

    def contact(userid: str, follow_user) -> dict:
        return {
            "external_contact": {"external_userid": userid, "name": "小王", "type": 1, "gender": 1},
            "follow_user": follow_user,
        }

    write_jsonl(
        landing.root / CONTACTS,
        [
            contact("wmAAA1", [follow("zhangsan", 1741053600)]),  # 1 good
            contact("wmAAA2", [follow("zhangsan", 1741053600), follow("lisi", "2025-13-01 10:00")]),  # 2
            contact("wmAAA3", [follow("zhangsan", 1741053600, add_way="扫码")]),  # 3
            contact("wmAAA4", {"userid": "zhangsan", "createtime": 1741053600}),  # 4 an object, not a list
            contact("wmAAA5", [follow("zhangsan", 1741053600), "lisi"]),  # 5
            contact(
                "wmAAA6", [follow("zhangsan", 1741053600), follow("lisi", None)]
            ),  # 6 good: no time is no bad time
        ],
    )
    landing.keep("wecom_contacts", "wmAAA1", "wmAAA6")

    def group(chat_id: str, *joins) -> dict:
        members = [
            {"userid": f"wm{i}", "type": 2, "join_time": t, "join_scene": 1} for i, t in enumerate(joins)
        ]
        return {
            "group_chat": {
                "chat_id": chat_id,
                "name": "会员群",
                "owner": "zhangsan",
                "create_time": 1741000000,
                "member_list": members,
            }
        }

    write_jsonl(
        landing.root / GROUPS,
        [
            group("wrOgQ1", 1741053600, 1741057200),  # 1 good
            group("wrOgQ2", 1741053600, 1741057200, 1741060800000),  # 2 milliseconds in a seconds field
        ],
    )
    landing.keep("wecom_groups", "wrOgQ1")


def build_landing(root: Path) -> Landing:
    landing = Landing(root)
    _tmall_rows(landing)
    _tmall_other_files(landing)
    _other_sources(landing)
    _spreadsheet_errors(landing)
    _bad_inside_json_lists(landing)
    return landing


def ingest_all(landing: Path, warehouse: Path) -> dict:
    return {
        # the partitions a run covers lie inside the accepted window, as in the bronze asset
        c.source: ingest_source(
            c, landing, warehouse / "bronze", LOADED_AT, export_dates=ACCEPTED, accepted=ACCEPTED
        )
        for c in load_contracts().values()
    }


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_input")
    landing = build_landing(root / "landing")
    warehouse = root / "warehouse"
    first = ingest_all(landing.root, warehouse)
    stamps = {p: p.stat().st_mtime_ns for p in (warehouse / "bronze").rglob("*.parquet")}
    second = ingest_all(landing.root, warehouse)  # the same landing again (a re-run, re-dropped files)
    restamps = {p: p.stat().st_mtime_ns for p in (warehouse / "bronze").rglob("*.parquet")}
    rejects = pl.read_parquet(str(warehouse / "bronze" / "_rejects" / "*" / "export_date=*" / "*.parquet"))
    return landing, warehouse, first, second, stamps, restamps, rejects


# (case, source, source_file, row, column, reason fragment): a reject row in audit.rejects
REJECTS = [
    ("negative amount", "tmall_orders", MAIN, 3, "paid_amount", "negative amount"),
    ("1970 timestamp", "tmall_orders", MAIN, 4, "created_at", "timestamp before 2000-01-01"),
    (
        "time after the export date",
        "tmall_orders",
        MAIN,
        5,
        "paid_at",
        "more than 1 day(s) after the export date",
    ),
    ("50-digit id", "tmall_orders", MAIN, 6, "order_id", "id longer than 40 characters"),
    ("very long cell", "tmall_orders", MAIN, 7, "receiver_address", "cell longer than 2000 characters"),
    ("absurd amount", "tmall_orders", MAIN, 8, "total_amount", "amount above 10000000 yuan"),
    ("non-numeric amount", "tmall_orders", MAIN, 9, "paid_amount", "not a yuan amount"),
    ("truncated CSV", "tmall_orders", MAIN, 12, "_row", "last row may be cut off"),
    (
        "truncated GBK CSV",
        "tmall_orders",
        "tmall_orders/2025-03-03/cut_gbk.csv",
        3,
        "_row",
        "last row may be cut off",
    ),
    (
        "line break inside a cell (first half)",
        "tmall_orders",
        "tmall_orders/2025-03-03/broken_row.csv",
        2,
        "_row",
        "expected 16 fields, found 9",
    ),
    (
        "line break inside a cell (second half)",
        "tmall_orders",
        "tmall_orders/2025-03-03/broken_row.csv",
        3,
        "_row",
        "expected 16 fields, found 8",
    ),
    (
        "1970 epoch",
        "wechat_mp_events",
        "wechat_mp_events/2025-03-02/events.jsonl",
        2,
        "event_time",
        "timestamp before 2000-01-01",
    ),
    (
        "truncated JSON Lines",
        "wechat_mp_events",
        "wechat_mp_events/2025-03-02/events.jsonl",
        4,
        "_line",
        "malformed JSON line",
    ),
    ("#VALUE! amount in a CSV re-save", "tmall_orders", RESAVED, 2, "paid_amount", EXCEL_ERROR),
    ("#N/A phone in a CSV re-save", "tmall_orders", RESAVED, 3, "receiver_phone", EXCEL_ERROR),
    ("#N/A buyer name in a CSV re-save", "tmall_orders", RESAVED, 4, "buyer_nick", EXCEL_ERROR),
    ("#REF! timestamp in a CSV re-save", "tmall_orders", RESAVED, 5, "created_at", EXCEL_ERROR),
    ("#NAME? integer in a CSV re-save", "tmall_orders", RESAVED, 6, "item_quantity", EXCEL_ERROR),
    ("#DIV/0! amount in a CSV re-save", "tmall_orders", RESAVED, 7, "total_amount", EXCEL_ERROR),
    ("#NULL! order id in a CSV re-save", "tmall_orders", RESAVED, 8, "order_id", EXCEL_ERROR),
    ("#N/A name in a CSV re-save", "tmall_orders", RESAVED, 9, "receiver_name", EXCEL_ERROR),
    ("#NUM! amount padded with spaces", "tmall_orders", RESAVED, 10, "refund_amount", EXCEL_ERROR),
    ("LibreOffice Err:502 timestamp", "tmall_orders", RESAVED, 11, "paid_at", EXCEL_ERROR),
    ("XLSX #VALUE! amount cell", "jd_orders", JD_ERRORS, 2, "line_amount", EXCEL_ERROR),
    ("XLSX #N/A phone cell", "jd_orders", JD_ERRORS, 3, "customer_phone", EXCEL_ERROR),
    ("XLSX #N/A id cell", "jd_orders", JD_ERRORS, 4, "sku_id", EXCEL_ERROR),
    ("XLSX #DIV/0! integer cell", "jd_orders", JD_ERRORS, 5, "quantity", EXCEL_ERROR),
    ("XLSX #REF! timestamp cell", "jd_orders", JD_ERRORS, 6, "paid_at", EXCEL_ERROR),
    ("XLSX #NAME? text cell", "jd_orders", JD_ERRORS, 7, "customer_name", EXCEL_ERROR),
    ("XLSX #NUM! amount cell", "jd_orders", JD_ERRORS, 8, "line_amount", EXCEL_ERROR),
    ("XLSX #NULL! informational cell", "jd_orders", JD_ERRORS, 9, "merchant_receivable", EXCEL_ERROR),
    (
        "bad createtime inside follow_user",
        "wecom_contacts",
        CONTACTS,
        2,
        "follow_user[1].createtime",
        "unparseable unix s",
    ),
    (
        "bad add_way inside follow_user",
        "wecom_contacts",
        CONTACTS,
        3,
        "follow_user[0].add_way",
        "not an integer",
    ),
    ("follow_user not a list", "wecom_contacts", CONTACTS, 4, "follow_user", "not a JSON list"),
    ("follow_user entry not an object", "wecom_contacts", CONTACTS, 5, "follow_user[1]", "not a JSON object"),
    (
        "join_time in milliseconds inside member_list",
        "wecom_groups",
        GROUPS,
        2,
        "member_list[2].join_time",
        "unparseable unix s",
    ),
]
# (source_file, row, column): the exact value exported, in the reject
RAW_VALUES = {
    (RESAVED, 10, "refund_amount"): " #NUM! ",
    (JD_ERRORS, 2, "line_amount"): "#VALUE!",
    (JD_ERRORS, 4, "sku_id"): "#N/A",
    (JD_ERRORS, 6, "paid_at"): "#REF!",
    (JD_ERRORS, 9, "merchant_receivable"): "#NULL!",
    (CONTACTS, 2, "follow_user[1].createtime"): "2025-13-01 10:00",
    (CONTACTS, 3, "follow_user[0].add_way"): "扫码",
    (CONTACTS, 5, "follow_user[1]"): '"lisi"',
    (GROUPS, 2, "member_list[2].join_time"): "1741060800000",
}

# (case, source, message fragment): a file that cannot be read at all fails its source, named
UNREADABLE = [
    (
        "header set of another source",
        "tmall_orders",
        "tmall_orders/2025-03-03/销售出库明细.csv: headers are those of a erp_sales export",
    ),
    ("empty file", "tmall_orders", "tmall_orders/2025-03-04/empty.csv: file is empty (no header row)"),
    ("truncated XLSX", "jd_orders", "jd_orders/2025-03-02/jd_part2.xlsx: cannot read XLSX"),
    ("wrong encoding", "crm_members", "crm_members/2025-03-03/members.csv: not valid UTF-8 (byte 0x"),
]

# (case, source, problem fragment): named in the bronze asset's layout_problems, nothing loaded
LAYOUT = [
    (
        "duplicated file",
        "tmall_orders",
        "tmall_orders/2025-03-02/订单报表 (1).csv: same content as tmall_orders/2025-03-02/订单报表.csv; not loaded twice",
    ),
    (
        "export date in the future",
        "tmall_orders",
        "tmall_orders/2099-01-01: export date in the future; not loaded",
    ),
    (
        "misspelt source folder",
        "tmall_orders",
        "tmall_order: not a landing source folder (did you mean tmall_orders?); ignored",
    ),
    ("unknown source folder", "crm_members", "misc: not a landing source folder; ignored"),
]


@pytest.mark.parametrize(
    "case, source, source_file, row, column, reason", REJECTS, ids=[c[0] for c in REJECTS]
)
def test_a_bad_row_is_rejected_naming_file_row_column_and_reason(
    ingested, case, source, source_file, row, column, reason
):
    *_, rejects = ingested
    found = rejects.filter(
        (pl.col("source") == source) & (pl.col("source_file") == source_file) & (pl.col("row_number") == row)
    )
    assert found.select("column_name", "reason").rows() == [(column, found["reason"][0])], found
    assert reason in found["reason"][0]


@pytest.mark.parametrize("key, value", RAW_VALUES.items(), ids=[f"{f} {r} {c}" for f, r, c in RAW_VALUES])
def test_a_reject_carries_the_value_as_exported(ingested, key, value):
    *_, rejects = ingested
    source_file, row, column = key
    found = rejects.filter(
        (pl.col("source_file") == source_file)
        & (pl.col("row_number") == row)
        & (pl.col("column_name") == column)
    )
    assert found["raw_value"].to_list() == [value]


@pytest.mark.parametrize("case, source, message", UNREADABLE, ids=[c[0] for c in UNREADABLE])
def test_an_unreadable_file_fails_its_source_naming_the_file_and_the_problem(ingested, case, source, message):
    _, _, first, *_ = ingested
    assert any(str(error).startswith(message) for error in first[source].unreadable), first[source].unreadable


@pytest.mark.parametrize("case, source, problem", LAYOUT, ids=[c[0] for c in LAYOUT])
def test_a_layout_problem_is_named_and_loads_nothing(ingested, case, source, problem):
    _, _, first, second, *_ = ingested
    assert problem in first[source].layout_problems
    assert problem in second[source].layout_problems  # on every run, until someone fixes the landing


def test_the_rejects_are_exactly_the_planted_bad_rows(ingested):
    *_, rejects = ingested
    planted = sorted({(source, f, row) for _, source, f, row, _, _ in REJECTS})
    assert sorted(rejects.select("source", "source_file", "row_number").unique().rows()) == planted


def test_no_good_row_is_lost(ingested):
    """Every good row the landing holds is in bronze, counted from how the landing was built."""
    landing, warehouse, *_ = ingested
    for source, keys in landing.good.items():
        loaded = read_bronze(warehouse / "bronze", source).select(KEYS[source]).collect()[KEYS[source]]
        assert sorted(loaded.to_list()) == sorted(keys), source  # none lost, none twice, none invented
    assert sum(len(k) for k in landing.good.values()) == 24


def test_good_rows_next_to_bad_input_keep_their_values(ingested):
    _, warehouse, first, *_ = ingested
    tmall = read_bronze(warehouse / "bronze", "tmall_orders").collect()
    by_id = {r["order_id"]: r for r in tmall.rows(named=True)}
    assert by_id["4000000000000000022"]["receiver_name"] == "韩梅梅"  # the pasted UTF-8 row, not mojibake
    assert by_id["4000000000000000021"]["receiver_name"] == "李雷"
    assert by_id["4000000000000000010"]["receiver_phone_normalized"] is None  # garbage is no phone
    assert (
        by_id["4000000000000000001"]["receiver_phone_normalized"],
        by_id["4000000000000000001"]["receiver_phone_is_masked"],
    ) == (None, True)
    assert by_id["4000000000000000002"]["receiver_phone_normalized"] == "+8613912345678"
    encodings = {f.source_file: f.encoding for f in first["tmall_orders"].files}
    assert encodings["tmall_orders/2025-03-03/mixed.csv"] == "gb18030+utf-8"
    header_only = [f for f in first["tmall_orders"].files if f.source_file.endswith("no_orders.csv")]
    assert [(f.rows, f.rejects) for f in header_only] == [(0, 0)]  # a day without orders is no error


def test_running_again_over_the_same_landing_changes_nothing(ingested):
    _, _, first, second, stamps, restamps, _ = ingested
    assert restamps == stamps
    assert all(f.skipped for result in second.values() for f in result.files)
    assert sum(r.rows_loaded for r in second.values()) == 0
    assert sum(r.rows_loaded for r in first.values()) == 24

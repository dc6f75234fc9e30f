"""Reading real export shapes: encodings, header quirks, XLSX, JSON Lines, unreadable files."""

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from dagster_project.bronze.readers import UnreadableFile, read_landing_file
from sources.contracts import get_contract
from tests.landing_builders import TMALL_HEADER, FormulaError, tmall_row, write_csv, write_jsonl, write_xlsx


def _read(path: Path, source: str):
    return read_landing_file(path, path.name, get_contract(source))


def test_gbk_tmall_report_with_aliases_spaces_and_formula_ids(tmp_path):
    header = [f" {h} " for h in TMALL_HEADER]  # header cells with surrounding spaces
    header[TMALL_HEADER.index("买家实际支付金额")] = "买家实付金额 "  # alias
    header[TMALL_HEADER.index("订单创建时间")] = "买家下单时间"  # alias
    path = write_csv(tmp_path / "订单报表.csv", header, [tmall_row("4012345678901234567")], encoding="gbk")
    raw = _read(path, "tmall_orders")
    assert raw.encoding == "gb18030"
    row = raw.frame.row(0, named=True)
    assert row["order_id"] == '="4012345678901234567"'  # still text: typing unwraps it later
    assert row["paid_amount"] == "199.00"
    assert row["created_at"] == "2025-03-01 10:00:00"
    assert row["receiver_name"] == "王小明"
    assert row["_row_number"] == 1


def test_utf8_bom_csv_is_read_and_bom_not_in_first_header(tmp_path):
    path = write_csv(tmp_path / "t.csv", TMALL_HEADER, [tmall_row("1")], encoding="utf-8", bom=True)
    raw = _read(path, "tmall_orders")
    assert raw.encoding == "utf-8-sig"
    assert raw.frame["order_id"].to_list() == ['="1"']


def test_gbk_file_for_a_utf8_only_source_names_file_and_offset(tmp_path):
    header = [
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
    path = write_csv(
        tmp_path / "members.csv",
        header,
        [["M1", "13812345678", "", "张三", "男", "", "", "", "", "", ""]],
        "gbk",
    )
    with pytest.raises(UnreadableFile, match=r"members.csv: not valid UTF-8 .* offset \d+"):
        _read(path, "crm_members")


def test_missing_required_header_names_the_column(tmp_path):
    header = [h for h in TMALL_HEADER if h != "订单编号"]
    path = write_csv(tmp_path / "bad.csv", header, [tmall_row("1")[1:]])
    with pytest.raises(UnreadableFile, match="bad.csv: missing required column.*订单编号"):
        _read(path, "tmall_orders")


def test_empty_file_is_unreadable(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="empty.csv: file is empty"):
        _read(path, "tmall_orders")


def test_ragged_row_is_rejected_and_the_rest_loads(tmp_path):
    rows = [tmall_row("1"), tmall_row("2")[:5], tmall_row("3") + ["extra", "cells"], tmall_row("4")]
    path = write_csv(tmp_path / "t.csv", TMALL_HEADER, rows)
    raw = _read(path, "tmall_orders")
    assert raw.frame["_row_number"].to_list() == [1, 4]
    assert [(r["row_number"], r["column_name"]) for r in raw.rejects] == [(2, "_row"), (3, "_row")]
    assert "expected 16 fields, found 5" in raw.rejects[0]["reason"]


def test_youzan_duplicate_header_keeps_first_and_other_columns_go_to_extra(tmp_path):
    header = [
        "订单号",
        "订单状态",
        "订单创建时间",
        "买家付款时间",
        "订单实付金额",
        "订单已退款金额",
        "买家昵称",
        "买家手机号",
        "提货人手机号",
        "销售渠道",
        "分销员",
        "全部商品名称",
        "分销员",
        "备注",
    ]
    row = [
        "E2025030112345678",
        "交易成功",
        "2025-03-01 10:00:00",
        "2025-03-01 10:05:00",
        "1,299.00",
        "——",
        "小红",
        "13912345678",
        "139****5678",
        "微商城",
        "分销员甲",
        "面霜",
        "分销员乙",
        "送礼",
    ]
    path = write_csv(tmp_path / "youzan.csv", header, [row], encoding="utf-8", bom=True)
    raw = _read(path, "youzan_orders")
    got = raw.frame.row(0, named=True)
    assert got["distributor"] == "分销员甲"
    assert got["receiver_phone"] == "139****5678"  # 提货人手机号 alias
    assert '"备注":"送礼"' in got["_extra"]


def test_douyin_cells_with_embedded_tabs_and_long_ids_stay_text(tmp_path):
    header = [
        "主订单编号",
        "子订单编号",
        "选购商品",
        "商品ID",
        "商家编码",
        "商品数量",
        "商品金额",
        "订单应付金额",
        "订单提交时间",
        "支付完成时间",
        "订单状态",
        "售后状态",
        "收件人",
        "收件人手机号",
        "省",
        "市",
        "区",
        "详细地址",
    ]
    row = [
        "\t6919876543210987654",
        "\t6919876543210987655",
        "面霜\t50ml",
        "3581234567890123456",
        "SKU-01",
        "1",
        "99.00",
        "89.00",
        "2025/3/1 10:00",
        "2025/3/1 10:01",
        "已完成",
        "",
        "张*",
        "138****0000",
        "广东省",
        "深圳市",
        "南山区",
        "科技园 1 号",
    ]
    path = write_csv(tmp_path / "douyin.csv", header, [row], encoding="utf-8", bom=True)
    got = _read(path, "douyin_orders").frame.row(0, named=True)
    assert got["order_id"] == "\t6919876543210987654"
    assert got["product_id"] == "3581234567890123456"
    assert got["product_name"] == "面霜\t50ml"


def test_jd_xlsx_with_alias_real_dates_and_excel_serials(tmp_path):
    header = [
        "订单号",
        "商品名称",
        "商品编号",
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
    rows = [
        [
            "300012345678",
            "面霜",
            "100012345678",
            1,
            dt.datetime(2025, 3, 1, 10, 0, 0),
            45717.4375,
            199.0,
            "199.00（系统计算中，该值仅供参考）",
            "完成",
            "李*",
            "北京市",
            "1******6198",
        ],
        [
            "300012345679",
            "精华",
            "100012345679",
            2,
            "2025-03-02 11:00:00",
            None,
            "299.00",
            "299",
            "等待出库",
            "王*",
            "上海市",
            "1******0001",
        ],
    ]
    path = write_xlsx(tmp_path / "jd.xlsx", header, rows)
    frame = _read(path, "jd_orders").frame
    assert frame["sku_id"].to_list() == ["100012345678", "100012345679"]
    assert frame["ordered_at"].to_list()[0].startswith("2025-03-01 10:00")
    assert frame["paid_at"].to_list() == ["45717.4375", None]
    assert frame["_row_number"].to_list() == [1, 2]


def test_xlsx_error_cells_read_as_the_text_excel_shows(tmp_path):
    """fastexcel gives an error cell no value; the reader puts its error text back, so the typing
    can reject it (a null would load as "no amount" and the order would reach the marts)."""
    errors = ["#VALUE!", "#N/A", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"]
    header = ["订单号", "商品ID", "订购数量", "订单金额", "联系电话"]
    rows = [["30001", "1001", 1, 199.0, "1******0001"]]
    rows += [
        [f"3000{i}", "1001", FormulaError(e), FormulaError(e) if i % 2 else 99.0, FormulaError(e)]
        for i, e in enumerate(errors, start=2)
    ]
    frame = _read(write_xlsx(tmp_path / "jd.xlsx", header, rows), "jd_orders").frame
    assert frame["quantity"].to_list() == ["1", *errors]
    assert frame["line_amount"].to_list() == [
        "199",
        *[e if i % 2 else "99" for i, e in enumerate(errors, start=2)],
    ]
    assert frame["customer_phone"].to_list() == ["1******0001", *errors]
    assert frame["_row_number"].to_list() == list(range(1, 9))


def test_truncated_xlsx_is_unreadable_with_file_name(tmp_path):
    good = write_xlsx(tmp_path / "ok.xlsx", ["订单号", "商品ID"], [["1", "2"]])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert not zipfile.is_zipfile(broken)
    with pytest.raises(UnreadableFile, match="broken.xlsx: cannot read XLSX"):
        _read(broken, "jd_orders")


def test_jsonl_malformed_lines_are_rejected_by_line_number(tmp_path):
    records = [
        {
            "event_id": "e1",
            "event_time": 1740794400000,
            "openid": " oAbc123 ",
            "anonymous_id": "dev-1",
            "event": "purchase",
            "order_id": "mp202503010001",
            "amount": 59.9,
        },
        '{"event_id": "e2", "event_time": 17407944',  # cut off mid-line
        "",
        {"event_id": "e3", "event_time": 1740794400001, "anonymous_id": "dev-2", "event": "page_view"},
    ]
    path = write_jsonl(tmp_path / "events.jsonl", records)
    raw = _read(path, "wechat_mp_events")
    assert raw.frame["_row_number"].to_list() == [1, 4]
    assert raw.frame["amount"].to_list() == ["59.9", None]
    assert [(r["row_number"], r["column_name"], r["reason"]) for r in raw.rejects] == [
        (2, "_line", "malformed JSON line")
    ]


def test_jsonl_a_line_shaped_like_an_object_but_invalid_inside_is_rejected_too(tmp_path):
    records = [
        {"event_id": "e1", "event_time": 1740794400000, "anonymous_id": "dev-1", "event": "page_view"},
        '{"event_id": "e2", "event_time": 1740794400000,, "event": "page_view"}',  # double comma
        "[1, 2, 3]",  # not an object
        {"event_id": "e4", "event_time": 1740794400001, "anonymous_id": "dev-2", "event": "page_view"},
    ]
    raw = _read(write_jsonl(tmp_path / "events.jsonl", records), "wechat_mp_events")
    assert raw.frame["event_id"].to_list() == ["e1", "e4"]
    assert [r["row_number"] for r in raw.rejects] == [2, 3]


def test_jsonl_nested_paths_and_lists_as_json_text(tmp_path):
    record = {
        "external_contact": {"external_userid": "wmABC", "name": "张三", "type": 1, "unionid": "oU1"},
        "follow_user": [
            {
                "userid": "staff01",
                "remark_mobiles": ["13812345678"],
                "createtime": 1700000000,
                "state": "qr_1",
            }
        ],
    }
    path = write_jsonl(tmp_path / "c.jsonl", [record])
    got = _read(path, "wecom_contacts").frame.row(0, named=True)
    assert got["external_userid"] == "wmABC"
    assert got["contact_type"] == "1"
    assert '"remark_mobiles"' in got["follow_user"] and "13812345678" in got["follow_user"]
    mp = write_jsonl(
        tmp_path / "u.jsonl",
        [
            {
                "openid": "o1",
                "register_time": 1700000000,
                "phone_info": {
                    "phoneNumber": "+85261234567",
                    "purePhoneNumber": "61234567",
                    "countryCode": 852,
                },
            }
        ],
    )
    got = _read(mp, "wechat_mp_users").frame.row(0, named=True)
    assert (got["phone_number"], got["country_code"]) == ("+85261234567", "852")


def test_file_of_another_format_is_unreadable(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(UnreadableFile, match="not a format of tmall_orders"):
        _read(path, "tmall_orders")

"""The bronze data-quality layer: suites on disk and validate_bronze on hand-built frames.

Frames are written by hand in the bronze shape of sources/README.md (typed columns,
`<ts>_raw`, `<phone>_normalized` / `<phone>_is_masked`, lineage, `_extra`), with Chinese
values, masked phones and `+86` normalised phones as the real exports carry them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dagster_project.quality import validation as quality  # noqa: E402
from dagster_project.quality.validation import ValidationSummary, load_suite, validate_bronze  # noqa: E402
from sources.contracts import TIMESTAMP_TYPES, get_contract, load_contracts  # noqa: E402

BEIJING = dt.timezone(dt.timedelta(hours=8))
EXPORT_DATE = dt.date(2024, 3, 1)


def _build_suites_module():
    spec = importlib.util.spec_from_file_location("build_suites", REPO / "expectations" / "build_suites.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- bronze-shaped frames -----------------------------------------------------------------


def _phone(raw: str | None) -> tuple[str | None, bool | None]:
    """(normalised, is_masked) the way sources/README.md describes it, for test rows."""
    if raw is None:
        return None, None
    if "*" in raw:
        return None, True
    if raw.startswith("+") and not raw.startswith("+86"):
        return raw, False
    digits = "".join(ch for ch in raw if ch.isdigit())
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return ("+86" + digits, False) if len(digits) == 11 and digits[0] == "1" else (None, False)


def bronze_frame(source: str, rows: list[dict], file_name: str = "export.csv") -> pl.DataFrame:
    """A bronze frame of `source`: values per contract column, the rest derived.

    Timestamps are given as Beijing wall-time text (kept in `<ts>_raw`, typed as UTC);
    phones as the exported text (normalised / masked flag derived unless given); lineage
    defaults to one landing file of EXPORT_DATE, overridable per row.
    """
    contract = get_contract(source)
    schema: dict[str, pl.DataType] = {}
    data: dict[str, list] = {}
    for col in contract.columns:
        values = [r.get(col.name) for r in rows]
        if col.type in ("text", "id", "json"):
            schema[col.name] = pl.String
            data[col.name] = values
        elif col.type == "int":
            schema[col.name] = pl.Int64
            data[col.name] = values
        elif col.type == "decimal":
            schema[col.name] = pl.Decimal(18, 2)
            data[col.name] = [None if v is None else Decimal(v) for v in values]
        elif col.type in TIMESTAMP_TYPES:
            schema[col.name] = pl.Datetime("us", "UTC")
            schema[f"{col.name}_raw"] = pl.String
            data[col.name] = [
                None if v is None else dt.datetime.fromisoformat(v).replace(tzinfo=BEIJING).astimezone(dt.UTC)
                for v in values
            ]
            data[f"{col.name}_raw"] = [r.get(f"{col.name}_raw", r.get(col.name)) for r in rows]
        elif col.type == "phone":
            schema[col.name] = pl.String
            schema[f"{col.name}_normalized"] = pl.String
            schema[f"{col.name}_is_masked"] = pl.Boolean
            data[col.name] = values
            derived = [_phone(v) for v in values]
            data[f"{col.name}_normalized"] = [
                r.get(f"{col.name}_normalized", d[0]) for r, d in zip(rows, derived, strict=False)
            ]
            data[f"{col.name}_is_masked"] = [
                r.get(f"{col.name}_is_masked", d[1]) for r, d in zip(rows, derived, strict=False)
            ]
    default_file = f"{source}/{EXPORT_DATE.isoformat()}/{file_name}"
    lineage = {
        "_source_file": (pl.String, lambda i, r: r.get("_source_file", default_file)),
        "_row_number": (pl.Int64, lambda i, r: r.get("_row_number", i + 1)),
        "_export_date": (pl.Date, lambda i, r: r.get("_export_date", EXPORT_DATE)),
        "_loaded_at": (pl.Datetime("us", "UTC"), lambda i, r: dt.datetime(2024, 3, 2, 1, 30, tzinfo=dt.UTC)),
        "_file_sha256": (
            pl.String,
            lambda i, r: hashlib.sha256(r.get("_source_file", default_file).encode()).hexdigest(),
        ),
        "_extra": (pl.String, lambda i, r: r.get("_extra", "{}")),
    }
    for name, (dtype, fn) in lineage.items():
        schema[name] = dtype
        data[name] = [fn(i, r) for i, r in enumerate(rows)]
    return pl.DataFrame(data, schema=schema)


TMALL_ROWS = [
    {
        "order_id": "2835123456789012345",
        "buyer_nick": "快乐小熊1234567",
        "goods_amount": "299.00",
        "postage": "0.00",
        "total_amount": "299.00",
        "paid_amount": "279.00",
        "order_status": "交易成功",
        "receiver_name": "王芳",
        "receiver_address": "浙江省 杭州市 西湖区 文三路100号3栋1201室",
        "receiver_phone": "'13812345678",
        "created_at": "2024-02-28 21:03:11",
        "paid_at": "2024-02-28 21:04:02",
        "item_title": "玻尿酸保湿面霜 50ml",
        "item_quantity": 1,
        "shop_name": "某某美妆旗舰店",
    },
    {
        "order_id": "2835123456789012346",
        "buyer_nick": "tb_李华",
        "goods_amount": "1299.00",
        "postage": "10.00",
        "total_amount": "1309.00",
        "paid_amount": "1309.00",
        "order_status": "买家已付款，等待卖家发货",
        "receiver_name": "李华",
        "receiver_address": "上海 上海市 浦东新区 人民路8号",
        "receiver_phone": "138****1234",
        "created_at": "2024-03-01 09:15:00",
        "paid_at": "2024-03-01 09:16:00",
        "paid_at_raw": "2024/3/1 9:16",
        "item_title": "精华液 30ml ×2",
        "item_quantity": 2,
        "shop_name": "某某美妆旗舰店",
        "refund_amount": "0.00",
    },
    {
        "order_id": "2835123456789012347",
        "buyer_nick": "星星momo",
        "goods_amount": "89.90",
        "postage": "0.00",
        "total_amount": "89.90",
        "paid_amount": None,
        "order_status": "等待买家付款",
        "receiver_name": "张伟",
        "receiver_address": "广东省 深圳市 南山区 科技园1号",
        "receiver_phone": "86-13912345678",
        "created_at": "2024-03-01 23:58:40",
        "paid_at": None,
        "item_title": "洁面乳",
        "item_quantity": 1,
        "shop_name": "某某美妆旗舰店",
    },
]
MP_USER_ROWS = [
    {
        "openid": "o3xYt0Ab9_kLmN-pQrStUvWxYz12",
        "unionid": "o6_bmjAbCdEfGhIjKlMnOpQrStUv",
        "register_time": "2023-11-11 00:00:05",
        "phone_number": "13700001111",
        "pure_phone_number": "13700001111",
        "country_code": "86",
    },
    {
        "openid": "o3xYt0Zz8_yXwV-uTsRqPoNmLk34",
        "unionid": None,
        "register_time": "2024-02-29 12:30:00",
        "phone_number": "+85291234567",
        "pure_phone_number": "91234567",
        "country_code": "852",
    },
    {"openid": "o3xYt0Qq7_aBcD-eFgHiJkLmNo56", "register_time": "2024-03-01 08:00:00"},
]

WECOM_ROWS = [
    {
        "external_userid": "wmqfasdAAAxYz0123456789abcdEFGH",
        "name": "陈静",
        "contact_type": 1,
        "gender": 2,
        "unionid": "o6_bmjAbCdEfGhIjKlMnOpQrStUv",
        "follow_user": json.dumps(
            [
                {
                    "userid": "zhangsan",
                    "remark": "陈静-老客",
                    "createtime": 1709251200,
                    "remark_mobiles": ["13800138000"],
                    "add_way": 1,
                    "state": "store_sh01",
                    "tags": [{"group_name": "客户等级", "tag_name": "VIP"}],
                }
            ],
            ensure_ascii=False,
        ),
    },
    {
        "external_userid": "wmqfasdAAAaBc9876543210zyxwVUTS",
        "name": "某某科技-刘洋",
        "contact_type": 2,
        "gender": 1,
        "unionid": None,
        "follow_user": "[]",
    },
]

ERP_REFUND_ROWS = [
    {
        "refund_id": "TK20240301000123",
        "platform_order_id": "2835123456789012345",
        "order_source": "天猫",
        "refund_type": "退款",
        "refund_amount": "279.00",
        "created_at": "2024-03-01 10:00:00",
        "status": "已完成",
    },
    {
        "refund_id": "TK20240301000124",
        "platform_order_id": "WX202402280000012345",
        "order_source": "小程序",
        "refund_type": "退货",
        "refund_amount": "59.00",
        "created_at": "2024-02-29 18:20:00",
        "status": "处理中",
    },
    {
        "refund_id": "TK20240301000125",
        "platform_order_id": "E2024022812000012345678",
        "order_source": "有赞",
        "refund_type": "换货",
        "refund_amount": None,
        "created_at": "2024-02-27 09:00:00",
        "status": "已取消",
    },
]

MP_EVENT_ROWS = [
    {
        "event_id": "9f1c2d3e4b5a69788796a5b4c3d2e1f0",
        "event_time": "2024-03-01 10:00:00",
        "openid": None,
        "anonymous_id": "dev-7a8b9c",
        "event": "page_view",
        "page": "pages/index/index",
        "channel": "live_weekly",
    },
    {
        "event_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "event_time": "2024-03-01 10:05:00",
        "openid": "o3xYt0Ab9_kLmN-pQrStUvWxYz12",
        "anonymous_id": "dev-7a8b9c",
        "event": "purchase",
        "page": "pages/pay/result",
        "order_id": "WX202403010000012345",
        "amount": "159.00",
        "share_from": "o3xYt0Zz8_yXwV-uTsRqPoNmLk34",
    },
]

CLEAN = {
    "tmall_orders": TMALL_ROWS,
    "wechat_mp_users": MP_USER_ROWS,
    "wecom_contacts": WECOM_ROWS,
    "erp_refunds": ERP_REFUND_ROWS,
    "wechat_mp_events": MP_EVENT_ROWS,
}


def tmall(**changes_by_row) -> pl.DataFrame:
    rows = [dict(r) for r in TMALL_ROWS]
    for key, value in changes_by_row.items():
        index, column = key.split("__", 1)
        rows[int(index[1:])][column] = value
    return bronze_frame("tmall_orders", rows, "订单报表-20240301.csv")


def failures(summary: ValidationSummary, level: str, expectation_type: str, column: str):
    pool = summary.error_failures if level == "error" else summary.warning_failures
    return [f for f in pool if f["expectation_type"] == expectation_type and f["column"] == column]


# --- suites on disk -----------------------------------------------------------------------


def test_every_source_has_a_suite():
    assert quality.available_sources() == sorted(load_contracts())
    for source in load_contracts():
        raw = json.loads(quality.suite_path(source).read_text(encoding="utf-8"))
        suite = load_suite(source)
        assert suite.name == f"bronze.{source}"
        assert len(suite.expectations) == len(raw["expectations"]) > 10


def test_suites_on_disk_equal_the_generator_output():
    build = _build_suites_module()
    generated = build.build_all()
    assert sorted(generated) == sorted(load_contracts())
    for source, suite in generated.items():
        on_disk = quality.suite_path(source).read_text(encoding="utf-8")
        assert on_disk == build.render(suite), (
            f"expectations/{source}.json is stale: run python expectations/build_suites.py"
        )
    assert build.main(["--check"]) == 0


def test_every_expectation_has_severity_why_and_matching_gx_severity():
    for source in load_contracts():
        raw = json.loads(quality.suite_path(source).read_text(encoding="utf-8"))
        for exp in raw["expectations"]:
            assert exp["meta"]["severity"] in ("error", "warning"), exp
            assert len(exp["meta"]["why"]) > 20, exp
            assert exp["severity"] == {"error": "critical", "warning": "warning"}[exp["meta"]["severity"]]


def test_schema_check_lists_the_bronze_columns_of_the_contract():
    raw = json.loads(quality.suite_path("wechat_mp_users").read_text(encoding="utf-8"))
    schema = [e for e in raw["expectations"] if e["type"] == "expect_table_columns_to_match_set"]
    assert len(schema) == 1 and schema[0]["meta"]["severity"] == "error"
    assert schema[0]["kwargs"]["exact_match"] is True
    # Written out by hand from sources/README.md, independently of build_suites.py.
    assert sorted(schema[0]["kwargs"]["column_set"]) == sorted(
        [
            "openid",
            "unionid",
            "register_time",
            "register_time_raw",
            "phone_number",
            "phone_number_normalized",
            "phone_number_is_masked",
            "pure_phone_number",
            "country_code",
            "_source_file",
            "_row_number",
            "_export_date",
            "_loaded_at",
            "_file_sha256",
            "_extra",
            "_qc_export_window_end",
        ]
    )


def test_suite_columns_match_the_ingestion_bronze_schema():
    bronze = pytest.importorskip("dagster_project.bronze.ingest")
    build = _build_suites_module()
    for source, contract in load_contracts().items():
        assert set(build.bronze_columns(contract)) == set(bronze.bronze_schema(contract)), source


def test_required_columns_are_error_level_not_null():
    for source, contract in load_contracts().items():
        raw = json.loads(quality.suite_path(source).read_text(encoding="utf-8"))
        not_null = {
            e["kwargs"]["column"]
            for e in raw["expectations"]
            if e["type"] == "expect_column_values_to_not_be_null"
            and e["meta"]["severity"] == "error"
            and "row_condition" not in e["kwargs"]
        }
        assert {c.name for c in contract.required_columns} <= not_null, source
        assert {"_source_file", "_row_number", "_export_date", "_loaded_at", "_file_sha256"} <= not_null, (
            source
        )


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "points"}},  # no bound
        {"type": "expect_column_values_to_be_valid_phone", "kwargs": {"column": "phone"}},  # unknown
    ],
)
def test_load_suite_rejects_an_invalid_expectation(tmp_path, monkeypatch, broken):
    raw = json.loads(quality.suite_path("crm_members").read_text(encoding="utf-8"))
    raw["expectations"].append({**broken, "meta": {"severity": "warning", "why": "broken"}})
    (tmp_path / "crm_members.json").write_text(json.dumps(raw), encoding="utf-8")
    monkeypatch.setattr(quality, "EXPECTATIONS_DIR", tmp_path)
    with pytest.raises(ValueError, match="not valid"):
        load_suite("crm_members")


def test_unknown_source_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no expectation suite"):
        validate_bronze("pinduoduo_orders", pl.DataFrame())


# --- validate_bronze ----------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(CLEAN))
def test_a_clean_frame_passes(source):
    summary = validate_bronze(source, bronze_frame(source, CLEAN[source]))
    assert summary.passed_errors, summary.failures_markdown()
    assert summary.failures == [], summary.failures_markdown()
    assert summary.evaluated == len(load_suite(source).expectations)
    assert summary.row_count == len(CLEAN[source]) and summary.skipped == []


def test_null_record_key_is_an_error_with_the_row_shown():
    summary = validate_bronze("tmall_orders", tmall(r1__order_id=None))
    assert not summary.passed_errors
    [failure] = failures(summary, "error", "expect_column_values_to_not_be_null", "order_id")
    assert failure["unexpected_count"] == 1
    assert failure["sample_rows"] == ["tmall_orders/2024-03-01/订单报表-20240301.csv:2"]
    assert failure["sample_values"] == ["null"]
    assert failure["kwargs"] == {"column": "order_id"}
    assert "order_id" in failure["why"]


def test_negative_amount_is_a_warning_not_an_error():
    summary = validate_bronze("tmall_orders", tmall(r0__paid_amount="-279.00"))
    assert summary.passed_errors, summary.failures_markdown()
    [failure] = failures(summary, "warning", "expect_column_values_to_be_between", "paid_amount")
    assert failure["sample_values"] == ["-279.0"]
    assert failure["unexpected_count"] == 1
    assert failure["unexpected_percent"] == pytest.approx(50.0)  # of the 2 non-null values
    assert not any(f["column"] == "paid_amount" for f in summary.error_failures)


def test_a_missing_column_is_an_error_and_its_checks_are_skipped():
    summary = validate_bronze("tmall_orders", tmall().drop("paid_at"))
    assert not summary.passed_errors
    [failure] = summary.error_failures
    assert failure["expectation_type"] == "expect_table_columns_to_match_set"
    assert failure["details"]["missing"] == ["paid_at"]
    assert failure["sample_values"] == ["missing: paid_at"]
    assert {s["column"] for s in summary.skipped} >= {"paid_at", "paid_at, created_at"}
    assert not any("exception" in f["details"] for f in summary.failures)


def test_an_extra_column_is_an_error():
    summary = validate_bronze("tmall_orders", tmall().with_columns(pl.lit("x").alias("宝贝属性")))
    assert not summary.passed_errors
    assert summary.error_failures[0]["details"]["unexpected"] == ["宝贝属性"]


def test_a_column_of_the_wrong_type_is_an_error():
    # The schema check compares names only; a typed check that cannot run catches the type.
    frame = tmall().with_columns(pl.col("paid_amount").cast(pl.String))
    summary = validate_bronze("tmall_orders", frame)
    assert not summary.passed_errors
    [failure] = failures(summary, "error", "expect_column_values_to_be_between", "paid_amount")
    assert failure["details"]["declared_severity"] == "warning"
    assert "exception" in failure["details"]


def test_an_empty_frame_validates_and_its_schema_is_still_checked():
    empty = tmall().clear()
    summary = validate_bronze("tmall_orders", empty)
    assert summary.passed_errors and summary.failures == [], summary.failures_markdown()
    assert summary.row_count == 0 and summary.evaluated > 10
    broken = validate_bronze("tmall_orders", empty.drop("_file_sha256"))
    assert not broken.passed_errors
    assert broken.error_failures[0]["details"]["missing"] == ["_file_sha256"]


def test_scientific_notation_order_id_is_an_error():
    summary = validate_bronze("tmall_orders", tmall(r2__order_id="2.83512E+18"))
    [failure] = failures(summary, "error", "expect_column_values_to_match_regex", "order_id")
    assert failure["sample_values"] == ["2.83512E+18"]
    assert failure["sample_rows"] == ["tmall_orders/2024-03-01/订单报表-20240301.csv:3"]


def test_duplicate_order_in_one_file_is_an_error_across_files_is_not():
    rows = [dict(r) for r in TMALL_ROWS] + [dict(TMALL_ROWS[0], _row_number=4)]
    dup = validate_bronze("tmall_orders", bronze_frame("tmall_orders", rows))
    [failure] = failures(dup, "error", "expect_compound_columns_to_be_unique", "order_id, _source_file")
    assert failure["unexpected_count"] == 2
    assert failure["sample_rows"] == [
        "tmall_orders/2024-03-01/export.csv:1",
        "tmall_orders/2024-03-01/export.csv:4",
    ]
    rows[-1]["_source_file"] = "tmall_orders/2024-03-02/export.csv"
    rows[-1]["_export_date"] = dt.date(2024, 3, 2)
    later = validate_bronze("tmall_orders", bronze_frame("tmall_orders", rows))
    assert later.passed_errors and later.failures == [], later.failures_markdown()


def test_repeated_mp_event_id_is_only_a_warning():
    rows = MP_EVENT_ROWS + [dict(MP_EVENT_ROWS[1])]
    summary = validate_bronze("wechat_mp_events", bronze_frame("wechat_mp_events", rows, "events.jsonl"))
    assert summary.passed_errors
    assert failures(summary, "warning", "expect_compound_columns_to_be_unique", "event_id, _source_file")


def test_timestamps_outside_the_export_window():
    # One paid_at after the export day (2024-03-01, Beijing): a warning only.
    late = validate_bronze("tmall_orders", tmall(r0__paid_at="2024-03-02 00:00:01"))
    assert late.passed_errors
    [failure] = failures(
        late, "warning", "expect_column_pair_values_a_to_be_greater_than_b", "_qc_export_window_end, paid_at"
    )
    assert failure["sample_values"] == [
        "paid_at=2024-03-01 16:00:01 UTC (window end 2024-03-01 16:00:00 UTC)"
    ]
    # The last Beijing second of the export day is inside the window.
    edge = validate_bronze("tmall_orders", tmall(r0__paid_at="2024-03-01 23:59:59"))
    assert edge.failures == [], edge.failures_markdown()
    # Every created_at in 1970 (epoch seconds read as ms): a systematic error.
    epoch = {f"r{i}__created_at": "1970-01-20 08:00:00" for i in range(3)}
    broken = validate_bronze("tmall_orders", tmall(**epoch))
    assert not broken.passed_errors
    assert failures(broken, "error", "expect_column_values_to_be_between", "created_at")
    assert failures(broken, "warning", "expect_column_values_to_be_between", "created_at")


def test_masked_phone_with_a_normalised_value_is_a_warning():
    summary = validate_bronze("tmall_orders", tmall(r1__receiver_phone_normalized="+8613800001234"))
    assert summary.passed_errors
    [failure] = failures(summary, "warning", "expect_column_values_to_be_null", "receiver_phone_normalized")
    assert failure["sample_values"] == ["+86138****1234"]  # masked: every UI user reads check metadata
    bad_format = validate_bronze("tmall_orders", tmall(r0__receiver_phone_normalized="13812345678"))
    assert failures(bad_format, "warning", "expect_column_values_to_match_regex", "receiver_phone_normalized")


def test_enumerations_from_the_spec_are_warnings():
    wecom = [dict(r) for r in WECOM_ROWS]
    wecom[1]["contact_type"] = 3
    summary = validate_bronze("wecom_contacts", bronze_frame("wecom_contacts", wecom, "contacts.jsonl"))
    assert summary.passed_errors
    [failure] = failures(summary, "warning", "expect_column_values_to_be_in_set", "contact_type")
    assert failure["sample_values"] == ["3"]  # an integer column prints as an integer
    refunds = [dict(r) for r in ERP_REFUND_ROWS]
    refunds[0]["refund_type"] = "补发"
    summary = validate_bronze("erp_refunds", bronze_frame("erp_refunds", refunds))
    assert summary.passed_errors
    [failure] = failures(summary, "warning", "expect_column_values_to_be_in_set", "refund_type")
    assert failure["sample_values"] == ["补*"]  # text is masked whatever its column (a pasted name is a name)


def test_bad_openid_is_an_error_bad_unionid_a_warning():
    rows = [dict(r) for r in MP_USER_ROWS]
    rows[0]["unionid"] = "o6_bmj AbCd"
    rows[2]["openid"] = '{"openid":'
    summary = validate_bronze("wechat_mp_users", bronze_frame("wechat_mp_users", rows, "users.jsonl"))
    assert [f["column"] for f in summary.error_failures] == ["openid"]
    assert [f["column"] for f in summary.warning_failures] == ["unionid"]


def test_samples_are_capped_at_ten_strings():
    rows = [
        dict(TMALL_ROWS[0], order_id=f"28351234567890{i:05d}", postage="-1.00", _row_number=i + 1)
        for i in range(25)
    ]
    summary = validate_bronze("tmall_orders", bronze_frame("tmall_orders", rows))
    [failure] = failures(summary, "warning", "expect_column_values_to_be_between", "postage")
    assert failure["unexpected_count"] == 25
    assert len(failure["sample_values"]) == 10 and len(failure["sample_rows"]) == 10
    assert all(isinstance(v, str) for v in failure["sample_values"] + failure["sample_rows"])


def test_to_metadata_has_counts_and_a_markdown_table():
    summary = validate_bronze("tmall_orders", tmall(r1__order_id=None, r0__postage="-5.00"))
    meta = summary.to_metadata()
    assert meta["error_failures"] == 1 and meta["warning_failures"] == 1
    assert meta["passed_errors"] is False and meta["rows"] == 3
    assert meta["expectations_evaluated"] == summary.evaluated
    table = meta["failures"]
    table = getattr(table, "md_str", table)  # a MetadataValue.md when Dagster is loaded
    assert "| error | expect_column_values_to_not_be_null | order_id | 1 |" in table
    assert "tmall_orders/2024-03-01/订单报表-20240301.csv:2" in table
    assert "-5.0" in table
    json.dumps({k: v for k, v in meta.items() if k != "failures"})
    assert json.dumps(summary.error_failures + summary.warning_failures, ensure_ascii=False)


def test_at_scale_a_keyed_sample_is_validated_and_duplicates_stay_together(tmp_path):
    from dagster_project.quality.validation import rows_to_validate

    keys = [f"3012{n:015d}" for n in range(20_000)] + [
        f"3012{n:015d}" for n in range(0, 20_000, 10)
    ]  # 2,000 re-exported
    paths = []
    for part in range(2):
        chunk = keys[part::2]
        path = tmp_path / f"part{part}.parquet"
        pl.DataFrame({"order_id": chunk, "_row_number": list(range(len(chunk)))}).write_parquet(path)
        paths.append(str(path))

    everything, total = rows_to_validate(paths, ("order_id",), limit=100_000)
    assert total == everything.height == 22_000

    sample, total = rows_to_validate(paths, ("order_id",), limit=2_000)
    assert total == 22_000 and 1_500 <= sample.height <= 2_600
    counts = dict(pl.DataFrame({"order_id": keys})["order_id"].value_counts().iter_rows())
    sampled = dict(sample["order_id"].value_counts().iter_rows())
    assert all(sampled[k] == counts[k] for k in sampled)  # a sampled key brings every one of its rows
    assert any(n == 2 for n in sampled.values())  # so the duplicate check still has duplicates to find
    again, _ = rows_to_validate(paths, ("order_id",), limit=2_000)
    assert again.sort("order_id", "_row_number").equals(
        sample.sort("order_id", "_row_number")
    )  # deterministic

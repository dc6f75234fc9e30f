"""Typing, rejects, lineage and idempotent re-drops of bronze ingestion."""

import datetime as dt
from decimal import Decimal

import polars as pl

from dagster_project.bronze.ingest import bronze_schema, ingest_source, read_bronze
from sources.contracts import get_contract, load_contracts
from tests.landing_builders import TMALL_HEADER, tmall_row, write_csv, write_jsonl

LOADED_AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def _ingest(landing, warehouse, source="tmall_orders"):
    return ingest_source(get_contract(source), landing, warehouse / "bronze", LOADED_AT)


def _rejects(warehouse, source="tmall_orders"):
    return pl.read_parquet(warehouse / "bronze" / "_rejects" / source / "*" / "*.parquet").sort(
        "row_number", "column_name"
    )


def test_tmall_rows_are_typed_with_lineage(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    rows = [
        tmall_row(
            "4012345678901234567",
            订单付款时间="2025/3/1 10:01",
            联系手机="86-13812345678",
            买家实际支付金额="1,299.00",
        ),
        tmall_row(
            "4012345678901234568",
            订单付款时间="",
            联系手机="138****1234",
            订单状态="等待买家付款",
            买家实际支付金额="——",
        ),
    ]
    write_csv(landing / "tmall_orders" / "2025-03-02" / "ExportOrderList.csv", TMALL_HEADER, rows)
    result = _ingest(landing, warehouse)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    frame = read_bronze(warehouse / "bronze", "tmall_orders").collect().sort("_row_number")
    first, second = frame.rows(named=True)
    assert first["order_id"] == "4012345678901234567"
    assert first["paid_at"] == dt.datetime(2025, 3, 1, 2, 1, tzinfo=dt.UTC)
    assert first["paid_at_raw"] == "2025/3/1 10:01"
    assert first["paid_amount"] == Decimal("1299.00")
    assert (first["receiver_phone_normalized"], first["receiver_phone_is_masked"]) == (
        "+8613812345678",
        False,
    )
    assert second["paid_at"] is None and second["paid_amount"] is None  # unpaid: null, never 0
    assert (second["receiver_phone_normalized"], second["receiver_phone_is_masked"]) == (None, True)
    assert first["_source_file"] == "tmall_orders/2025-03-02/ExportOrderList.csv"
    assert first["_export_date"] == dt.date(2025, 3, 2)
    assert first["_loaded_at"] == LOADED_AT
    assert frame.schema == pl.Schema(bronze_schema(get_contract("tmall_orders")))


def test_bad_rows_go_to_rejects_with_column_and_raw_value_and_good_rows_load(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    rows = [
        tmall_row("1"),
        tmall_row("2", 订单付款时间="2025-13-45 25:61"),
        tmall_row("3", 买家实际支付金额="12.3.4"),
        tmall_row("", 订单编号=""),
        tmall_row("5", 订单创建时间="1970-01-01 08:00:00"),
        tmall_row("6"),
    ]
    write_csv(landing / "tmall_orders" / "2025-03-02" / "r.csv", TMALL_HEADER, rows)
    result = _ingest(landing, warehouse)
    assert (result.rows_loaded, result.rows_rejected) == (2, 4)
    good = read_bronze(warehouse / "bronze", "tmall_orders").collect()
    assert sorted(good["order_id"].to_list()) == ["1", "6"]
    rejects = _rejects(warehouse).select(
        "source", "source_file", "row_number", "column_name", "raw_value", "reason"
    )
    assert rejects.rows() == [
        (
            "tmall_orders",
            "tmall_orders/2025-03-02/r.csv",
            2,
            "paid_at",
            "2025-13-45 25:61",
            "unparseable timestamp",
        ),
        ("tmall_orders", "tmall_orders/2025-03-02/r.csv", 3, "paid_amount", "12.3.4", "not a yuan amount"),
        ("tmall_orders", "tmall_orders/2025-03-02/r.csv", 4, "order_id", None, "missing required value"),
        (
            "tmall_orders",
            "tmall_orders/2025-03-02/r.csv",
            5,
            "created_at",
            "1970-01-01 08:00:00",
            "timestamp before 2000-01-01",
        ),
    ]


def test_identical_redrop_changes_nothing_and_a_replaced_file_replaces_its_rows(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    path = write_csv(
        landing / "tmall_orders" / "2025-03-02" / "r.csv", TMALL_HEADER, [tmall_row("1"), tmall_row("2")]
    )
    _ingest(landing, warehouse)
    files_before = sorted(p.name for p in (warehouse / "bronze").rglob("*.parquet"))
    stamp = {p: p.stat().st_mtime_ns for p in (warehouse / "bronze").rglob("*.parquet")}

    # Same bytes dropped again (also copied under another name in the same folder is a new file).
    again = _ingest(landing, warehouse)
    assert [f.skipped for f in again.files] == [True]
    assert {p: p.stat().st_mtime_ns for p in (warehouse / "bronze").rglob("*.parquet")} == stamp

    # The operator replaces the export with a corrected one: its rows replace the old ones.
    write_csv(path, TMALL_HEADER, [tmall_row("1", 订单状态="交易关闭")])
    replaced = _ingest(landing, warehouse)
    assert [f.skipped for f in replaced.files] == [False]
    frame = read_bronze(warehouse / "bronze", "tmall_orders").collect()
    assert frame.select("order_id", "order_status").rows() == [("1", "交易关闭")]
    assert sorted(p.name for p in (warehouse / "bronze").rglob("*.parquet")) != files_before


def test_unreadable_file_does_not_stop_the_other_files_of_the_source(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    write_csv(landing / "tmall_orders" / "2025-03-02" / "good.csv", TMALL_HEADER, [tmall_row("1")])
    (landing / "tmall_orders" / "2025-03-03").mkdir(parents=True)
    (landing / "tmall_orders" / "2025-03-03" / "empty.csv").write_bytes(b"")
    (landing / "tmall_orders" / "notes").mkdir()
    result = _ingest(landing, warehouse)
    assert result.rows_loaded == 1
    assert [str(e) for e in result.unreadable] == [
        "tmall_orders/2025-03-03/empty.csv: file is empty (no header row)"
    ]
    assert result.layout_problems == ["tmall_orders/notes: not an export-date folder (YYYY-MM-DD); ignored"]


def test_jsonl_source_keeps_duplicates_in_bronze_and_types_epochs(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    event = {"event_id": "e1", "event_time": 1740794400000, "anonymous_id": "d1", "event": "page_view"}
    write_jsonl(landing / "wechat_mp_events" / "2025-03-01" / "a.jsonl", [event])
    write_jsonl(landing / "wechat_mp_events" / "2025-03-02" / "b.jsonl", [event, "not json"])
    result = _ingest(landing, warehouse, "wechat_mp_events")
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    frame = read_bronze(warehouse / "bronze", "wechat_mp_events").collect()
    # bronze is history; the latest-export-wins rule is applied in dbt staging
    assert frame["event_time"].unique().to_list() == [dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)]


def test_schema_files_exist_for_every_source(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    landing.mkdir()
    for contract in load_contracts().values():
        ingest_source(contract, landing, warehouse / "bronze", LOADED_AT)
        empty = pl.read_parquet(warehouse / "bronze" / contract.source / "_schema" / "empty.parquet")
        assert empty.height == 0 and empty.schema == pl.Schema(bronze_schema(contract))

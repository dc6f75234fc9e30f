"""The big staging models (Mini Program events, ERP sales lines and refunds, the platforms'
orders, the unnested WeCom histories) are built incrementally: a night
re-decides only the records its new bronze files touch, and ends with exactly the table a
full rebuild gives, through
replaced exports (rows gone, rows changed), late old exports, re-decided keys and files
rewritten by an erasure (same content hash, new _loaded_at)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dagster_project.bronze.ingest import empty_bronze_frame, ensure_schema_files
from sources.contracts import get_contract, load_contracts
from tests.warehouse import dbt

NIGHT_1 = dt.datetime(2024, 3, 3, 2, tzinfo=dt.UTC)
NIGHT_2 = dt.datetime(2024, 3, 4, 2, tzinfo=dt.UTC)
ERASED_AT = dt.datetime(2024, 3, 4, 9, tzinfo=dt.UTC)


def _event(key: str, value: str) -> dict:
    return {
        "event_id": key,
        "event": "page_view",
        "page": value,
        "openid": f"o_{key}",
        "event_time": dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC),
    }


def _sales_line(key: str, value: str) -> dict:
    return {
        "erp_order_id": f"E{key}",
        "order_source": "天猫",
        "platform_order_id": f"T{key}",
        "platform_sub_order_id": key,
        "goods_name": value,
        "paid_at": dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC),
    }


def _tmall_order(key: str, value: str) -> dict:
    return {"order_id": key, "shop_name": value}


def _youzan_order(key: str, value: str) -> dict:
    return {"order_id": key, "order_status": value}


def _douyin_sub_order(key: str, value: str) -> dict:
    return {"order_id": f"O{key}", "sub_order_id": key, "product_name": value}


def _jd_order_line(key: str, value: str) -> dict:
    # every order has the same SKU: the record key (order_id, sku_id) varies by order
    return {"order_id": key, "sku_id": "S1", "item_name": value}


def _group(key: str, value: str) -> dict:
    # a group with one external member: its join time is the value followed
    member = {"userid": f"wm_{key}", "type": 2, "join_time": int(value[1:]), "join_scene": 1}
    return {"chat_id": key, "member_list": json.dumps([member])}


def _contact(key: str, value: str) -> dict:
    follow = {"userid": "staff1", "createtime": int(value[1:]), "add_way": 1}
    return {"external_userid": key, "follow_user": json.dumps([follow])}


def _erp_refund(key: str, value: str) -> dict:
    return {"refund_id": key, "platform_order_id": f"T{key}", "order_source": "天猫", "refund_type": value}


# model -> (bronze source, record key column, the column the test follows, a bronze row)
MODELS = {
    "stg_wechat_mp__events": ("wechat_mp_events", "event_id", "page", _event),
    "stg_erp__sales_lines": ("erp_sales", "platform_sub_order_id", "goods_name", _sales_line),
    "stg_tmall__orders": ("tmall_orders", "order_id", "shop_name", _tmall_order),
    "stg_youzan__orders": ("youzan_orders", "order_id", "order_status", _youzan_order),
    "stg_douyin__sub_orders": ("douyin_orders", "sub_order_id", "product_name", _douyin_sub_order),
    "stg_jd__order_lines": ("jd_orders", "order_id", "item_name", _jd_order_line),
    "stg_erp__refunds": ("erp_refunds", "refund_id", "refund_type", _erp_refund),
}


def write_export(
    bronze: Path, model: str, export_date: str, name: str, sha: str, loaded_at: dt.datetime, values: dict
) -> Path:
    """One bronze file of the model's source as the ingestion writes it (key -> value)."""
    source, _, _, row_of = MODELS[model]
    schema = empty_bronze_frame(get_contract(source)).schema
    source_file = f"{source}/{export_date}/{name}"
    rows = [
        {
            **row_of(key, value),
            "_source_file": source_file,
            "_row_number": i,
            "_export_date": dt.date.fromisoformat(export_date),
            "_loaded_at": loaded_at,
            "_file_sha256": sha * 64,
        }
        for i, (key, value) in enumerate(values.items(), start=1)
    ]
    folder = bronze / source / f"export_date={export_date}"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"{name}__*.parquet"):  # a replaced export supersedes its old file
        stale.unlink()
    target = folder / f"{name}__{sha * 12}.parquet"
    pl.from_dicts(rows, schema=schema).write_parquet(target)
    return target


def values(warehouse: Path, model: str) -> dict[str, str]:
    _, key, value, _ = MODELS[model]
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return dict(con.execute(f"select {key}, {value} from staging.{model} order by 1").fetchall())


@pytest.mark.parametrize("model", MODELS)
def test_incremental_records_equal_a_full_rebuild(tmp_path, model):
    bronze = tmp_path / "bronze"
    for contract in load_contracts().values():
        ensure_schema_files(bronze, contract)
    select = ("--select", f"+{model}")  # with the staging views it reads

    # night 1: two exports; the later one (03-02) wins e2
    write_export(bronze, model, "2024-03-01", "a.jsonl", "a", NIGHT_1, {"e1": "a1", "e2": "a2", "e3": "a3"})
    write_export(bronze, model, "2024-03-02", "b.jsonl", "b", NIGHT_1, {"e2": "b2", "e4": "b4", "e6": "b6"})
    dbt(tmp_path, "run", *select)
    assert values(tmp_path, model) == {"e1": "a1", "e2": "b2", "e3": "a3", "e4": "b4", "e6": "b6"}

    # night 2: b.jsonl replaced (e2 and e6 gone from it, e4 changed); a late export of an
    # OLDER date (02-28) that must not beat 03-01; a new day (03-03) that wins e3
    write_export(bronze, model, "2024-03-02", "b.jsonl", "c", NIGHT_2, {"e4": "b4x"})
    write_export(bronze, model, "2024-02-28", "old.jsonl", "d", NIGHT_2, {"e1": "old1", "e5": "old5"})
    write_export(bronze, model, "2024-03-03", "d.jsonl", "e", NIGHT_2, {"e3": "d3", "e7": "d7"})
    dbt(tmp_path, "run", *select)
    incremental = values(tmp_path, model)
    # expected from the rule itself: e2 falls back to a.jsonl, e6 has no row left
    assert incremental == {"e1": "a1", "e2": "a2", "e3": "d3", "e4": "b4x", "e5": "old5", "e7": "d7"}

    # an erasure rewrites d.jsonl without e3 (dagster_project/privacy/erasure.py: same hash, new
    # _loaded_at): e3 falls back to a.jsonl's row
    write_export(bronze, model, "2024-03-03", "d.jsonl", "e", ERASED_AT, {"e7": "d7"})
    dbt(tmp_path, "run", *select)
    incremental = values(tmp_path, model)
    assert incremental == {"e1": "a1", "e2": "a2", "e3": "a3", "e4": "b4x", "e5": "old5", "e7": "d7"}

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        incremental_rows = con.sql(f"select * from staging.{model}").pl().sort(MODELS[model][1])
    dbt(tmp_path, "run", *select, "--full-refresh")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        full_rows = con.sql(f"select * from staging.{model}").pl().sort(MODELS[model][1])
    assert incremental_rows.equals(full_rows)

    # a night without new files changes nothing
    dbt(tmp_path, "run", *select)
    assert values(tmp_path, model) == incremental


# unnested histories (every row of every bronze file version): model -> (source, key, followed)
HISTORIES = {
    "stg_wecom__group_member_history": ("wecom_groups", "chat_id", "join_time_raw", _group),
    "stg_wecom__contact_follow_history": ("wecom_contacts", "external_userid", "createtime_raw", _contact),
}


@pytest.mark.parametrize("model", HISTORIES)
def test_incremental_history_equals_a_full_rebuild(tmp_path, model, monkeypatch):
    """A history table built night by night holds each bronze file version once and drops the rows
    of versions gone from bronze: after a replaced export, a late old export and an erasure's
    rewrite it holds the rows a full rebuild gives, each once."""
    monkeypatch.setitem(MODELS, model, HISTORIES[model])
    bronze = tmp_path / "bronze"
    for contract in load_contracts().values():
        ensure_schema_files(bronze, contract)
    select = ("--select", f"+{model}")
    _, key, value, _ = HISTORIES[model]

    def rows() -> list[tuple]:
        with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(
                f"select {key}, {value}, _source_file, _loaded_at from staging.{model} order by all"
            ).fetchall()

    write_export(bronze, model, "2024-03-01", "a.jsonl", "a", NIGHT_1, {"g1": "t100", "g2": "t200"})
    dbt(tmp_path, "run", *select)
    assert [r[:2] for r in rows()] == [("g1", "100"), ("g2", "200")]

    # night 2: a.jsonl replaced (g2 gone, g1 changed), a late export of an older date, a new day
    write_export(bronze, model, "2024-03-01", "a.jsonl", "b", NIGHT_2, {"g1": "t101"})
    write_export(bronze, model, "2024-02-28", "old.jsonl", "c", NIGHT_2, {"g3": "t300"})
    write_export(bronze, model, "2024-03-02", "d.jsonl", "d", NIGHT_2, {"g1": "t102", "g4": "t400"})
    dbt(tmp_path, "run", *select)
    assert [r[:2] for r in rows()] == [("g1", "101"), ("g1", "102"), ("g3", "300"), ("g4", "400")]

    # an erasure rewrites d.jsonl without g4 (same hash, new _loaded_at)
    write_export(bronze, model, "2024-03-02", "d.jsonl", "d", ERASED_AT, {"g1": "t102"})
    dbt(tmp_path, "run", *select)
    incremental = rows()
    assert [r[:2] for r in incremental] == [("g1", "101"), ("g1", "102"), ("g3", "300")]
    assert {r[3] for r in incremental if r[2].endswith("/d.jsonl")} == {ERASED_AT}

    dbt(tmp_path, "run", *select, "--full-refresh")
    assert rows() == incremental
    dbt(tmp_path, "run", *select)  # a night without new files changes nothing
    assert rows() == incremental

"""The big staging models (Mini Program events, ERP sales lines, the platforms' orders) are
built incrementally: a night
re-decides only the records its new bronze files touch, and ends with exactly the table a
full rebuild gives, through
replaced exports (rows gone, rows changed), late old exports, re-decided keys and files
rewritten by an erasure (same content hash, new _loaded_at)."""

from __future__ import annotations

import datetime as dt
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


# model -> (bronze source, record key column, the column the test follows, a bronze row)
MODELS = {
    "stg_wechat_mp__events": ("wechat_mp_events", "event_id", "page", _event),
    "stg_erp__sales_lines": ("erp_sales", "platform_sub_order_id", "goods_name", _sales_line),
    "stg_tmall__orders": ("tmall_orders", "order_id", "shop_name", _tmall_order),
    "stg_youzan__orders": ("youzan_orders", "order_id", "order_status", _youzan_order),
    "stg_douyin__sub_orders": ("douyin_orders", "sub_order_id", "product_name", _douyin_sub_order),
    "stg_jd__order_lines": ("jd_orders", "order_id", "item_name", _jd_order_line),
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

"""stg_wechat_mp__events is built incrementally: a night re-decides only the events its new
bronze files touch, and ends with exactly the table a full rebuild gives, through
replaced exports (rows gone, rows changed), late old exports, re-decided keys and files
rewritten by an erasure (same content hash, new _loaded_at)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from dagster_project.bronze.ingest import empty_bronze_frame, ensure_schema_files
from sources.contracts import get_contract, load_contracts
from tests.warehouse import dbt

NIGHT_1 = dt.datetime(2024, 3, 3, 2, tzinfo=dt.UTC)
NIGHT_2 = dt.datetime(2024, 3, 4, 2, tzinfo=dt.UTC)
ERASED_AT = dt.datetime(2024, 3, 4, 9, tzinfo=dt.UTC)
MODEL = "stg_wechat_mp__events"


def write_events(
    bronze: Path, export_date: str, name: str, sha: str, loaded_at: dt.datetime, pages: dict[str, str]
) -> Path:
    """One bronze file of MP events as the ingestion writes it (event_id -> page)."""
    schema = empty_bronze_frame(get_contract("wechat_mp_events")).schema
    source_file = f"wechat_mp_events/{export_date}/{name}"
    rows = [
        {
            "event_id": event_id,
            "event": "page_view",
            "page": page,
            "openid": f"o_{event_id}",
            "event_time": dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC),
            "_source_file": source_file,
            "_row_number": i,
            "_export_date": dt.date.fromisoformat(export_date),
            "_loaded_at": loaded_at,
            "_file_sha256": sha * 64,
        }
        for i, (event_id, page) in enumerate(pages.items(), start=1)
    ]
    folder = bronze / "wechat_mp_events" / f"export_date={export_date}"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"{name}__*.parquet"):  # a replaced export supersedes its old file
        stale.unlink()
    target = folder / f"{name}__{sha * 12}.parquet"
    pl.from_dicts(rows, schema=schema).write_parquet(target)
    return target


def pages(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return dict(con.execute(f"select event_id, page from staging.{MODEL} order by 1").fetchall())


def test_incremental_events_equal_a_full_rebuild(tmp_path):
    bronze = tmp_path / "bronze"
    for contract in load_contracts().values():
        ensure_schema_files(bronze, contract)
    select = ("--select", MODEL)

    # night 1: two exports; the later one (03-02) wins e2
    write_events(bronze, "2024-03-01", "a.jsonl", "a", NIGHT_1, {"e1": "a1", "e2": "a2", "e3": "a3"})
    write_events(bronze, "2024-03-02", "b.jsonl", "b", NIGHT_1, {"e2": "b2", "e4": "b4", "e6": "b6"})
    dbt(tmp_path, "run", *select)
    assert pages(tmp_path) == {"e1": "a1", "e2": "b2", "e3": "a3", "e4": "b4", "e6": "b6"}

    # night 2: b.jsonl replaced (e2 and e6 gone from it, e4 changed); a late export of an
    # OLDER date (02-28) that must not beat 03-01; a new day (03-03) that wins e3
    write_events(bronze, "2024-03-02", "b.jsonl", "c", NIGHT_2, {"e4": "b4x"})
    write_events(bronze, "2024-02-28", "old.jsonl", "d", NIGHT_2, {"e1": "old1", "e5": "old5"})
    write_events(bronze, "2024-03-03", "d.jsonl", "e", NIGHT_2, {"e3": "d3", "e7": "d7"})
    dbt(tmp_path, "run", *select)
    incremental = pages(tmp_path)
    # expected from the rule itself: e2 falls back to a.jsonl, e6 has no row left
    assert incremental == {"e1": "a1", "e2": "a2", "e3": "d3", "e4": "b4x", "e5": "old5", "e7": "d7"}

    # an erasure rewrites d.jsonl without e3 (dagster_project/privacy/erasure.py: same hash, new
    # _loaded_at): e3 falls back to a.jsonl's row
    write_events(bronze, "2024-03-03", "d.jsonl", "e", ERASED_AT, {"e7": "d7"})
    dbt(tmp_path, "run", *select)
    incremental = pages(tmp_path)
    assert incremental == {"e1": "a1", "e2": "a2", "e3": "a3", "e4": "b4x", "e5": "old5", "e7": "d7"}

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        incremental_rows = con.sql(f"select * from staging.{MODEL}").pl().sort("event_id")
    dbt(tmp_path, "run", *select, "--full-refresh")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        full_rows = con.sql(f"select * from staging.{MODEL}").pl().sort("event_id")
    assert incremental_rows.equals(full_rows)

    # a night without new files changes nothing
    dbt(tmp_path, "run", *select)
    assert pages(tmp_path) == incremental

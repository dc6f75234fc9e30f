"""Build a warehouse from a landing tree inside a test: ingest to bronze, then dbt."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import polars as pl

from dagster_project.bronze import ingest_source
from sources.contracts import load_contracts

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = PROJECT_ROOT / "dbt"
LOADED_AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def ingest_landing(landing: Path, warehouse: Path) -> None:
    for contract in load_contracts().values():
        result = ingest_source(contract, landing, warehouse / "bronze", LOADED_AT)
        assert not result.unreadable, result.unreadable


def dbt(warehouse: Path, *args: str, dbt_vars: dict | None = None) -> None:
    """Run a dbt command in-process against WAREHOUSE_DIR=warehouse; fail the test on any error."""
    from dbt.cli.main import dbtRunner

    os.environ["WAREHOUSE_DIR"] = str(warehouse)
    command = [
        *args, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--quiet",
        # the shared dbt/target holds the manifest Dagster loads: never overwrite it from a test
        "--target-path", str(warehouse / "dbt_target"), "--log-path", str(warehouse / "dbt_logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    result = dbtRunner().invoke(command)
    release_duckdb()
    failed = [
        f"{r.node.unique_id}: {r.status} {r.message}" for r in getattr(result.result, "results", [])
        if str(r.status) not in ("success", "pass", "warn")
    ]
    assert result.success and not failed, f"dbt {' '.join(args)} failed: {result.exception or failed}"


def release_duckdb() -> None:
    """dbt-duckdb keeps one process-wide DuckDB handle open after dbtRunner returns; close it
    so this process can open warehouse.duckdb again."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()


def query(warehouse: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).pl()

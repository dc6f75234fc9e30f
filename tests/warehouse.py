"""Build a warehouse from a landing tree inside a test: ingest to bronze, then dbt."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import polars as pl

from dagster_project.bronze.ingest import ingest_source
from sources.contracts import load_contracts

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = PROJECT_ROOT / "dbt"
LOADED_AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def ingest_landing(landing: Path, warehouse: Path) -> None:
    """Every landing file into bronze as the bronze assets load it (the deny-list applied)."""
    from dagster_project.privacy.erasure import deny_filter

    deny = deny_filter(warehouse)
    for contract in load_contracts().values():
        result = ingest_source(contract, landing, warehouse / "bronze", LOADED_AT, deny=deny)
        assert not result.unreadable, result.unreadable


def dbt(warehouse: Path, *args: str, dbt_vars: dict | None = None) -> None:
    """Run a dbt command in-process against WAREHOUSE_DIR=warehouse; fail the test on any error."""
    from dbt.cli.main import dbtRunner

    os.environ["WAREHOUSE_DIR"] = str(warehouse)
    # the as-of date a Dagster run of this process left for its dbt commands is not this one's
    os.environ.pop("SIYU_AS_OF_DATE", None)
    command = [
        *args,
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--quiet",
        # the shared dbt/target holds the manifest Dagster loads: never overwrite it from a test
        "--target-path",
        str(warehouse / "dbt_target"),
        "--log-path",
        str(warehouse / "dbt_logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    result = dbtRunner().invoke(command)
    release_duckdb()
    failed = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in getattr(result.result, "results", [])
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


# when a run happened, not what it computed
RUN_STAMPS = {("clv_model_params", "fitted_at"), ("person_id_merges", "merged_at")}


def marts_differences(
    left: Path,
    right: Path,
    skip_tables: tuple[str, ...] = (),
    may_be_empty: tuple[str, ...] = ("person_id_merges",),
) -> dict[str, tuple]:
    """Tables of schema `marts` whose rows differ between two DuckDB files (doubles rounded to
    6 decimals, run stamps ignored): table -> (rows only left, rows only right, row counts).
    An empty table on the right counts as a difference (nothing was compared) unless it is
    one of may_be_empty."""
    differences = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as lhs (read_only)")
        con.execute(f"attach '{right}' as rhs (read_only)")
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'rhs' "
                "and table_schema = 'marts' order by 1"
            ).fetchall()
            if t not in skip_tables
        ]
        assert len(tables) >= 10, tables
        for table in tables:
            a, b = _comparable(con, "lhs", table), _comparable(con, "rhs", table)
            only_left = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
            only_right = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
            counts = tuple(con.execute(f"select count(*) from ({q})").fetchone()[0] for q in (a, b))
            empty = counts[1] == 0 and table not in may_be_empty
            if only_left or only_right or counts[0] != counts[1] or empty:
                differences[table] = (only_left, only_right, counts)
    return differences


def _comparable(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> str:
    """The table's rows with doubles rounded (a model fit may differ in the last bits)."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' and table_name = ? order by ordinal_position",
        [catalog, table],
    ).fetchall()
    select = ", ".join(
        f'round("{c}", 6)' if t in ("DOUBLE", "FLOAT") else f'"{c}"'
        for c, t in columns
        if (table, c) not in RUN_STAMPS
    )
    return f'select {select} from {catalog}.marts."{table}"'

"""The same dbt project on Apache Spark (dbt-spark session method, local[2]) builds the same
marts as DuckDB from the same landing.

DuckDB builds with its defaults (scipy stitching, `dbt build`); Spark reads a copy of the
same bronze and builds with the portable SQL stitching (`python -m
dagster_project.dbt_runtime.spark`: dbt seed + dbt run, in its own process like a real run).
Every table of the schemas `marts` and `audit` must be equal row for row, except
`clv_model_params.fitted_at` (the time of the fit). Floats (CLV) are compared to 1e-6.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import AS_OF, generate
from tests.warehouse import dbt, ingest_landing

pytestmark = pytest.mark.slow

COMPARED_SCHEMAS = ("marts", "audit")
VOLATILE_COLUMNS = {("marts", "clv_model_params"): ["fitted_at"]}


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("spark_vs_duckdb")
    # a small noisy landing: bad rows (rejects), masked phones, identity traps
    landing, _ = generate(root, 250, seed=23, clean=False)
    duck = root / "duckdb"
    ingest_landing(landing, duck)
    dbt(duck, "build", dbt_vars={"as_of_date": AS_OF})

    spark = root / "spark"
    shutil.copytree(duck / "bronze", spark / "bronze")
    run = subprocess.run(
        [sys.executable, "-m", "dagster_project.dbt_runtime.spark", "--as-of", AS_OF],
        env={**os.environ, "WAREHOUSE_DIR": str(spark)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stdout[-6000:]
    return duck, spark


def duckdb_tables(warehouse: Path) -> dict[tuple[str, str], pl.DataFrame]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {COMPARED_SCHEMAS} and table_type = 'BASE TABLE'"
        ).fetchall()
        return {(schema, name): con.sql(f"select * from {schema}.{name}").pl() for schema, name in names}


def spark_table(warehouse: Path, schema: str, name: str) -> pl.DataFrame:
    # dbt-spark writes Parquet tables under the session's warehouse dir (spark_build)
    folder = warehouse / "spark" / "spark-warehouse" / f"{schema}.db" / name
    files = sorted(folder.glob("*.parquet"))
    assert files, f"Spark built no table {schema}.{name}"
    return pl.read_parquet(files)


def comparable(frame: pl.DataFrame, drop: list[str]) -> pl.DataFrame:
    """One representation per value: instants as naive UTC, decimals and integers widened."""
    columns = []
    for name, dtype in frame.drop(drop).schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        elif isinstance(dtype, pl.Datetime):
            column = column.dt.cast_time_unit("us")
        elif dtype.is_decimal():
            column = column.cast(pl.Decimal(38, dtype.scale))
        elif dtype.is_integer():
            column = column.cast(pl.Int64)
        columns.append(column.alias(name))
    frame = frame.select(columns)
    exact = [name for name, dtype in frame.schema.items() if not dtype.is_float()]
    return frame.sort(exact or frame.columns, nulls_last=True)


def test_spark_builds_the_marts_duckdb_builds(engines):
    duck, spark = engines
    tables = duckdb_tables(duck)
    assert ("marts", "fct_orders") in tables and ("audit", "rejects") in tables
    assert tables["audit", "rejects"].height > 0, "the landing should have rejected rows to compare"
    assert tables["marts", "fct_orders"].height > 100

    for (schema, name), expected in sorted(tables.items()):
        got = spark_table(spark, schema, name)
        assert sorted(got.columns) == sorted(expected.columns), f"{schema}.{name}: columns differ"
        drop = VOLATILE_COLUMNS.get((schema, name), [])
        try:
            assert_frame_equal(
                comparable(got.select(expected.columns), drop),
                comparable(expected, drop),
                check_dtypes=False,
                check_exact=False,
                rel_tol=1e-6,
                abs_tol=1e-9,
            )
        except AssertionError as difference:
            raise AssertionError(f"{schema}.{name} differs between Spark and DuckDB: {difference}") from None

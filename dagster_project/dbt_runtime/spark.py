"""Build the same dbt project on Apache Spark (dbt-spark, session method, local[N]).

    python -m dagster_project.dbt_runtime.spark [--master local[2]] [--as-of D] [-- dbt args]   (make spark-build)

reads the bronze Parquet of $WAREHOUSE_DIR and writes Spark tables (Hive metastore and
warehouse under $WAREHOUSE_DIR/spark/). dbt-spark's session method runs dbt's SQL on the
SparkSession of this process, so before dbt starts this module prepares that session with
what dbt-duckdb gets from its profile plugin and from `external_location`:

- the project's Python SQL functions (dagster_project/dbt_runtime/sql_functions.py) as Arrow UDFs,
  so `pseudonymize` and `normalize_phone` keep one implementation;
- one external table per bronze source, `bronze.<source>` over its Parquet files;
- Python models (CLV) run in this session: dbt-spark submits Python models only to
  Databricks (dbt-labs/dbt-spark#415, an open PR #1063 adds this same "session" method),
  so a small submission helper executes the compiled model here instead.

The identity graph uses the portable SQL stitching (var identity_stitching=sql); engine
differences in SQL are adapter.dispatch macros in dbt/macros/cross_engine.sql.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from dagster_project import settings
from dagster_project.bronze import layout

DBT_DIR = settings.DBT_DIR
SPARK_VARS = {"identity_stitching": "sql"}


def spark_home(warehouse: Path) -> Path:
    return warehouse / "spark"


def spark_session(warehouse: Path, master: str = "local[2]"):
    """The SparkSession dbt-spark will pick up (its session method calls getOrCreate)."""
    from pyspark.sql import SparkSession

    home = spark_home(warehouse)
    home.mkdir(parents=True, exist_ok=True)
    # Python workers must run this interpreter (they import dagster_project for the UDFs)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(master)
        .appName("siyu-warehouse-dbt")
        .config("spark.sql.warehouse.dir", str(home / "spark-warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home}")
        .config("spark.sql.session.timeZone", "UTC")  # timestamps are UTC, as in DuckDB
        .config("spark.sql.shuffle.partitions", "4")  # small partitions for 2 cores
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .enableHiveSupport()
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def register_functions(spark, key: bytes) -> None:
    from pyspark.sql.functions import ArrowUDFType, arrow_udf

    from dagster_project.dbt_runtime.sql_functions import arrow_functions

    for name, (function, takes_list) in arrow_functions(key).items():
        sql_type = "array<string>" if takes_list else "string"
        spark.udf.register(name, arrow_udf(function, sql_type, ArrowUDFType.SCALAR))


def register_bronze(spark, bronze: Path) -> list[str]:
    """bronze.<source> = every Parquet file under bronze/<source>/, and bronze.rejects = every
    file under bronze/_rejects/ (the files carry the full contract schema). Spark skips the
    `_schema/empty.parquet` placeholders as hidden paths, so a folder without data files
    points at its placeholder instead (an empty table with the right columns)."""
    spark.sql("create database if not exists bronze")
    folders = {p.name: p for p in bronze.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    folders["rejects"] = bronze / layout.REJECTS
    for table, folder in sorted(folders.items()):
        data_files = [
            f
            for f in folder.rglob("*.parquet")
            if not any(part.startswith(("_", ".")) for part in f.relative_to(folder).parts)
        ]
        location = folder if data_files else next(folder.rglob("_schema/**/*.parquet"))
        spark.sql(f"drop table if exists bronze.{table}")
        spark.sql(
            f"create table bronze.{table} using parquet "
            f"options (path '{location}', recursiveFileLookup 'true')"
        )
    return sorted(folders)


class SessionPythonJobHelper:
    """Runs a compiled dbt Python model in this process's SparkSession (see module doc)."""

    def __init__(self, parsed_model: dict, credentials) -> None:
        self.parsed_model = parsed_model

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        exec(
            compile(compiled_code, self.parsed_model["original_file_path"], "exec"),
            {"spark": SparkSession.builder.getOrCreate(), "__name__": "dbt_python_model"},
        )


def enable_session_python_models() -> None:
    from dbt.adapters.spark.impl import SparkAdapter

    helpers = dict(SparkAdapter.python_submission_helpers.fget(None))
    helpers["session"] = SessionPythonJobHelper
    SparkAdapter.python_submission_helpers = property(lambda self: helpers)
    SparkAdapter.default_python_submission_method = property(lambda self: "session")


def run_dbt(warehouse: Path, args: list[str], dbt_vars: dict | None = None, master: str = "local[2]"):
    """dbt <args> --target spark against warehouse's bronze; returns the dbtRunnerResult."""
    from dbt.cli.main import dbtRunner

    from dagster_project.rules.pseudonymize import pseudonym_key

    os.environ["WAREHOUSE_DIR"] = str(warehouse)
    spark = spark_session(warehouse, master)
    register_functions(spark, pseudonym_key())
    register_bronze(spark, warehouse / "bronze")
    enable_session_python_models()
    command = [
        *args,
        "--target",
        "spark",
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--target-path",
        str(spark_home(warehouse) / "dbt_target"),
        "--log-path",
        str(spark_home(warehouse) / "dbt_logs"),
        "--vars",
        json.dumps({**SPARK_VARS, **(dbt_vars or {})}),
    ]
    return dbtRunner().invoke(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the dbt project on Spark from $WAREHOUSE_DIR/bronze "
        "(default: dbt seed, then dbt run; other dbt arguments after --)."
    )
    parser.add_argument("--master", default=os.environ.get("SPARK_MASTER", "local[2]"))
    parser.add_argument("--as-of", help="as_of_date (YYYY-MM-DD); default: today in Asia/Shanghai")
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER)
    known = parser.parse_args(argv)
    warehouse = Path(os.environ["WAREHOUSE_DIR"])
    dbt_vars = {"as_of_date": known.as_of} if known.as_of else None
    dbt_args = [a for a in known.dbt_args if a != "--"]
    for command in [dbt_args] if dbt_args else [["seed"], ["run"]]:
        if not run_dbt(warehouse, command, dbt_vars, known.master).success:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

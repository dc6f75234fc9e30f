"""Engine-neutral frames for the dbt Python models: the model logic works on polars, and
these two functions convert from and to what the engine's dbt adapter hands over
(dbt-duckdb: DuckDB relations and connection; dbt-spark via spark_build: Spark DataFrames
and the SparkSession)."""

from __future__ import annotations

import polars as pl


def to_polars(relation) -> pl.DataFrame:
    if hasattr(relation, "toArrow"):  # a Spark DataFrame
        return pl.from_arrow(relation.toArrow())
    return relation.pl()


def from_polars(frame: pl.DataFrame, session):
    if hasattr(session, "sparkContext"):  # a SparkSession: dbt-spark writes Spark DataFrames
        return session.createDataFrame(frame.to_arrow())
    return frame

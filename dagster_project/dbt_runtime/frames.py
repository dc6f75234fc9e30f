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


def keep_matching(relation, keys, column: str, key_column: str):
    """The rows of relation whose `column` is among the `key_column` values of keys (a semi
    join, so each row at most once)."""
    if hasattr(relation, "toArrow"):  # a Spark DataFrame
        return relation.join(keys.selectExpr(f"{key_column} as {column}"), on=column, how="left_semi")
    return relation.join(keys.select(f"{key_column} as {column}"), column, how="semi")


def row_count(relation) -> int:
    if hasattr(relation, "toArrow"):  # a Spark DataFrame
        return relation.count()
    return relation.aggregate("count(*)").fetchall()[0][0]


def part_of(relation, column: str, parts: int, part: int):
    """The rows of relation in part `part` of `parts`, by a hash of `column`: the parts are
    disjoint and together hold every row."""
    if hasattr(relation, "toArrow"):  # a Spark DataFrame: hash() is a signed int there
        return relation.filter(f"pmod(hash({column}), {parts}) = {part}")
    return relation.filter(f"hash({column}) % {parts} = {part}")

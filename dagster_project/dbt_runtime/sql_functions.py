"""The project's Python rules as vectorised SQL functions, for every engine dbt runs on.

- ``pseudonymize(text)``: keyed HMAC-SHA256 (dagster_project.rules.pseudonymize)
- ``normalize_phone(text)``: the ingestion's phone rule (dagster_project.rules.parsing), for
  phones bronze cannot normalise because they sit inside JSON lists (WeCom remark_mobiles)
- ``normalize_phones(list of text)``: the same rule over a list, keeping the valid phones
  distinct and sorted (a list function, because Spark cannot call Python inside a lambda)

They take and return Arrow arrays, which DuckDB (dagster_project/dbt_runtime/duckdb_plugin.py)
and Spark (dagster_project/dbt_runtime/spark.py) hand to Python UDFs, so each rule has one
implementation and SQL models call it by name on either engine.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from dagster_project.rules.parsing import normalize_phone
from dagster_project.rules.pseudonymize import pseudonymize_arrow


def normalize_phone_arrow(values: pa.Array) -> pa.Array:
    series = pl.from_arrow(values).cast(pl.String)
    return (
        series.to_frame("v").select(normalize_phone(pl.col("v")).alias("v"))["v"].to_arrow().cast(pa.string())
    )


def normalize_phones_arrow(lists: pa.Array) -> pa.Array:
    series = pl.from_arrow(lists).cast(pl.List(pl.String))
    phones = series.list.eval(normalize_phone(pl.element()).drop_nulls().unique().sort())
    return phones.to_arrow().cast(pa.list_(pa.string()))


def arrow_functions(key: bytes) -> dict:
    """name -> (Arrow function, takes a list of text)"""
    return {
        "pseudonymize": (lambda values: pseudonymize_arrow(values, key), False),
        "normalize_phone": (normalize_phone_arrow, False),
        "normalize_phones": (normalize_phones_arrow, True),
    }

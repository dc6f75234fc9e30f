"""dbt-duckdb plugin: the project's Python rules as DuckDB functions on every dbt connection.

- ``pseudonymize(varchar)``: keyed HMAC-SHA256 (dagster_project.pseudonymize)
- ``normalize_phone(varchar)``: the ingestion's phone rule (dagster_project.parsing), for
  phones bronze cannot normalise because they sit inside JSON lists (WeCom remark_mobiles)

So each rule has one implementation, in Python, and SQL models call it.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin

from dagster_project.parsing import normalize_phone
from dagster_project.pseudonymize import pseudonym_key, pseudonymize_arrow
from dagster_project.settings import is_production


def normalize_phone_arrow(values: pa.Array) -> pa.Array:
    series = pl.from_arrow(values).cast(pl.String)
    return series.to_frame("v").select(normalize_phone(pl.col("v")).alias("v"))["v"].to_arrow().cast(pa.string())


def register_functions(con, key: bytes) -> None:
    from duckdb.sqltypes import VARCHAR

    con.create_function(
        "pseudonymize", lambda values: pseudonymize_arrow(values, key), [VARCHAR], VARCHAR,
        type="arrow", null_handling="special", side_effects=False,
    )
    con.create_function(
        "normalize_phone", normalize_phone_arrow, [VARCHAR], VARCHAR,
        type="arrow", null_handling="special", side_effects=False,
    )


class Plugin(BasePlugin):
    def initialize(self, plugin_config):
        # the prod target refuses the development key, and so does any target under SIYU_ENV=production
        production = bool(plugin_config.get("refuse_development_key", False)) or is_production()
        self._key = pseudonym_key(production=production)

    def configure_connection(self, conn):
        register_functions(conn, self._key)

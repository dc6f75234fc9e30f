"""dbt-duckdb plugin: the project's Python rules (dagster_project/dbt_runtime/sql_functions.py:
``pseudonymize``, ``normalize_phone``) as DuckDB functions on every dbt connection."""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from dagster_project.dbt_runtime.sql_functions import arrow_functions
from dagster_project.rules.pseudonymize import pseudonym_key
from dagster_project.settings import is_production


def register_functions(con, key: bytes) -> None:
    import duckdb
    from duckdb.sqltypes import VARCHAR

    text_list = duckdb.list_type(VARCHAR)
    for name, (function, takes_list) in arrow_functions(key).items():
        sql_type = text_list if takes_list else VARCHAR
        con.create_function(
            name,
            function,
            [sql_type],
            sql_type,
            type="arrow",
            null_handling="special",
            side_effects=False,
        )


class Plugin(BasePlugin):
    def initialize(self, plugin_config):
        # the prod target refuses the development key, and so does any target under SIYU_ENV=production
        production = bool(plugin_config.get("refuse_development_key", False)) or is_production()
        self._key = pseudonym_key(production=production)

    def configure_connection(self, conn):
        register_functions(conn, self._key)

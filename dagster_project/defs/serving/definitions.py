"""Serving: the published serving.duckdb for BI and the morning report rendered from it."""

import dagster as dg

from dagster_project.defs.serving.publish import serving_duckdb
from dagster_project.defs.serving.report import morning_report


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[serving_duckdb, morning_report])

"""Ingestion: one bronze asset per landing contract (landing files -> typed bronze Parquet)."""

import dagster as dg

from dagster_project.defs.ingestion.assets import bronze_assets


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=bronze_assets)

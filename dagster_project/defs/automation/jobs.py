"""The nightly job: every asset except retention, which has its own job."""

import dagster as dg

nightly_job = dg.define_asset_job(
    "nightly_warehouse",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("retention"),  # its own job
    description="Ingest new landing files, build every dbt model and test, publish serving.duckdb.",
    # One process: a step in its own process would pay ~10 s of imports (Dagster, dbt,
    # Great Expectations) each, more than the work itself at demo scale; polars and DuckDB
    # use both cores inside a step anyway.
    executor_def=dg.in_process_executor,
    # the instance (deploy/dagster.yaml) lets one run with this tag write at a time
    tags={"siyu/warehouse": "writer"},
)

"""The nightly job: every asset except retention, which has its own job."""

import dagster as dg

from dagster_project.defs.common import writer_lock

nightly_job = dg.define_asset_job(
    "nightly_warehouse",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("retention"),  # its own job
    description="Ingest new landing files, build every dbt model and test, publish serving.duckdb.",
    # One process: a step in its own process would pay ~10 s of imports (Dagster, dbt,
    # Great Expectations) each, more than the work itself at demo scale; polars and DuckDB
    # use both cores inside a step anyway (under the warehouse writer lock: defs/common/writer_lock.py).
    executor_def=writer_lock.writer_executor,
    # the instance (deploy/dagster.yaml) also queues runs with this tag one at a time
    tags={"siyu/warehouse": "writer"},
)

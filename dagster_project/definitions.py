"""The code location: bronze ingestion -> dbt (staging, identity, marts) -> serving."""

from __future__ import annotations

import dagster as dg

from dagster_project import settings
from dagster_project.defs.automation import build_automation
from dagster_project.defs.dbt import dbt_resource, warehouse_dbt_models
from dagster_project.defs.identity import identity_health
from dagster_project.defs.ingestion import bronze_assets
from dagster_project.defs.privacy import erase_person
from dagster_project.defs.report import morning_report
from dagster_project.defs.retention import expired_exports, retention_job, retention_schedule
from dagster_project.defs.serving import serving_duckdb
from dagster_project.writer_lock import writer_executor

settings.export_to_environment()

nightly_job = dg.define_asset_job(
    "nightly_warehouse",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("retention"),  # its own job
    description="Ingest new landing files, build every dbt model and test, publish serving.duckdb.",
    # One process: a step in its own process would pay ~10 s of imports (Dagster, dbt,
    # Great Expectations) each, more than the work itself at demo scale; polars and DuckDB
    # use both cores inside a step anyway.
    # (under the warehouse writer lock, dagster_project/writer_lock.py)
    executor_def=writer_executor,
    # the instance (deploy/dagster.yaml) also queues runs with this tag one at a time
    tags={"siyu/warehouse": "writer"},
)

nightly_schedule, new_files_sensor = build_automation(nightly_job)

defs = dg.Definitions(
    assets=[*bronze_assets, warehouse_dbt_models, serving_duckdb, morning_report, expired_exports],
    asset_checks=[identity_health],
    jobs=[nightly_job, erase_person, retention_job],
    schedules=[nightly_schedule, retention_schedule],
    sensors=[new_files_sensor],
    resources={"dbt": dbt_resource()},
    executor=writer_executor,  # ad-hoc materialisations (UI, `dagster asset materialize`) too
)

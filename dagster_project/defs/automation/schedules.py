"""Nightly schedule and new-file sensor for the warehouse job.

Both start the one job with the asset selection of ``night_request`` (what changed:
dagster_project.planning.changes); the schedule as of the previous Beijing day, the sensor when
files land that no earlier evaluation saw. One run covers every pending export date,
so dbt builds once.
"""

import datetime as dt
import hashlib
import json

import dagster as dg

from dagster_project import settings
from dagster_project.bronze.ingest import landing_files
from dagster_project.defs.automation import jobs  # the module, so the loader finds the job once
from dagster_project.defs.common.partitions import accepted_window, range_tags
from sources.contracts import load_contracts

SERVING_KEY = dg.AssetKey(["serving", "serving_duckdb"])
REPORT_KEY = dg.AssetKey(["serving", "morning_report"])


def previous_beijing_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(settings.BEIJING).date() - dt.timedelta(days=1)


def landing_fingerprints() -> dict[str, str]:
    """Every landing file the ingestion would read, with size and mtime (cheap, no hashing)."""
    found = {}
    for contract in load_contracts().values():
        for path, _ in landing_files(settings.landing_dir(), contract)[0]:
            stat = path.stat()
            found[path.relative_to(settings.landing_dir()).as_posix()] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return found


def night_request(as_of: dt.date):
    """(asset keys, run tags, plan) of the run that brings the warehouse up to date as of that day:
    the bronze assets with pending landing files (for their export dates), the dbt models whose
    inputs changed, the serving file when a model is rebuilt, and always the morning report."""
    from dagster_project.defs.dbt.assets import asset_keys_of, dbt_project
    from dagster_project.defs.ingestion.assets import bronze_key
    from dagster_project.planning.changes import plan_night

    plan = plan_night(as_of.isoformat(), dbt_project().manifest_path, accepted_window())
    keys = [bronze_key(source) for source in sorted(plan.ingest)] + asset_keys_of(plan.dbt.nodes)
    keys += [SERVING_KEY] if plan.publish else []
    tags = {settings.AS_OF_TAG: as_of.isoformat(), **(range_tags(*plan.dates) if plan.dates else {})}
    return [*keys, REPORT_KEY], tags, plan


def build_automation(job) -> tuple[dg.ScheduleDefinition, dg.SensorDefinition]:
    @dg.schedule(
        job=job,
        cron_schedule="0 2 * * *",
        execution_timezone="Asia/Shanghai",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def nightly_at_two(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        """02:00 Beijing: the run for the previous Beijing day."""
        as_of = previous_beijing_day(context.scheduled_execution_time)
        keys, tags, plan = night_request(as_of)
        context.log.info(plan.summary())
        return dg.RunRequest(run_key=f"nightly-{as_of}", asset_selection=keys, tags=tags)

    @dg.sensor(job=job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
    def new_landing_files(context: dg.SensorEvaluationContext):
        """A run when files land that no earlier evaluation saw (new or replaced files)."""
        seen = json.loads(context.cursor) if context.cursor else {}
        current = landing_fingerprints()
        changed = sorted(name for name, mark in current.items() if seen.get(name) != mark)
        if not changed:
            return dg.SkipReason("no new landing files")
        context.update_cursor(json.dumps(current))
        keys, tags, plan = night_request(settings.as_of_date())
        if not plan.ingest:
            return dg.SkipReason(
                f"{len(changed)} changed file(s), none in an accepted export-date folder "
                "with content new to bronze"
            )
        return dg.RunRequest(
            run_key="landing-"
            + hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16],
            asset_selection=keys,
            tags={"siyu/new_files": str(len(changed)), **tags},
        )

    return nightly_at_two, new_landing_files


nightly_schedule, new_files_sensor = build_automation(jobs.nightly_job)

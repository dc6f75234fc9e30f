"""Nightly schedule and new-file sensor for the warehouse job.

Both start the one job; the schedule for yesterday's export-date partition, the
sensor for the export dates whose files are new or replaced (one run covering
them, so dbt builds once).
"""

import datetime as dt
import hashlib
import json

import dagster as dg

from dagster_project import settings
from dagster_project.bronze.ingest import landing_files
from dagster_project.defs.automation import jobs  # the module, so the loader finds the job once
from dagster_project.defs.common.partitions import covering_range, range_tags
from sources.contracts import load_contracts



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


def build_automation(job) -> tuple[dg.ScheduleDefinition, dg.SensorDefinition]:
    @dg.schedule(job=job, cron_schedule="0 2 * * *", execution_timezone="Asia/Shanghai",
                 default_status=dg.DefaultScheduleStatus.RUNNING)
    def nightly_at_two(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        """02:00 Beijing: the run for the previous Beijing day."""
        as_of = previous_beijing_day(context.scheduled_execution_time)
        return dg.RunRequest(
            run_key=f"nightly-{as_of}", partition_key=as_of.isoformat(), tags={settings.AS_OF_TAG: as_of.isoformat()}
        )

    @dg.sensor(job=job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
    def new_landing_files(context: dg.SensorEvaluationContext):
        """A run when files land that no earlier evaluation saw (new or replaced files)."""
        seen = json.loads(context.cursor) if context.cursor else {}
        current = landing_fingerprints()
        changed = sorted(name for name, mark in current.items() if seen.get(name) != mark)
        if not changed:
            return dg.SkipReason("no new landing files")
        context.update_cursor(json.dumps(current))
        dates = covering_range([dt.date.fromisoformat(name.split("/")[1]) for name in changed])
        if dates is None:
            return dg.SkipReason(f"{len(changed)} changed file(s), none in an accepted export-date folder")
        return dg.RunRequest(
            run_key="landing-" + hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16],
            tags={"siyu/new_files": str(len(changed)), **range_tags(*dates)},
        )

    return nightly_at_two, new_landing_files


nightly_schedule, new_files_sensor = build_automation(jobs.nightly_job)

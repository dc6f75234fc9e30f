"""Automation: the nightly job, its schedule and the new-files sensor."""

import dagster as dg

from dagster_project.defs.automation.jobs import nightly_job
from dagster_project.defs.automation.schedules import build_automation

nightly_schedule, new_files_sensor = build_automation(nightly_job)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=[nightly_job], schedules=[nightly_schedule], sensors=[new_files_sensor])

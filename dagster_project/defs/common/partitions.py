"""Daily partitions of the bronze assets: one per export-date folder of the landing.

A partition is the Beijing date of an export (landing/<source>/<export_date>/).
The nightly schedule materialises yesterday's partition; a backfill over a range
re-reads those export dates in one run (BackfillPolicy.single_run) and rebuilds
the dbt models once from all of bronze.
"""

import datetime as dt

import dagster as dg

from dagster_project import settings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# end_offset=1: today's (Beijing) folder is a partition already, so an export dropped
# this morning can be loaded by the sensor before the day is over.
export_dates = dg.DailyPartitionsDefinition(
    start_date=settings.first_export_date().isoformat(),
    timezone="Asia/Shanghai",
    end_offset=1,
)


def accepted_window() -> tuple[dt.date, dt.date]:
    """The export dates that are partitions now: FIRST_EXPORT_DATE .. today in Beijing."""
    return settings.first_export_date(), settings.beijing_today()


def range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    """Run tags that make one run cover the partitions first..last."""
    return {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}


def covering_range(days: list[dt.date]) -> tuple[dt.date, dt.date] | None:
    """The partition range covering these export dates, clipped to the accepted window."""
    low, high = accepted_window()
    inside = [day for day in days if low <= day <= high]
    return (min(inside), max(inside)) if inside else None

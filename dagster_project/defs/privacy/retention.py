"""Asset ``retention/expired_exports``: deletes landing folders and bronze partitions past
their retention period (dagster_project/privacy/retention.py); ``dry_run`` only lists them.

Not part of the nightly job: its own job ``enforce_retention`` and schedule (03:30
Beijing, after the nightly run; off until switched on, since it deletes files).
"""

import dagster as dg

from dagster_project import settings
from dagster_project.defs.common.writer_lock import writer_executor
from dagster_project.lib.markdown import markdown_table


class RetentionConfig(dg.Config):
    dry_run: bool = False


def _listing(folders, root) -> dg.MetadataValue:
    import polars as pl

    names = [f.relative_to(root).as_posix() for f in folders]
    return dg.MetadataValue.md(
        markdown_table(pl.DataFrame({"folder": names}, schema={"folder": pl.String})) if names else "none"
    )


@dg.asset(
    key=dg.AssetKey(["retention", "expired_exports"]),
    group_name="retention",
    kinds={"python"},
    description="Deletes landing export folders older than LANDING_RETENTION_DAYS and bronze partitions older "
    "than BRONZE_RETENTION_DAYS (from the as-of date); dry_run lists them only.",
)
def expired_exports(context: dg.AssetExecutionContext, config: RetentionConfig) -> dg.MaterializeResult:
    from dagster_project.privacy.retention import apply_retention, plan_retention, retention_days
    from sources.contracts import load_contracts

    landing_days, bronze_days = retention_days()
    plan = plan_retention(
        settings.landing_dir(),
        settings.bronze_dir(),
        list(load_contracts()),
        settings.as_of_date(),
        landing_days,
        bronze_days,
    )
    if not config.dry_run:
        apply_retention(plan)
    verb = "would delete" if config.dry_run else "deleted"
    context.log.info(
        f"retention {verb} {len(plan.landing)} landing folder(s) before {plan.landing_cutoff} and "
        f"{len(plan.bronze)} bronze partition(s) before {plan.bronze_cutoff}"
    )
    return dg.MaterializeResult(
        metadata={
            "dry_run": dg.MetadataValue.bool(config.dry_run),
            "as_of_date": dg.MetadataValue.text(plan.as_of.isoformat()),
            "landing_cutoff": dg.MetadataValue.text(plan.landing_cutoff.isoformat()),
            "bronze_cutoff": dg.MetadataValue.text(plan.bronze_cutoff.isoformat()),
            "landing_folders_expired": dg.MetadataValue.int(len(plan.landing)),
            "bronze_partitions_expired": dg.MetadataValue.int(len(plan.bronze)),
            "landing_folders": _listing(plan.landing, settings.landing_dir()),
            "bronze_partitions": _listing(plan.bronze, settings.bronze_dir()),
        }
    )


retention_job = dg.define_asset_job(
    "enforce_retention",
    selection=[expired_exports],
    executor_def=writer_executor,
    tags={"siyu/warehouse": "writer"},  # never deletes bronze under a running nightly run
    description="Delete landing folders and bronze partitions past their retention period.",
)

retention_schedule = dg.ScheduleDefinition(
    name="retention_daily",
    job=retention_job,
    cron_schedule="30 3 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

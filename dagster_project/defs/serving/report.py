"""The morning report for the operations team, rendered after each publication."""

import dagster as dg

from dagster_project import settings
from dagster_project.defs.serving.publish import serving_duckdb
from dagster_project.serving.report import write_morning_report


@dg.asset(
    key=dg.AssetKey(["serving", "morning_report"]),
    group_name="serving",
    deps=[serving_duckdb],
    kinds={"html"},
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="morning_report_<as_of>.html (and morning_report_latest.html) next to serving.duckdb: KPI "
    "tiles, funnels, cohort retention, LTV curves, segments and channels, read from the published file only.",
)
def morning_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    summary, latest = write_morning_report(
        settings.serving_db(), settings.report_dir(), settings.run_as_of_date(context.run.tags)
    )
    context.log.info(f"morning report: {summary.path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(summary.path)),
            "latest": dg.MetadataValue.path(str(latest)),
            "size_bytes": dg.MetadataValue.int(summary.size_bytes),
            "charts": dg.MetadataValue.int(len(summary.charts)),
            "sections_without_data": dg.MetadataValue.text(", ".join(summary.empty_sections) or "none"),
            "as_of_date": dg.MetadataValue.text(summary.as_of.isoformat()),
            "kpi_month": dg.MetadataValue.text(f"{summary.kpi_month:%Y-%m}"),
        }
    )

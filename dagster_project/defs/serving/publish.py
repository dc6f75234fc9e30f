"""The serving file BI tools read: published only after every blocking check passed."""

import dagster as dg
import duckdb
import polars as pl

from dagster_project import settings
from dagster_project.defs.common.retries import retry_transient
from dagster_project.defs.dbt.assets import warehouse_dbt_models
from dagster_project.lib.markdown import markdown_table
from dagster_project.serving.publish import publish_marts

# What an engineer glances at after a run: the last months' KPIs and the segments.
PREVIEWS = {
    "kpis_last_6_months": "select month, new_persons, buyers, orders, gmv, net_revenue, aov, repurchase_rate, "
    "k_factor from marts.agg_kpis_monthly order by month desc limit 6",
    "lifecycle_segments": "select lifecycle_segment, count(*) as persons, sum(net_revenue) as net_revenue "
    "from marts.dim_customers group by all order by persons desc",
    "top_acquisition_channels": "select acquisition_channel, count(*) as persons, count(first_order_at) as buyers "
    "from marts.dim_customers group by all order by persons desc limit 10",
}


def _mart_keys() -> list[dg.AssetKey]:
    return sorted(
        (key for key in warehouse_dbt_models.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string()
    )


def previews(serving: duckdb.DuckDBPyConnection) -> dict[str, dg.MetadataValue]:
    return {
        name: dg.MetadataValue.md(markdown_table(serving.sql(sql).pl())) for name, sql in PREVIEWS.items()
    }


@dg.asset(
    key=dg.AssetKey(["serving", "serving_duckdb"]),
    group_name="serving",
    deps=_mart_keys(),
    kinds={"duckdb"},
    backfill_policy=dg.BackfillPolicy.single_run(),  # publish once per backfill, like the dbt models
    description="serving.duckdb: schema marts copied into a new file and atomically swapped in.",
)
def serving_duckdb(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings.serving_db().parent.mkdir(parents=True, exist_ok=True)
    with retry_transient():
        rows = publish_marts(settings.warehouse_db(), settings.serving_db())
    with duckdb.connect(str(settings.serving_db()), read_only=True) as serving:
        preview = previews(serving)
    table = markdown_table(pl.DataFrame({"table": [f"marts.{t}" for t in rows], "rows": list(rows.values())}))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.serving_db())),
            "tables": dg.MetadataValue.int(len(rows)),
            "rows_per_table": dg.MetadataValue.md(table),
            **preview,
        }
    )

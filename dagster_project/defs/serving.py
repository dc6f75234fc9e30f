"""The serving file BI tools read: published only after every blocking check passed."""


import dagster as dg

from dagster_project import settings
from dagster_project.defs.dbt import warehouse_dbt_models
from dagster_project.publish import publish_marts


def _mart_keys() -> list[dg.AssetKey]:
    return sorted(
        (key for key in warehouse_dbt_models.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string()
    )


@dg.asset(
    key=dg.AssetKey(["serving", "serving_duckdb"]),
    group_name="serving",
    deps=_mart_keys(),
    kinds={"duckdb"},
    description="serving.duckdb: schema marts copied into a new file and atomically swapped in.",
)
def serving_duckdb(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings.serving_db().parent.mkdir(parents=True, exist_ok=True)
    rows = publish_marts(settings.warehouse_db(), settings.serving_db())
    table = "\n".join(["| table | rows |", "|---|---|"] + [f"| marts.{t} | {n} |" for t, n in rows.items()])
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.serving_db())),
            "tables": dg.MetadataValue.int(len(rows)),
            "rows_per_table": dg.MetadataValue.md(table),
        }
    )

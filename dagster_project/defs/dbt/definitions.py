"""dbt: staging, identity and marts models built in warehouse.duckdb, with their tests as checks."""

import dagster as dg

from dagster_project.defs.dbt.assets import dbt_resource, warehouse_dbt_models


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[warehouse_dbt_models], resources={"dbt": dbt_resource()})

"""The dbt CLI resource every dbt step uses (the project, its profiles and target)."""

import dagster as dg


@dg.definitions
def resources() -> dg.Definitions:
    from dagster_project.defs.dbt.assets import dbt_resource

    return dg.Definitions(resources={"dbt": dbt_resource()})

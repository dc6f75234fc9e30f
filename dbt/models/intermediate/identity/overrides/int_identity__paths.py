"""Each identifier's parent on a shortest path of kept links to its person's anchor
(dagster_project/identity/paths.py); int_identity__explain adds the evidence of each link."""

from dagster_project.dbt_runtime.frames import from_polars
from dagster_project.dbt_runtime.models import path_relations


def model(dbt, session):
    dbt.config(materialized="table")
    # refs are literal so dbt sees the dependencies
    return from_polars(
        path_relations(dbt.ref("int_identity__persons"), dbt.ref("int_identity__final_edges")), session
    )

"""The paths (dagster_project/identity/paths.py) of the persons a night traces
(int_identity__persons_to_retrace); int_identity__paths keeps them with the others."""

from dagster_project.dbt_runtime.frames import from_polars
from dagster_project.dbt_runtime.models import path_relations


def model(dbt, session):
    dbt.config(materialized="table")
    # refs are literal so dbt sees the dependencies
    return from_polars(
        path_relations(
            dbt.ref("int_identity__persons"),
            dbt.ref("int_identity__final_edges"),
            dbt.ref("int_identity__persons_to_retrace"),
        ),
        session,
    )

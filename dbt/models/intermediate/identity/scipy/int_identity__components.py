"""Final connected components over the edges after the analysts' overrides (scipy path; see int_identity__components.sql for the portable one)."""

from dagster_project.dbt_runtime.models import stitch_relations


def model(dbt, session):
    dbt.config(materialized="table")
    # refs are literal so dbt sees the dependencies
    return stitch_relations(dbt.ref("int_identity__nodes"), dbt.ref("int_identity__final_edges"))

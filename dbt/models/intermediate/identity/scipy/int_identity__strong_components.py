"""Connected components over the unconditional edges (scipy path; see int_identity__strong_components.sql)."""

from dagster_project.dbt_runtime.models import stitch_relations


def model(dbt, session):
    dbt.config(materialized="table")
    # refs are literal so dbt sees the dependencies
    return stitch_relations(dbt.ref("int_identity__nodes"), dbt.ref("int_identity__strong_edges"))

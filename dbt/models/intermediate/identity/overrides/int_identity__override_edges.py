"""What each override row changes in the stitching edges: links cut (never_link, a minimum
weighted edge cut) and links added (always_link). dagster_project/identity/overrides.py."""

import polars as pl

from dagster_project.dbt_runtime.frames import from_polars, to_polars
from dagster_project.dbt_runtime.models import EFFECT_SCHEMA, apply_overrides, link_weights


def model(dbt, session):
    dbt.config(materialized="table")
    # refs are literal so dbt sees the dependencies
    overrides = to_polars(dbt.ref("int_identity__overrides"))
    nodes_relation = dbt.ref("int_identity__nodes")
    edges_relation = dbt.ref("int_identity__stitch_edges")
    links_relation = dbt.ref("int_identity__guarded_links")
    if overrides.is_empty():  # the usual night: nothing read beyond the file
        return from_polars(pl.DataFrame(schema=EFFECT_SCHEMA), session)
    links = to_polars(
        links_relation.filter("guard_reason is null").select(
            "left_type", "left_value", "right_type", "right_value", "evidence"
        )
    )
    links = links.select(
        pl.concat_str("left_type", pl.lit(":"), "left_value").alias("left_key"),
        pl.concat_str("right_type", pl.lit(":"), "right_value").alias("right_key"),
        "evidence",
    )
    nodes = to_polars(nodes_relation.select("node_key"))["node_key"]
    edges = to_polars(edges_relation.select("left_key", "right_key"))
    return from_polars(apply_overrides(overrides, nodes, edges, link_weights(links)), session)

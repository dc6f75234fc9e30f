"""The functions the dbt Python models call.

dbt imports only ``dagster_project.dbt_runtime`` (this module, the DuckDB plugin of
dbt/profiles.yml and the Spark runner): the logic itself lives in its domain package and is
re-exported here, so the one surface dbt depends on is visible in one place.
"""

from dagster_project.clv.fitting import fit_params_frame, predict_frame
from dagster_project.dbt_runtime.frames import from_polars, to_polars
from dagster_project.identity.graph import stitch_relations
from dagster_project.identity.overrides import EFFECT_SCHEMA, apply_overrides, link_weights, read_overrides
from dagster_project.identity.paths import anchor_paths

__all__ = [
    "EFFECT_SCHEMA",
    "apply_overrides",
    "fit_params_frame",
    "from_polars",
    "link_weights",
    "path_relations",
    "predict_frame",
    "read_overrides",
    "stitch_relations",
    "to_polars",
]


def path_relations(persons_relation, edges_relation):
    """Body of the dbt Python model int_identity__paths (identity.paths.anchor_paths on the
    engine's relations)."""
    import polars as pl

    persons = to_polars(persons_relation.select("node_key", "is_anchor"))
    edges = to_polars(edges_relation.select("left_key", "right_key"))
    anchors = persons.filter(pl.col("is_anchor"))["node_key"]
    return anchor_paths(persons["node_key"], anchors, edges["left_key"], edges["right_key"])

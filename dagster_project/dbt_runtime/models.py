"""The functions the dbt Python models call.

dbt imports only ``dagster_project.dbt_runtime`` (this module, the DuckDB plugin of
dbt/profiles.yml and the Spark runner): the logic itself lives in its domain package and is
re-exported here, so the one surface dbt depends on is visible in one place.
"""

from dagster_project.clv.fitting import fit_params_frame, predict_frame
from dagster_project.dbt_runtime.frames import from_polars, keep_matching, part_of, row_count, to_polars
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


# Tracing holds the persons' identifiers and edges in memory as strings, beside the DuckDB
# memory limit of the same dbt process (all 6.2M identifiers of the 1M bench at once: the
# process peaked at 4.4 GB; in parts of this many: 3.2 GB). Persons are traced in parts of
# at most this many identifiers, so the peak stays bounded at any scale.
IDENTIFIERS_PER_TRACING_PART = 1_500_000


def path_relations(
    persons_relation, edges_relation, retrace_relation=None, per_part=IDENTIFIERS_PER_TRACING_PART
):
    """Body of the dbt Python model int_identity__retraced_paths (identity.paths.anchor_paths
    on the engine's relations), with each identifier's person_id; only the persons of
    retrace_relation (person_id, traces_every_person) and their edges when it is given."""
    import polars as pl

    # a person's tree needs only its own identifiers and edges; when the list is every
    # person, looking them up would only cost (twice the tracing itself at a million)
    subset = (
        retrace_relation is not None
        and to_polars(retrace_relation.filter("traces_every_person").limit(1)).is_empty()
    )
    if subset:
        persons_relation = keep_matching(persons_relation, retrace_relation, "person_id", "person_id")
    parts = -(-row_count(persons_relation) // per_part)
    if parts <= 1:
        if subset:
            edges_relation = keep_matching(edges_relation, persons_relation, "left_key", "node_key")
        return _traced(persons_relation, edges_relation)
    traced = []
    for part in range(parts):
        persons = part_of(persons_relation, "person_id", parts, part)
        traced.append(_traced(persons, keep_matching(edges_relation, persons, "left_key", "node_key")))
    return pl.concat(traced)


def _traced(persons_relation, edges_relation):
    """The paths of these persons over these edges (each person's identifiers all in
    persons_relation; edges of other persons are ignored)."""
    import polars as pl

    persons = to_polars(persons_relation.select("node_key", "person_id", "is_anchor"))
    edges = to_polars(edges_relation.select("left_key", "right_key"))
    anchors = persons.filter(pl.col("is_anchor"))["node_key"]
    paths = anchor_paths(persons["node_key"], anchors, edges["left_key"], edges["right_key"])
    return paths.join(
        persons.select("node_key", "person_id"), on="node_key", how="left", maintain_order="left"
    )

"""Connected components of the identity graph (used by the dbt Python models).

Measured on this 2-core machine (issue 3): scipy's sparse connected components on
integer-coded node keys is the fastest option; the slow part is turning strings
into integers, so that is one vectorised join. The portable SQL path lives in
dbt/macros/label_propagation.sql and must give the same components.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def component_keys(node_keys: pl.Series, left_keys: pl.Series, right_keys: pl.Series) -> pl.DataFrame:
    """Label every node with the smallest node key of its connected component.

    ``node_keys`` holds every node once; edges whose ends are not nodes (blocked
    identifiers) are ignored. Returns (node_key, component_key).
    """
    nodes = pl.DataFrame({"node_key": node_keys}).unique().sort("node_key").with_row_index("index")
    edges = (
        pl.DataFrame({"left": left_keys, "right": right_keys})
        .join(nodes.rename({"node_key": "left", "index": "i"}), on="left")
        .join(nodes.rename({"node_key": "right", "index": "j"}), on="right")
    )
    size = nodes.height
    if size == 0:
        return pl.DataFrame(schema={"node_key": pl.String, "component_key": pl.String})
    graph = coo_matrix(
        (np.ones(edges.height, dtype=np.int8), (edges["i"].to_numpy(), edges["j"].to_numpy())), shape=(size, size)
    )
    _, labels = connected_components(graph, directed=False)
    # nodes are sorted by key, so the smallest index in a component is its smallest key
    labelled = nodes.with_columns(label=pl.Series(labels, dtype=pl.Int64))
    smallest = labelled.group_by("label").agg(pl.col("index").min().alias("root"))
    return (
        labelled.join(smallest, on="label")
        .join(nodes.rename({"index": "root", "node_key": "component_key"}), on="root")
        .select("node_key", "component_key")
    )


def stitch_relations(nodes_relation, edges_relation) -> pl.DataFrame:
    """Body of the dbt Python models: DuckDB relations nodes(node_key), edges(left_key, right_key)."""
    nodes = nodes_relation.select("node_key").pl()["node_key"]
    edges = edges_relation.select("left_key, right_key").pl()
    return component_keys(nodes, edges["left_key"], edges["right_key"])

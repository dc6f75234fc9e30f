"""Connected components of the identity graph (used by the dbt Python models).

Measured on this 2-core machine: scipy's sparse connected components on
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
    if node_keys.len() == 0:
        return pl.DataFrame(schema={"node_key": pl.String, "component_key": pl.String})
    # Strings to integers: a 64-bit hash per key (polars, vectorised) factorised by numpy.
    # Sorting, joining or categorising millions of strings is what makes this step slow
    # otherwise. Two distinct node keys with one hash would merge two persons, so that is
    # checked (odds at 10M nodes: about 3e-6); an edge end that is not a node (a blocked
    # value) colliding with a node is as unlikely and is not checked.
    n, m = node_keys.len(), left_keys.len()
    hashes = pl.concat([node_keys, left_keys, right_keys]).cast(pl.String).hash(seed=20261123)
    if hashes.head(n).n_unique() != n:
        raise ValueError("64-bit hash collision between two identity node keys (or duplicate nodes)")
    codes = (hashes.rank("dense") - 1).cast(pl.Int64).to_numpy()
    node_codes, left, right = codes[:n], codes[n : n + m], codes[n + m :]
    size = int(codes.max()) + 1
    is_node = np.zeros(size, dtype=bool)
    is_node[node_codes] = True
    keep = is_node[left] & is_node[right]
    graph = coo_matrix(
        (np.ones(int(keep.sum()), dtype=np.int8), (left[keep], right[keep])), shape=(size, size)
    )
    _, labels = connected_components(graph, directed=False)
    nodes = pl.DataFrame({"node_key": node_keys.cast(pl.String), "label": labels[node_codes]})
    smallest = nodes.group_by("label").agg(pl.col("node_key").min().alias("component_key"))
    return nodes.join(smallest, on="label").select("node_key", "component_key")


def stitch_relations(nodes_relation, edges_relation) -> pl.DataFrame:
    """Body of the dbt Python models: DuckDB relations nodes(node_key), edges(left_key, right_key)."""
    nodes = nodes_relation.select("node_key").pl()["node_key"]
    edges = edges_relation.select("left_key, right_key").pl()
    return component_keys(nodes, edges["left_key"], edges["right_key"])

"""Why an identifier belongs to its person: the shortest path of kept links to the person's anchor.

One breadth-first search from every anchor at once (a virtual root joined to each anchor)
over the final stitching edges gives each node its parent on a shortest path to its
person's anchor: a tree per person with one row per identifier, so any identifier's path
is read by following parents (``siyu explain``, dagster_project/identity/explain.py).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, shortest_path

PATH_SCHEMA = {"node_key": pl.String, "parent_key": pl.String, "hops": pl.Int64}


def anchor_paths(
    node_keys: pl.Series, anchor_keys: pl.Series, left_keys: pl.Series, right_keys: pl.Series
) -> pl.DataFrame:
    """(node_key, parent_key, hops): parent on a shortest path to the anchor of the node's
    component (null for the anchor itself, hops 0). Edges whose ends are not nodes are ignored;
    nodes whose component has no anchor are left out."""
    if node_keys.len() == 0:
        return pl.DataFrame(schema=PATH_SCHEMA)
    keys = node_keys.cast(pl.String).sort()  # sorted: the same inputs give the same tree
    index = pl.DataFrame({"key": keys, "code": pl.arange(0, keys.len(), eager=True, dtype=pl.Int64)})

    def codes(series: pl.Series) -> np.ndarray:
        frame = pl.DataFrame({"key": series.cast(pl.String)}).join(
            index, on="key", how="left", maintain_order="left"
        )
        return frame["code"].fill_null(-1).to_numpy()

    n = keys.len()
    left, right = codes(left_keys), codes(right_keys)
    keep = (left >= 0) & (right >= 0)
    anchors = codes(anchor_keys)
    anchors = anchors[anchors >= 0]
    root = n  # the virtual root, joined to every anchor
    rows = np.concatenate([left[keep], np.full(anchors.size, root)])
    cols = np.concatenate([right[keep], anchors])
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    order, predecessors = breadth_first_order(graph, root, directed=False, return_predecessors=True)
    order = order[1:]  # without the root
    hops = shortest_path(graph, directed=False, unweighted=True, indices=root)[order].astype(np.int64) - 1
    parents = predecessors[order]
    padded = pl.concat([keys, pl.Series([None], dtype=pl.String)])  # code n (the root) -> null
    return pl.DataFrame(
        {
            "node_key": keys.gather(order),
            "parent_key": padded.gather(parents),
            "hops": hops,
        },
        schema=PATH_SCHEMA,
    )

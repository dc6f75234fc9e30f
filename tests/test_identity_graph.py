"""Connected components on integer-coded node keys (dagster_project.identity.graph)."""

import polars as pl

from dagster_project.identity.graph import component_keys


def _components(nodes, edges):
    left = pl.Series([a for a, _ in edges], dtype=pl.String)
    right = pl.Series([b for _, b in edges], dtype=pl.String)
    out = component_keys(pl.Series(nodes, dtype=pl.String), left, right)
    return dict(out.iter_rows())


def test_components_are_labelled_with_their_smallest_key():
    nodes = ["order:tmall:2", "phone:+8613800000001", "wx_unionid:u1", "oa_openid:o1", "order:jd:9"]
    edges = [
        ("order:tmall:2", "phone:+8613800000001"),
        ("phone:+8613800000001", "wx_unionid:u1"),
        ("oa_openid:o1", "wx_unionid:u1"),
    ]
    labels = _components(nodes, edges)
    assert labels == {
        "order:tmall:2": "oa_openid:o1",
        "phone:+8613800000001": "oa_openid:o1",
        "wx_unionid:u1": "oa_openid:o1",
        "oa_openid:o1": "oa_openid:o1",
        "order:jd:9": "order:jd:9",
    }


def test_edges_to_non_nodes_are_ignored_so_blocked_values_join_nothing():
    nodes = ["crm_member_id:M1", "crm_member_id:M2"]
    edges = [("crm_member_id:M1", "phone:+8613800138000"), ("crm_member_id:M2", "phone:+8613800138000")]
    assert _components(nodes, edges) == {
        "crm_member_id:M1": "crm_member_id:M1",
        "crm_member_id:M2": "crm_member_id:M2",
    }


def test_long_chain_and_duplicate_edges():
    nodes = [f"n:{i:04d}" for i in range(1000)]
    edges = [(nodes[i + 1], nodes[i]) for i in range(999)] + [(nodes[5], nodes[6])] * 3
    assert set(_components(nodes, edges).values()) == {"n:0000"}


def test_empty_graph():
    assert _components([], []) == {}

"""The Dagster code location loads and is shaped as the layers of the warehouse."""

import dagster as dg

from sources.contracts import load_contracts


def test_definitions_load_with_layers_and_checks():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert {"bronze", "staging", "identity", "marts", "serving"} <= groups
    for source in load_contracts():
        key = dg.AssetKey(["bronze", source])
        assert graph.get(key).group_name == "bronze"
        assert dg.AssetCheckKey(key, "expectations") in graph.asset_check_keys
    # dbt sources map to the bronze assets: staging depends on them, no stray source assets
    stg = graph.get(dg.AssetKey(["staging", "stg_tmall__orders"]))
    assert dg.AssetKey(["bronze", "tmall_orders"]) in stg.parent_keys
    assert all(
        key.path[0] != "bronze" or key.path[1] in load_contracts() for key in graph.get_all_asset_keys()
    )
    # dbt tests are asset checks, and publication waits for the marts
    assert any(check.asset_key.path[0] == "marts" for check in graph.asset_check_keys)
    serving = graph.get(dg.AssetKey(["serving", "serving_duckdb"]))
    assert dg.AssetKey(["marts", "customer_identities"]) in serving.parent_keys

"""The nightly Dagster job on a generated demo landing: every asset, every check.

The landing is written by the demo generator (a different program from the ingestion)
with every quirk of the landing contract, ~1% planted bad rows and the identity traps;
its ground truth says exactly which rows are bad and who every identifier belongs to.
The run is the session fixture ``nightly_run`` (tests/conftest.py; tests/test_privacy.py reads it too).
"""

from __future__ import annotations

import json

import duckdb
import polars as pl

from tests.conftest import AS_OF

SERVING_TABLES = {
    "customer_identities",
    "person_id_merges",
    "fct_orders",
    "dim_customers",
    "fct_customer_lifecycle",
    "agg_funnel_monthly",
    "fct_cohort_retention",
    "fct_customer_ltv",
    "agg_kpis_monthly",
    "fct_referrals",
}


def test_the_job_succeeds_and_publishes_the_serving_file(nightly_run):
    first, second, _, _, warehouse, *_ = nightly_run
    assert first.success, [e.message for e in first.all_events if e.is_failure]
    assert second.success
    with duckdb.connect(str(warehouse / "serving.duckdb"), read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        schemas = {
            r[0]
            for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()
        }
    assert SERVING_TABLES <= tables
    assert schemas == {"marts"}  # no staging, audit or intermediate (raw personal data) in serving


def test_every_good_row_loads_and_exactly_the_planted_bad_rows_are_rejected(nightly_run):
    *_, warehouse, landing, truth = nightly_run
    files = pl.read_parquet(truth / "files.parquet")
    planted = pl.read_parquet(truth / "bad_rows.parquet")
    bronze = warehouse / "bronze"
    for source, written in files.group_by("source").agg(pl.col("data_rows").sum()).iter_rows():
        loaded = (
            pl.scan_parquet(str(bronze / source / "export_date=*" / "*.parquet"))
            .select(pl.len())
            .collect()
            .item()
        )
        bad = (
            planted.filter(pl.col("source") == source)
            .select(pl.struct("source_file", "row_number").n_unique())
            .item()
        )
        assert loaded == written - bad, source
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        rejects = con.sql("select source, source_file, row_number, column_name from audit.rejects").pl()
    key = ["source", "source_file", "row_number", "column_name"]
    assert rejects.select(key).sort(key).equals(planted.select(key).sort(key))


def test_a_second_run_over_the_same_landing_changes_nothing_in_bronze(nightly_run):
    _, second, stamps, restamps, *_ = nightly_run
    assert stamps == restamps
    loaded = [
        e.materialization.metadata["rows_loaded"].value
        for e in second.get_asset_materialization_events()
        if e.asset_key.path[0] == "bronze"
    ]
    assert loaded and set(loaded) == {0}


def test_blocking_checks_ran_on_every_bronze_asset_and_the_identity_graph(nightly_run):
    first, *_ = nightly_run
    evaluations = {
        (e.asset_check_evaluation_data.asset_key.to_user_string(), e.asset_check_evaluation_data.check_name)
        for e in first.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    from sources.contracts import load_contracts

    for source in load_contracts():
        assert (f"bronze/{source}", "expectations") in evaluations
    assert ("intermediate/int_identity__persons", "identity_health") in evaluations


def test_the_metadata_an_engineer_reads(nightly_run):
    """Rows and rejects per bronze asset, identity-health figures, and previews of key marts."""
    first, *_, truth = nightly_run
    materialized = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in first.get_asset_materialization_events()
    }
    planted = pl.read_parquet(truth / "bad_rows.parquet")
    tmall = materialized["bronze/tmall_orders"]
    assert tmall["rows_loaded"].value > 0
    assert (
        tmall["rows_rejected"].value
        == planted.filter(pl.col("source") == "tmall_orders")
        .select(pl.struct("source_file", "row_number").n_unique())
        .item()
    )
    with duckdb.connect(str(nightly_run[4] / "warehouse.duckdb"), read_only=True) as con:
        orders = con.execute("select count(*) from marts.fct_orders").fetchone()[0]
    assert materialized["marts/fct_orders"]["dagster/row_count"].value == orders > 0
    serving = materialized["serving/serving_duckdb"]
    kpis = serving["kpis_last_6_months"].value.splitlines()
    assert kpis[0].startswith("| month | new_persons | buyers |") and len(kpis) == 2 + 6
    assert "| potential |" in serving["lifecycle_segments"].value
    assert serving["tables"].value >= len(SERVING_TABLES)
    health = next(
        e.asset_check_evaluation_data
        for e in first.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name == "identity_health"
    )
    assert health.passed and health.metadata["persons"].value > 0
    assert "| identifier type |" in health.metadata["identifiers_per_person"].value


def test_the_run_renders_the_morning_report_and_the_dbt_docs(nightly_run):
    """After publication: the report's path in its metadata; after dbt build: the docs site."""
    first, *_, warehouse, _, _ = nightly_run
    materialized = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in first.get_asset_materialization_events()
    }
    report = materialized["serving/morning_report"]
    assert report["path"].value == str(warehouse / "report" / f"morning_report_{AS_OF}.html")
    assert report["latest"].value == str(warehouse / "report" / "morning_report_latest.html")
    assert (
        report["charts"].value == 7
        and report["as_of_date"].value == AS_OF
        and report["kpi_month"].value == "2026-10"
    )
    assert report["size_bytes"].value > 1_000_000  # plotly.js is inlined
    docs = warehouse / "docs"
    catalog = json.loads((docs / "catalog.json").read_text(encoding="utf-8"))
    assert {"model.siyu_warehouse.fct_orders", "model.siyu_warehouse.stg_tmall__orders"} <= set(
        catalog["nodes"]
    )
    manifest = json.loads((docs / "manifest.json").read_text(encoding="utf-8"))
    assert (
        AS_OF in manifest["nodes"]["model.siyu_warehouse.agg_kpis_monthly"]["compiled_code"]
    )  # the build's SQL
    assert (docs / "static_index.html").stat().st_size > (docs / "manifest.json").stat().st_size


def test_identity_accuracy_on_the_noisy_landing(nightly_run):
    from scripts.identity_accuracy import evaluate

    *_, warehouse, _, truth = nightly_run
    accuracy = evaluate(truth, warehouse / "warehouse.duckdb")
    assert accuracy.precision >= 0.995, accuracy
    assert accuracy.recall >= 0.98, accuracy
    assert accuracy.order_precision >= 0.995, accuracy

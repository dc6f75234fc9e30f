"""The benchmark's parsing and aggregation (scripts/bench.py): step stats from the
Dagster event log, dbt's run_results.json, medians over repeats."""

from types import SimpleNamespace

import polars as pl

from scripts.bench import buyer_phone, median_of, model_timings, step_durations, table


def test_step_durations_from_the_event_log_skip_steps_that_never_ended():
    stats = [
        SimpleNamespace(step_key="bronze__tmall_orders", start_time=100.0, end_time=103.25),
        SimpleNamespace(step_key="warehouse_dbt_models", start_time=103.3, end_time=160.0),
        SimpleNamespace(step_key="serving__serving_duckdb", start_time=160.1, end_time=None),
    ]
    assert step_durations(stats) == {"bronze__tmall_orders": 3.25, "warehouse_dbt_models": 56.7}


def test_model_timings_are_the_slowest_nodes_with_tests_summed():
    results = {
        "results": [
            {
                "unique_id": "model.siyu_warehouse.int_identity__persons",
                "execution_time": 12.5,
                "status": "success",
            },
            {"unique_id": "model.siyu_warehouse.dim_customers", "execution_time": 30.04, "status": "success"},
            {"unique_id": "seed.siyu_warehouse.channel_map", "execution_time": 0.2, "status": "success"},
            {"unique_id": "test.siyu_warehouse.not_null_dim_customers_person_id.5f1", "execution_time": 0.5},
            {"unique_id": "test.siyu_warehouse.unique_dim_customers_person_id.9a2", "execution_time": 0.75},
        ]
    }
    timings = model_timings(results, top=2)
    assert list(timings) == ["dim_customers", "int_identity__persons", "tests (2)", "nodes run"]
    assert timings["dim_customers"] == 30.04 and timings["tests (2)"] == 1.25 and timings["nodes run"] == 5
    assert model_timings({"results": []}) == {"nodes run": 0}


def test_median_of_repeats_and_the_largest_peak():
    repeats = [
        {
            "wall_seconds": 10.0,
            "peak_rss_mb": 900,
            "run_seconds": 4.0,
            "outside_run_seconds": 6.0,
            "steps": {"serving__morning_report": 2.0},
            "top_models": {"nodes run": 0},
        },
        {
            "wall_seconds": 14.0,
            "peak_rss_mb": 1200,
            "run_seconds": 5.0,
            "outside_run_seconds": 9.0,
            "steps": {"serving__morning_report": 3.0},
            "top_models": {"nodes run": 0},
        },
        {
            "wall_seconds": 11.0,
            "peak_rss_mb": 950,
            "run_seconds": None,
            "outside_run_seconds": None,
            "steps": {"serving__morning_report": 2.5, "bronze__crm_members": 1.0},
            "top_models": {"nodes run": 0},
        },
    ]
    figures = median_of(repeats)
    assert figures["wall_seconds"] == 11.0 and figures["peak_rss_mb"] == 1200
    assert figures["run_seconds"] == 4.5  # the repeat without run stats is left out
    assert figures["steps"] == {"serving__morning_report": 2.5, "bronze__crm_members": 1.0}
    assert figures["repeats_run"] == 3 and figures["repeats"] is repeats
    printed = table({"quiet": figures})
    assert printed.splitlines()[1].startswith("quiet") and "serving__morning_report 2.5" in printed


def test_the_erased_buyer_is_the_first_person_with_a_discoverable_phone_and_an_order(tmp_path):
    pl.DataFrame(
        {
            "person_id": [1, 2, 2, 3, 3, 4, 4],
            "identifier_type": ["phone", "phone", "mp_openid", "phone", "order", "phone", "order"],
            "identifier_value": [
                "+8613800000001",
                "+8613800000002",
                "o1",
                "+8613800000003",
                "jd:1",
                "+8613800000004",
                "tmall:2",
            ],
            # person 3's phone only ever appears masked: nothing the erasure could be asked by
            "discoverable": [True, True, True, False, True, True, True],
        }
    ).write_parquet(tmp_path / "identifiers.parquet")
    assert buyer_phone(tmp_path) == "+8613800000004"

"""A night costs what changed: the run `siyu run` and the schedule start (dagster_project.planning.changes).

On the clean landing, night by night through the nightly job with the asset selection
``night_request`` gives:
  1. a fresh warehouse, the last export day withheld: every asset;
  2. the last export day lands: its bronze partition only (nothing else re-read or
     re-validated), the dbt models, the serving file, the report;
  3. nothing new, same as-of date: no bronze step, no dbt build, no republication, and the
     report of the day still renders;
  4. nothing new, the next as-of date: only the models that read the as-of date (and what
     they feed) rebuild, the serving file is republished;
  5. a landing file replaced by new content: its source's bronze step and the models below it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import AS_OF


def _last_export_day(landing: Path) -> str:
    return max(p.name for p in landing.glob("*/*") if p.is_dir())


def _night(instance, as_of: str):
    """One night as `siyu run` starts it: (plan, step keys that ran, materialised asset keys)."""
    from dagster_project.definitions import defs
    from dagster_project.defs.automation.schedules import night_request

    keys, tags, plan = night_request(dt.date.fromisoformat(as_of))
    job = defs.resolve_job_def("nightly_warehouse")
    result = job.execute_in_process(instance=instance, tags=tags, asset_selection=keys, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    checks = {e.step_key for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    return plan, steps, materialised, checks, result.run_id


def _dbt_target(run_id: str) -> Path:
    """The target folder of the run's build (dagster-dbt's, per step and run)."""
    from tests.warehouse import DBT_DIR

    (folder,) = (DBT_DIR / "target").glob(f"warehouse_dbt_models-{run_id[:7]}-*")
    return folder


def _dbt_log(run_id: str) -> str:
    return (_dbt_target(run_id) / "dbt.log").read_text(encoding="utf-8")


def _unit_tests_run(run_id: str) -> int:
    """Unit tests the build ran (its JSON log: docs generate overwrites run_results.json)."""
    return len(set(re.findall(r'"unique_id": "(unit_test\.[^"]+)"', _dbt_log(run_id))))


@pytest.fixture(scope="module")
def nights(clean_landing, tmp_path_factory):
    landing_all = clean_landing[0]
    last_day = _last_export_day(landing_all)
    root = tmp_path_factory.mktemp("quiet_night")
    landing, warehouse = root / "landing", root / "warehouse"
    # the last weeks only: a run over a range of export dates records a materialisation per
    # asset and partition, which is the cost of a fresh night, not what this test is about
    first_day = (dt.date.fromisoformat(last_day) - dt.timedelta(days=35)).isoformat()
    shutil.copytree(
        landing_all,
        landing,
        ignore=lambda folder, names: [
            n for n in names if n == last_day or (len(n) == 10 and n[:2] == "20" and n < first_day)
        ],
    )
    day_before = (dt.date.fromisoformat(AS_OF) - dt.timedelta(days=1)).isoformat()
    next_day = (dt.date.fromisoformat(AS_OF) + dt.timedelta(days=1)).isoformat()
    out = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LANDING_DIR", str(landing))
        env.setenv("WAREHOUSE_DIR", str(warehouse))
        with dg.DagsterInstance.ephemeral() as instance:
            out["fresh"] = _night(instance, day_before)
            for source_dir in landing_all.iterdir():
                if (source_dir / last_day).is_dir():
                    shutil.copytree(source_dir / last_day, landing / source_dir.name / last_day)
            out["new_day"] = _night(instance, AS_OF)
            serving = warehouse / "serving.duckdb"
            out["serving_mtime"] = serving.stat().st_mtime_ns
            out["new_day_docs_mtime"] = (warehouse / "docs" / "index.html").stat().st_mtime_ns
            report = warehouse / "report" / f"morning_report_{AS_OF}.html"
            report.unlink()  # the quiet night renders it again
            out["quiet"] = _night(instance, AS_OF)
            out["quiet_serving_mtime"] = serving.stat().st_mtime_ns
            out["quiet_report"] = report.exists()
            out["next_as_of"] = _night(instance, next_day)
            out["next_serving_mtime"] = serving.stat().st_mtime_ns
            docs = warehouse / "docs" / "index.html"
            out["next_docs_mtime"] = docs.stat().st_mtime_ns
            # a replaced tmall export: the same file re-exported without its last half of rows
            tmall_orders = "select count(*) from marts.fct_orders where platform = 'tmall'"
            with duckdb.connect(str(serving), read_only=True) as con:
                out["tmall_before"] = con.execute(tmall_orders).fetchone()[0]
            replaced = next(landing.glob(f"tmall_orders/{last_day}/*.csv"))
            lines = replaced.read_bytes().splitlines(keepends=True)
            replaced.write_bytes(b"".join(lines[: max(2, len(lines) // 2)]))
            out["replaced"] = _night(instance, next_day)
            out["replaced_docs_mtime"] = docs.stat().st_mtime_ns
            with duckdb.connect(str(serving), read_only=True) as con:
                out["tmall_after"] = con.execute(tmall_orders).fetchone()[0]
    return out


def _bronze_steps(steps: set[str]) -> set[str]:
    return {s for s in steps if s.startswith("bronze__")}


def test_a_fresh_night_and_a_new_day_run_everything(nights):
    _, fresh_steps, fresh_assets, _, _ = nights["fresh"]
    assert len(_bronze_steps(fresh_steps)) == 12 and "warehouse_dbt_models" in fresh_steps
    assert dg.AssetKey(["serving", "serving_duckdb"]) in fresh_assets
    plan, steps, assets, _, _ = nights["new_day"]
    assert plan.dates == (dt.date.fromisoformat(AS_OF),) * 2  # the new export date only
    assert _bronze_steps(steps) and "warehouse_dbt_models" in steps
    assert dg.AssetKey(["marts", "dim_customers"]) in assets


def test_a_quiet_night_reads_validates_builds_and_publishes_nothing_but_the_report(nights):
    plan, steps, assets, checks, _ = nights["quiet"]
    assert not plan.ingest and not plan.dbt.nodes and not plan.publish
    assert steps == {"serving__morning_report"}, steps
    assert not checks  # no Great Expectations suite, no dbt test re-run
    assert assets == {dg.AssetKey(["serving", "morning_report"])}
    assert nights["quiet_serving_mtime"] == nights["serving_mtime"]
    assert nights["quiet_report"]


def test_a_new_as_of_date_rebuilds_only_what_reads_it(nights):
    plan, steps, assets, _, _ = nights["next_as_of"]
    assert not plan.ingest and list(plan.dbt.reasons) == ["as-of date"]
    assert not _bronze_steps(steps)
    built = {k.path[-1] for k in assets}
    assert {"dim_customers", "agg_kpis_monthly", "fct_cohort_retention"} <= built
    assert not {"stg_tmall__orders", "int_identity__persons", "fct_orders"} & built
    assert nights["next_serving_mtime"] != nights["quiet_serving_mtime"]


def test_a_replaced_file_rebuilds_its_source_and_what_it_feeds(nights):
    plan, steps, assets, _, _ = nights["replaced"]
    assert set(plan.ingest) == {"tmall_orders"} and plan.dbt.reasons["bronze changed"] == ["tmall_orders"]
    assert _bronze_steps(steps) == {"bronze__tmall_orders"}
    built = {k.path[-1] for k in assets}
    assert {"fct_orders", "dim_customers"} <= built and "stg_wecom__contacts" not in built
    assert nights["tmall_after"] < nights["tmall_before"]


def test_a_night_after_a_build_parses_only_what_changed_and_keeps_current_docs(nights):
    # later builds reuse the parse of the build before, although the as-of date changed (the
    # next night) and WAREHOUSE_DIR is not the one make prepare parsed with
    for night in ("new_day", "next_as_of", "replaced"):
        log = _dbt_log(nights[night][-1])
        assert "Unable to do partial parsing" not in log and "Starting full parse" not in log, night
    # same dbt project, same as-of date: the docs of the night before still describe it;
    # a new as-of date renders them again
    assert nights["replaced_docs_mtime"] == nights["next_docs_mtime"]
    assert nights["next_docs_mtime"] != nights["new_day_docs_mtime"]


def test_unit_tests_run_once_per_dbt_project(nights):
    # the first (full) build runs them; later builds of the same project do not
    assert _unit_tests_run(nights["fresh"][-1]) > 10
    for night in ("new_day", "next_as_of", "replaced"):
        assert _unit_tests_run(nights[night][-1]) == 0, night

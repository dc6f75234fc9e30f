"""The instance's event log (dagster_project/instance/event_log.py): a run over a range of
daily partitions stores its materialisations as batches, and the instance answers every
question about them exactly as with Dagster's own SQLite storage.

Both instances are real ones in a temporary $DAGSTER_HOME, one with the project's
deploy/dagster.yaml and one with Dagster's default storage, running the same partitioned
asset over the same 3 months of daily partitions.
"""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from dagster_project import settings
from dagster_project.instance.event_log import BatchedSqliteEventLogStorage
from dagster_project.settings import PROJECT_ROOT

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-04-01", timezone="Asia/Shanghai")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def exports(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": len(context.partition_keys)})


@dg.asset
def summary() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 1})


DEFS = dg.Definitions(assets=[exports, summary])


def _run(home: Path, monkeypatch, deploy_config: bool) -> dict:
    home.mkdir()
    if deploy_config:
        shutil.copyfile(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    settings.export_to_environment()  # what the code location does on import
    with dg.DagsterInstance.get() as instance:
        storage = instance._event_storage  # noqa: SLF001 (the class deploy/dagster.yaml names)
        single_writes = []
        original = storage.store_event
        monkeypatch.setattr(
            storage, "store_event", lambda event: (single_writes.append(event), original(event))
        )
        job = DEFS.resolve_implicit_global_asset_job_def()
        for _ in range(2):  # a second run over the same range: the latest record must move on
            result = job.execute_in_process(
                instance=instance,
                asset_selection=[exports.key],
                tags={
                    "dagster/asset_partition_range_start": "2026-01-01",
                    "dagster/asset_partition_range_end": "2026-03-31",
                },
            )
            assert result.success
        assert job.execute_in_process(instance=instance, asset_selection=[summary.key]).success
        with dg.DagsterInstance.get() as reader:  # a storage of its own, as the UI's process has
            seen_by_another_reader = sorted(reader.get_materialized_partitions(exports.key))
        records = instance.fetch_materializations(exports.key, limit=1000).records
        latest = instance.get_latest_materialization_event(exports.key)
        return {
            "storage": type(storage),
            "single_materialization_writes": sum(
                1
                for e in single_writes
                if e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
                and e.dagster_event.asset_key == exports.key
            ),
            "partitions": sorted(instance.get_materialized_partitions(exports.key)),
            "seen_by_another_reader": seen_by_another_reader,
            "records": sorted(
                (r.partition_key, r.run_id == latest.run_id, r.asset_materialization.metadata["rows"].value)
                for r in records
            ),
            "latest": (latest.dagster_event.partition, latest.dagster_event.step_key),
            "asset_keys": sorted(k.to_user_string() for k in instance.get_asset_keys()),
            "summary": instance.get_latest_materialization_event(summary.key).asset_materialization.metadata,
            "status": instance.get_status_by_partition(exports.key, ["2026-01-01", "2026-03-31"], DAYS),
        }


@pytest.fixture
def isolated_env(monkeypatch):
    for name in ("DAGSTER_EVENT_BATCH_SIZE", "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_partition_range_is_stored_in_batches_with_the_same_answers(tmp_path, isolated_env):
    batched = _run(tmp_path / "batched", isolated_env, deploy_config=True)
    default = _run(tmp_path / "default", isolated_env, deploy_config=False)

    assert batched.pop("storage") is BatchedSqliteEventLogStorage
    assert default.pop("storage") is not BatchedSqliteEventLogStorage
    # 2 runs x 90 partitions, none written one by one with the project's storage
    assert batched.pop("single_materialization_writes") == 0
    assert default.pop("single_materialization_writes") == 180
    assert len(batched["partitions"]) == 90 and len(batched["records"]) == 180
    assert batched["latest"][0] == "2026-03-31"
    assert batched == default


def test_open_run_files_are_bounded_and_closed_on_dispose(tmp_path):
    from dagster_project.instance.event_log import OPEN_RUN_FILES

    storage = BatchedSqliteEventLogStorage(base_dir=str(tmp_path))
    for n in range(10):  # a UI process reading one run after another
        storage.get_logs_for_run(f"run-{n}")
    storage.get_asset_records()  # the index
    assert len(storage._engines) == OPEN_RUN_FILES + 1  # noqa: SLF001
    assert list(storage._engines)[-2] == "run-9"  # noqa: SLF001 (the most recent stay open)
    storage.dispose()
    assert not storage._engines  # noqa: SLF001

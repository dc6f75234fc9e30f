"""Nightly schedule (02:00 Beijing, previous day's partition), the new-landing-file sensor,
backfills over a range of export dates, and retries of transient failures."""

import datetime as dt
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from tests.landing_builders import TMALL_HEADER, tmall_row, write_csv


def _defs():
    from dagster_project.definitions import defs

    return defs


def test_schedule_runs_at_two_beijing_as_of_the_previous_day_for_what_landed(tmp_path, monkeypatch):
    from dagster_project.definitions import defs

    nightly_schedule = defs.resolve_schedule_def("nightly_at_two")

    monkeypatch.setenv("LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    write_csv(tmp_path / "landing" / "tmall_orders" / "2026-11-22" / "a.csv", TMALL_HEADER, [tmall_row("1")])
    assert (
        nightly_schedule.cron_schedule == "0 2 * * *"
        and nightly_schedule.execution_timezone == "Asia/Shanghai"
    )
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 23, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        repository_def=_defs().get_repository_def(),
    )
    request = nightly_schedule.evaluate_tick(context).run_requests[0]
    assert (
        request.tags["dagster/asset_partition_range_start"],
        request.tags["dagster/asset_partition_range_end"],
    ) == ("2026-11-22", "2026-11-22")
    assert request.tags["siyu/as_of_date"] == "2026-11-22"
    assert request.run_key == "nightly-2026-11-22"
    selected = set(request.asset_selection)
    # only the source that has a new file is ingested; no build recorded yet: every model
    assert (
        dg.AssetKey(["bronze", "tmall_orders"]) in selected
        and dg.AssetKey(["bronze", "crm_members"]) not in selected
    )
    assert {dg.AssetKey(["marts", "dim_customers"]), dg.AssetKey(["serving", "morning_report"])} <= selected


def test_sensor_starts_one_run_for_the_export_dates_of_new_files_only(tmp_path, monkeypatch):
    from dagster_project.definitions import defs

    sensor = defs.resolve_sensor_def("new_landing_files")

    monkeypatch.setenv("LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / ".warehouse"))
    write_csv(tmp_path / "tmall_orders" / "2026-11-20" / "a.csv", TMALL_HEADER, [tmall_row("1")])
    write_csv(tmp_path / "tmall_orders" / "2026-11-22" / "b.csv", TMALL_HEADER, [tmall_row("2")])

    first = sensor.evaluate_tick(dg.build_sensor_context(cursor=None))
    assert len(first.run_requests) == 1
    tags = first.run_requests[0].tags
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "2026-11-20",
        "2026-11-22",
    )
    again = sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    assert not again.run_requests and again.skip_message == "no new landing files"

    from dagster_project.bronze.ingest import ingest_source  # the first run loads its files
    from sources.contracts import get_contract

    ingest_source(
        get_contract("tmall_orders"), tmp_path, tmp_path / ".warehouse" / "bronze", dt.datetime.now(dt.UTC)
    )
    write_csv(tmp_path / "tmall_orders" / "2026-11-23" / "c.csv", TMALL_HEADER, [tmall_row("3")])
    new = sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    request = new.run_requests[0]
    assert request.tags["siyu/new_files"] == "1" and request.run_key != first.run_requests[0].run_key
    assert (
        request.tags["dagster/asset_partition_range_start"]
        == request.tags["dagster/asset_partition_range_end"]
        == "2026-11-23"
    )


def test_a_future_export_date_starts_no_run_and_is_named(tmp_path, monkeypatch):
    from dagster_project.bronze.ingest import ingest_source
    from dagster_project.definitions import defs

    sensor = defs.resolve_sensor_def("new_landing_files")
    from dagster_project.defs.common.partitions import accepted_window
    from sources.contracts import get_contract

    monkeypatch.setenv("LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / ".warehouse"))
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    write_csv(tmp_path / "tmall_orders" / future / "a.csv", TMALL_HEADER, [tmall_row("1")])
    result = sensor.evaluate_tick(dg.build_sensor_context(cursor=None))
    assert not result.run_requests and "none in an accepted export-date folder" in result.skip_message
    ingestion = ingest_source(
        get_contract("tmall_orders"),
        tmp_path,
        tmp_path / "bronze",
        dt.datetime.now(dt.UTC),
        export_dates=accepted_window(),
        accepted=accepted_window(),
    )
    assert ingestion.layout_problems == [f"tmall_orders/{future}: export date in the future; not loaded"]
    assert ingestion.files == []


def test_a_backfill_loads_only_the_export_dates_of_its_range(tmp_path, monkeypatch):
    """The bronze asset for a partition range, as a backfill from the UI or `siyu backfill` runs it."""
    monkeypatch.setenv("LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    for day, order in [
        ("2026-11-01", "3012345678901234561"),
        ("2026-11-02", "3012345678901234562"),
        ("2026-11-03", "3012345678901234563"),
    ]:
        write_csv(
            tmp_path / "landing" / "tmall_orders" / day / "orders.csv", TMALL_HEADER, [tmall_row(order)]
        )
    from dagster_project.defs.ingestion.assets import bronze_assets

    tmall = next(a for a in bronze_assets if a.key.path == ["bronze", "tmall_orders"])
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [tmall],
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2026-11-02",
                "dagster/asset_partition_range_end": "2026-11-03",
            },
        )
    assert result.success
    loaded = sorted(
        p.parent.name
        for p in (tmp_path / "warehouse" / "bronze" / "tmall_orders").glob("export_date=*/*.parquet")
    )
    assert loaded == ["export_date=2026-11-02", "export_date=2026-11-03"]
    assert (
        result.asset_materializations_for_node("bronze__tmall_orders")[0].metadata["rows_loaded"].value == 2
    )


def test_the_cli_backfill_passes_its_range_and_full_refresh(monkeypatch):
    from dagster_project import cli

    calls = []
    monkeypatch.setattr(cli, "_ensure_dagster_home", lambda: None)
    monkeypatch.setattr(
        cli, "_run_job", lambda dates=None, full_refresh=False: calls.append((dates, full_refresh)) or True
    )
    monkeypatch.setattr(cli, "summary_lines", lambda: [])
    assert cli.main(["backfill", "--from", "2026-10-01", "--to", "2026-10-31", "--full-refresh"]) == 0
    assert calls == [((dt.date(2026, 10, 1), dt.date(2026, 10, 31)), True)]
    with pytest.raises(SystemExit):
        cli.main(["backfill", "--from", "2026-10-31", "--to", "2026-10-01"])


def test_dagster_home_gets_run_retries_and_one_writer_at_a_time(tmp_path, monkeypatch):
    import yaml

    from dagster_project import cli

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    config = yaml.safe_load(cli._ensure_dagster_home().read_text(encoding="utf-8"))
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}
    assert config["concurrency"]["runs"]["tag_concurrency_limits"] == [
        {"key": "siyu/warehouse", "value": "writer", "limit": 1}
    ]
    assert _defs().resolve_job_def("nightly_warehouse").tags["siyu/warehouse"] == "writer"
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:  # a valid instance config
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2


def test_a_locked_warehouse_is_retried_not_failed(tmp_path, monkeypatch):
    """Another process holding the DuckDB write lock is transient: the step retries and then succeeds."""
    from dagster_project.defs.common.retries import ensure_writable, retry_transient

    monkeypatch.setenv("SIYU_RETRY_WAIT_SECONDS", "1")
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(2.5)"
            ),
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    attempts = []

    @dg.asset
    def needs_the_warehouse():
        attempts.append(time.monotonic())
        with retry_transient():
            ensure_writable(database)

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([needs_the_warehouse], instance=instance)
    holder.wait()
    assert result.success and len(attempts) >= 2


def test_bad_data_is_not_retried(tmp_path):
    from dagster_project.defs.common.retries import retry_transient

    with pytest.raises(ValueError):
        with retry_transient():
            raise ValueError("not a yuan amount")
    with pytest.raises(dg.RetryRequested):
        with retry_transient():
            raise TimeoutError("NFS read timed out")


def test_a_failing_dbt_test_shows_its_failing_rows():
    from dagster_project.defs.dbt.assets import failing_rows_markdown

    with duckdb.connect() as con:
        con.execute(
            "create table fct_orders as select * from (values ('tmall:1', 10.0), ('tmall:2', -5.0)) t(order_key, net_amount)"
        )
        sample = failing_rows_markdown(
            con, "select order_key, net_amount from fct_orders where net_amount < 0"
        )
        broken = failing_rows_markdown(con, "select nope from fct_orders")
    assert sample.splitlines() == ["| order_key | net_amount |", "|---|---|", "| tmall:2 | -5.0 |"]
    assert broken.startswith("could not sample the failing rows")

"""A BI tool reading serving.duckdb during a whole nightly run neither blocks the run nor
ever sees a missing or half-built table.

Yesterday's serving file is published from the clean warehouse; a second process holds
a read-only connection to it and queries every marts table in a loop (plus a fresh
connection per round) while the Dagster job rebuilds the warehouse as of a later date,
which changes row counts, and publishes. Every observation must be exactly yesterday's
tables or exactly today's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

TODAY = "2026-12-31"  # a later as-of date: the cohort and KPI spines grow by a month


def serving_snapshot(path: Path) -> dict[str, int]:
    from tests.serving_reader import snapshot

    with duckdb.connect(str(path), read_only=True) as con:
        return snapshot(con)


def _wait_for_a_round_after(observations: Path, moment: float, timeout: float = 30) -> None:
    """Let the reader finish a round that started after the run ended (it then sees the new file)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = observations.read_text(encoding="utf-8").splitlines()
        if lines and json.loads(lines[-1])["at"] > moment + 0.5:
            return
        time.sleep(0.1)


@pytest.fixture(scope="module")
def run_under_a_reader(clean_landing, clean_warehouse, tmp_path_factory):
    import dagster as dg

    from dagster_project.serving.publish import publish_marts

    warehouse = tmp_path_factory.mktemp("serving_readers") / "warehouse"
    shutil.copytree(clean_warehouse, warehouse)
    serving = warehouse / "serving.duckdb"
    publish_marts(warehouse / "warehouse.duckdb", serving)  # yesterday's file
    yesterday = serving_snapshot(serving)

    stop = warehouse.parent / "stop"
    logs = {mode: warehouse.parent / f"{mode}.jsonl" for mode in ("held", "fresh")}
    readers = [
        subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("serving_reader.py")),
                mode,
                str(serving),
                str(log),
                str(stop),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for mode, log in logs.items()
    ]
    assert all(reader.stdout.readline().strip() == "ready" for reader in readers)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LANDING_DIR", str(clean_landing[0]))
            env.setenv("WAREHOUSE_DIR", str(warehouse))
            from dagster_project.cli import landing_range
            from dagster_project.definitions import defs
            from dagster_project.defs.common.partitions import range_tags

            job = defs.resolve_job_def("nightly_warehouse")
            with dg.DagsterInstance.ephemeral() as instance:
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    tags={**range_tags(*landing_range()), "siyu/as_of_date": TODAY},
                )
        today = serving_snapshot(serving)
        _wait_for_a_round_after(logs["fresh"], time.time())
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=60)
    seen = {
        mode: [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        for mode, log in logs.items()
    }
    return result, yesterday, today, seen


def test_the_run_succeeds_while_a_reader_holds_the_serving_file(run_under_a_reader):
    result, yesterday, today, _ = run_under_a_reader
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert yesterday != today  # the run really published something new
    assert set(yesterday) == set(today) and len(today) >= 10


def test_readers_only_ever_see_a_whole_snapshot(run_under_a_reader):
    _, yesterday, today, seen = run_under_a_reader
    errors = [o for mode in seen.values() for o in mode if "error" in o]
    assert not errors, errors[:3]
    held = [o["tables"] for o in seen["held"]]
    fresh = [o["tables"] for o in seen["fresh"]]
    assert len(held) > 50 and len(fresh) > 50  # they really read throughout the run
    assert all(t == yesterday for t in held)  # an open connection keeps its snapshot
    assert all(t in (yesterday, today) for t in fresh)
    assert fresh[0] == yesterday and fresh[-1] == today  # new connections pick up the new file

"""Nightly schedule (02:00 Beijing, previous day) and the new-landing-file sensor."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import dagster as dg

from tests.landing_builders import TMALL_HEADER, tmall_row, write_csv


def _automation():
    from dagster_project.definitions import new_files_sensor, nightly_schedule

    return nightly_schedule, new_files_sensor


def test_schedule_runs_at_two_beijing_for_the_previous_day():
    schedule, _ = _automation()
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "Asia/Shanghai"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 23, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags["siyu/as_of_date"] == "2026-11-22"
    assert request.run_key == "nightly-2026-11-22"


def test_sensor_starts_a_run_for_new_files_only(tmp_path, monkeypatch):
    _, sensor = _automation()
    monkeypatch.setattr(os, "environ", {**os.environ, "LANDING_DIR": str(tmp_path)})
    write_csv(tmp_path / "tmall_orders" / "2026-11-22" / "a.csv", TMALL_HEADER, [tmall_row("1")])

    first = sensor.evaluate_tick(dg.build_sensor_context(cursor=None))
    assert len(first.run_requests) == 1
    again = sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    assert not again.run_requests and again.skip_message == "no new landing files"

    write_csv(tmp_path / "tmall_orders" / "2026-11-23" / "b.csv", TMALL_HEADER, [tmall_row("2")])
    new = sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    assert len(new.run_requests) == 1 and new.run_requests[0].tags["siyu/new_files"] == "1"
    assert new.run_requests[0].run_key != first.run_requests[0].run_key

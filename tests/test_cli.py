"""`siyu run` decides between the demo landing and an operator's LANDING_DIR correctly."""

import os

import pytest

from dagster_project import cli


def test_demo_landing_is_generated_when_landing_dir_is_not_set(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != "LANDING_DIR"})
    monkeypatch.setattr(cli, "_ensure_dagster_home", lambda: None)
    monkeypatch.setattr(cli, "_run_job", lambda: True)
    monkeypatch.setattr(cli, "summary_lines", lambda: [])
    monkeypatch.setattr(
        cli, "_ensure_demo_landing", lambda persons, seed, operator: calls.append((persons, seed, operator))
    )
    assert cli.main(["run"]) == 0
    assert calls == [(cli.DEMO_PERSONS, cli.DEMO_SEED, False)]


def test_a_missing_operator_landing_dir_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "environ", {**os.environ, "LANDING_DIR": str(tmp_path / "nowhere")})
    monkeypatch.setattr(cli, "_ensure_dagster_home", lambda: None)
    with pytest.raises(SystemExit, match="does not exist"):
        cli.main(["run"])


def test_run_prints_the_morning_report_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        os,
        "environ",
        {
            **os.environ,
            "LANDING_DIR": str(tmp_path),
            "WAREHOUSE_DIR": str(tmp_path),
            "AS_OF_DATE": "2026-11-22",
        },
    )
    monkeypatch.setattr(cli, "_ensure_dagster_home", lambda: None)
    monkeypatch.setattr(cli, "summary_lines", lambda: [])
    report = tmp_path / "report" / "morning_report_2026-11-22.html"

    def run_job():  # the job's report asset writes the page
        report.parent.mkdir()
        report.write_text("<html></html>", encoding="utf-8")
        return True

    monkeypatch.setattr(cli, "_run_job", run_job)
    assert cli.main(["run"]) == 0
    assert f"report:     {report}\n" in capsys.readouterr().out

"""Retention: landing export folders and bronze partitions older than their period
are deleted by the ``retention/expired_exports`` asset; ``dry_run`` lists exactly them and
deletes nothing; the next ingestion neither re-reads nor misses anything.

Landing: Tmall and CRM exports of the clean landing on export dates on both sides of
each cut-off, ingested into bronze. As of 2026-11-22 with 90 landing days and 365 bronze
days, landing folders before 2026-08-24 and bronze partitions before 2025-11-22 expire.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.conftest import AS_OF

SOURCES = ("tmall_orders", "crm_members")
LANDING_DAYS, BRONZE_DAYS = 90, 365


def _pick_days(days: list[str]) -> list[str]:
    """Two of the oldest, the two on each side of each cut-off, the newest."""
    as_of = dt.date.fromisoformat(AS_OF)
    picked = set(days[:2] + days[-1:])
    for cutoff in (as_of - dt.timedelta(days=LANDING_DAYS), as_of - dt.timedelta(days=BRONZE_DAYS)):
        before = [d for d in days if d < cutoff.isoformat()]
        after = [d for d in days if d >= cutoff.isoformat()]
        picked |= set(before[-1:] + after[:1])
    return sorted(picked)


def _files(root: Path) -> dict[str, int]:
    """Data files and their mtimes (the writer lock file, taken by every writing run, is no data)."""
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and p.name != ".writer.lock"
    }


def _materialize(dry_run: bool):
    import dagster as dg

    from dagster_project.definitions import defs

    job = defs.resolve_job_def("enforce_retention")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={"ops": {"retention__expired_exports": {"config": {"dry_run": dry_run}}}},
        )
    return result.get_asset_materialization_events()[0].materialization.metadata


@pytest.fixture()
def dated_exports(clean_landing, tmp_path, monkeypatch):
    from tests.warehouse import ingest_landing

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    for source in SOURCES:
        days = sorted(p.name for p in (clean_landing[0] / source).iterdir())
        for day in _pick_days(days):
            shutil.copytree(clean_landing[0] / source / day, landing / source / day)
    ingest_landing(landing, warehouse)
    for name, value in {
        "LANDING_DIR": landing,
        "WAREHOUSE_DIR": warehouse,
        "AS_OF_DATE": AS_OF,
        "LANDING_RETENTION_DAYS": LANDING_DAYS,
        "BRONZE_RETENTION_DAYS": BRONZE_DAYS,
    }.items():
        monkeypatch.setenv(name, str(value))
    as_of = dt.date.fromisoformat(AS_OF)
    landing_cutoff, bronze_cutoff = (
        as_of - dt.timedelta(days=LANDING_DAYS),
        as_of - dt.timedelta(days=BRONZE_DAYS),
    )
    expired_landing = sorted(
        f"{s}/{d.name}"
        for s in SOURCES
        for d in (landing / s).iterdir()
        if dt.date.fromisoformat(d.name) < landing_cutoff
    )
    expired_bronze = sorted(
        f"{prefix}{s}/{d.name}"
        for s in SOURCES
        for prefix in ("", "_rejects/")
        for d in (warehouse / "bronze" / prefix / s).glob("export_date=*")
        if dt.date.fromisoformat(d.name.split("=")[1]) < bronze_cutoff
    )
    assert expired_landing and expired_bronze and len(expired_landing) > len(expired_bronze) / 2
    return landing, warehouse, expired_landing, expired_bronze


def _listed(metadata, name: str) -> list[str]:
    lines = metadata[name].value.splitlines()[2:]  # markdown table: header, rule, rows
    return sorted(line.strip("| ").strip() for line in lines)


def test_a_dry_run_lists_exactly_the_expired_folders_and_deletes_nothing(dated_exports):
    landing, warehouse, expired_landing, expired_bronze = dated_exports
    before = _files(landing), _files(warehouse)
    metadata = _materialize(dry_run=True)
    assert (_files(landing), _files(warehouse)) == before
    assert _listed(metadata, "landing_folders") == expired_landing
    assert _listed(metadata, "bronze_partitions") == expired_bronze
    assert metadata["landing_folders_expired"].value == len(expired_landing)


def test_a_real_run_deletes_exactly_them_and_the_next_ingestion_changes_nothing(dated_exports):
    from dagster_project.bronze.ingest import ingest_source
    from sources.contracts import load_contracts

    landing, warehouse, expired_landing, expired_bronze = dated_exports
    landing_before, bronze_before = _files(landing), _files(warehouse / "bronze")
    metadata = _materialize(dry_run=False)
    assert _listed(metadata, "landing_folders") == expired_landing
    gone = lambda files, expired: {f for f in files if any(f.startswith(e + "/") for e in expired)}  # noqa: E731
    assert set(_files(landing)) == set(landing_before) - gone(landing_before, expired_landing)
    assert _files(warehouse / "bronze") == {
        f: m for f, m in bronze_before.items() if f not in gone(bronze_before, expired_bronze)
    }
    assert gone(landing_before, expired_landing) and gone(bronze_before, expired_bronze)

    # the next run: nothing to re-read, nothing re-created, no kept partition touched
    kept = _files(warehouse / "bronze")
    for source in SOURCES:
        result = ingest_source(
            load_contracts()[source], landing, warehouse / "bronze", dt.datetime.now(dt.UTC)
        )
        assert result.files and all(f.skipped for f in result.files)
    assert _files(warehouse / "bronze") == kept


def test_landing_may_not_outlive_bronze(monkeypatch):
    from dagster_project.privacy.retention import retention_days

    monkeypatch.setenv("LANDING_RETENTION_DAYS", "400")
    monkeypatch.setenv("BRONZE_RETENTION_DAYS", "365")
    with pytest.raises(ValueError, match="LANDING_RETENTION_DAYS=400 exceeds BRONZE_RETENTION_DAYS=365"):
        retention_days()
    monkeypatch.delenv("LANDING_RETENTION_DAYS")
    monkeypatch.delenv("BRONZE_RETENTION_DAYS")
    assert retention_days() == (90, 1095)


def test_siyu_retention_dry_run_prints_the_expired_folders(dated_exports, tmp_path, monkeypatch, capsys):
    from dagster_project import cli

    landing, warehouse, expired_landing, expired_bronze = dated_exports
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    before = _files(landing), _files(warehouse)
    assert cli.main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (_files(landing), _files(warehouse)) == before
    assert "would delete landing folders before 2026-08-24:" in out
    assert all(f"| {folder} |" in out for folder in expired_landing + expired_bronze)

"""Shared, session-scoped landings and warehouses (each built once per test run).

Small scales keep the suite fast; big scales belong to the benchmarks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

AS_OF = "2026-11-22"
NOISY_PERSONS = 1500
CLEAN_PERSONS = 1200

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def generate(root: Path, persons: int, seed: int, clean: bool) -> tuple[Path, Path]:
    from sources.generator.__main__ import main

    landing, truth = root / "landing", root / "ground_truth"
    args = [
        "--seed",
        str(seed),
        "--persons",
        str(persons),
        "--out",
        str(landing),
        "--as-of",
        AS_OF,
        "--truth",
        str(truth),
        "--quiet",
    ]
    assert main(args + (["--clean"] if clean else [])) == 0
    return landing, truth


@pytest.fixture(scope="session")
def noisy_landing(tmp_path_factory) -> tuple[Path, Path]:
    """A demo landing with every quirk, ~1% bad rows and every identity trap: (landing, truth)."""
    return generate(tmp_path_factory.mktemp("noisy"), NOISY_PERSONS, seed=11, clean=False)


@pytest.fixture(scope="session")
def clean_landing(tmp_path_factory) -> tuple[Path, Path]:
    """No bad rows, no identity traps: every person linked by strong ids."""
    return generate(tmp_path_factory.mktemp("clean"), CLEAN_PERSONS, seed=5, clean=True)


@pytest.fixture(scope="session")
def clean_warehouse(clean_landing, tmp_path_factory) -> Path:
    """The clean landing ingested and built with `dbt build` (as_of_date = AS_OF)."""
    from tests.warehouse import dbt, ingest_landing

    warehouse = tmp_path_factory.mktemp("clean_warehouse")
    ingest_landing(clean_landing[0], warehouse)
    dbt(warehouse, "build", dbt_vars={"as_of_date": AS_OF})
    return warehouse


@pytest.fixture(scope="session")
def nightly_run(noisy_landing, tmp_path_factory):
    """The nightly job run twice over the noisy landing (tests/test_end_to_end.py, tests/test_privacy.py):
    (first result, second result, bronze stamps after each, warehouse, landing, truth)."""
    import dagster as dg

    landing, truth = noisy_landing
    warehouse = tmp_path_factory.mktemp("e2e_warehouse")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LANDING_DIR", str(landing))
        env.setenv("WAREHOUSE_DIR", str(warehouse))
        env.setenv("AS_OF_DATE", AS_OF)
        from dagster_project.cli import landing_range
        from dagster_project.definitions import defs
        from dagster_project.defs.common.partitions import range_tags

        job = defs.resolve_job_def("nightly_warehouse")
        every_export_date = range_tags(*landing_range())  # what `siyu run` does
        with dg.DagsterInstance.ephemeral() as instance:
            first = job.execute_in_process(instance=instance, raise_on_error=False, tags=every_export_date)
            stamps = {p: p.stat().st_mtime_ns for p in (warehouse / "bronze").rglob("*.parquet")}
            second = job.execute_in_process(instance=instance, raise_on_error=False, tags=every_export_date)
            restamps = {p: p.stat().st_mtime_ns for p in (warehouse / "bronze").rglob("*.parquet")}
    return first, second, stamps, restamps, warehouse, landing, truth

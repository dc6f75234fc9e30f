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
    args = ["--seed", str(seed), "--persons", str(persons), "--out", str(landing), "--as-of", AS_OF,
            "--truth", str(truth), "--quiet"]
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

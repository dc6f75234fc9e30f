"""Retention: landing export folders and bronze partitions older than their period are deleted.

Periods count back from the as-of date (AS_OF_DATE, default today in Beijing); an
export date is expired when it is *before* ``as_of - days``.

LANDING_RETENTION_DAYS (default 90): landing files are the brands' raw exports with
plain personal data. Once in bronze they are only needed to re-read a quarter after a
parser fix (``siyu backfill --full-refresh``), and erased persons' rows stay in them
until they expire (the deny-list keeps them out of bronze meanwhile).
BRONZE_RETENTION_DAYS (default 1095, three years): bronze is the history the identity
graph, cohorts and LTV are built from; three years is also the minimum the E-Commerce
Law (art. 31) asks for transaction records.

The landing period may not exceed the bronze period: a landing folder that outlives its
bronze partition would be read again by the next run covering its date, and the expired
rows would come back.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dagster_project.bronze import layout

DEFAULT_LANDING_DAYS = 90
DEFAULT_BRONZE_DAYS = 3 * 365
_LANDING_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _days(variable: str, default: int) -> int:
    raw = os.environ.get(variable) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{variable}={raw!r} is not a whole number of days (at least 1)")
    return int(raw)


def retention_days() -> tuple[int, int]:
    """(landing days, bronze days) from LANDING_RETENTION_DAYS / BRONZE_RETENTION_DAYS."""
    landing, bronze = (
        _days("LANDING_RETENTION_DAYS", DEFAULT_LANDING_DAYS),
        _days("BRONZE_RETENTION_DAYS", DEFAULT_BRONZE_DAYS),
    )
    if landing > bronze:
        raise ValueError(
            f"LANDING_RETENTION_DAYS={landing} exceeds BRONZE_RETENTION_DAYS={bronze}: a landing file outliving "
            "its bronze partition would be ingested again"
        )
    return landing, bronze


@dataclass
class RetentionPlan:
    as_of: dt.date
    landing_cutoff: dt.date  # export dates before this are expired
    bronze_cutoff: dt.date
    landing: list[Path]  # <landing>/<source>/<YYYY-MM-DD>/
    bronze: list[Path]  # <bronze>[/_rejects]/<source>/export_date=<YYYY-MM-DD>/


def _expired_folders(parent: Path, pattern: re.Pattern, cutoff: dt.date) -> list[Path]:
    if not parent.is_dir():
        return []
    found = []
    for folder in sorted(parent.iterdir()):
        match = pattern.match(folder.name)
        if not (folder.is_dir() and match):
            continue
        try:
            day = dt.date.fromisoformat(match.group(match.re.groups))
        except ValueError:
            continue  # not a calendar date: the ingestion names it as a layout problem
        if day < cutoff:
            found.append(folder)
    return found


def plan_retention(
    landing_root: Path,
    bronze_root: Path,
    sources: list[str],
    as_of: dt.date,
    landing_days: int,
    bronze_days: int,
) -> RetentionPlan:
    """What is expired (only the contract sources' folders are ever touched)."""
    landing_cutoff = as_of - dt.timedelta(days=landing_days)
    bronze_cutoff = as_of - dt.timedelta(days=bronze_days)
    landing = [f for s in sources for f in _expired_folders(landing_root / s, _LANDING_DATE, landing_cutoff)]
    bronze = [
        f
        for s in sources
        for parent in (layout.rows_dir(bronze_root, s), layout.rejects_dir(bronze_root, s))
        for f in _expired_folders(parent, layout.PARTITION, bronze_cutoff)
    ]
    return RetentionPlan(as_of, landing_cutoff, bronze_cutoff, landing, bronze)


def apply_retention(plan: RetentionPlan) -> None:
    for folder in plan.landing + plan.bronze:
        shutil.rmtree(folder)

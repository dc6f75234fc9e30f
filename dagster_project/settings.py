"""Where things live, from the environment (documented in the README).

LANDING_DIR    landing root (<source>/<export_date>/<file>)       default: data/landing
WAREHOUSE_DIR  bronze Parquet, warehouse.duckdb, serving.duckdb    default: data/warehouse
AS_OF_DATE     logical run date (YYYY-MM-DD)                       default: today in Beijing
FIRST_EXPORT_DATE  first export date folder the warehouse accepts   default: 2024-01-01
                   (the first daily partition of the bronze assets)
SIYU_ENV       ``production`` refuses the development pseudonymisation key   default: development
               (dbt runs with --target prod)
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = PROJECT_ROOT / "dbt"  # the dbt project (and its profiles.yml)
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"  # the Great Expectations suites, one per source
WAREHOUSE_DB = "warehouse.duckdb"  # under WAREHOUSE_DIR: what dbt builds (restricted)
SERVING_DB = "serving.duckdb"  # under WAREHOUSE_DIR: what BI reads (schema marts only)
# Run tag carrying the logical date of a scheduled run (it wins over AS_OF_DATE).
AS_OF_TAG = "siyu/as_of_date"
BEIJING = ZoneInfo("Asia/Shanghai")


def landing_dir() -> Path:
    return Path(os.environ.get("LANDING_DIR") or PROJECT_ROOT / "data" / "landing").resolve()


def warehouse_dir() -> Path:
    return Path(os.environ.get("WAREHOUSE_DIR") or PROJECT_ROOT / "data" / "warehouse").resolve()


def state_dir(warehouse: Path) -> Path:
    """What the nightly remembers between runs (last dbt build, landing file hashes)."""
    return warehouse / "state"


def identity_health_limits() -> dict[str, float]:
    """The identity-health limits set in the environment (dagster_project.identity.health)."""
    variables = {
        "max_person_identifiers": ("IDENTITY_MAX_PERSON_IDENTIFIERS", int),
        "max_orders_without_person": ("IDENTITY_MAX_ORDERS_WITHOUT_PERSON", float),
        "max_churn": ("IDENTITY_MAX_CHURN", float),
    }
    return {
        field: kind(os.environ[name]) for field, (name, kind) in variables.items() if os.environ.get(name)
    }


def identity_overrides_file() -> Path:
    """The analysts' identity overrides (IDENTITY_OVERRIDES_FILE; README, Identity)."""
    return Path(os.environ.get("IDENTITY_OVERRIDES_FILE") or warehouse_dir() / "identity_overrides.csv")


def bronze_dir() -> Path:
    return warehouse_dir() / "bronze"


def warehouse_db() -> Path:
    return warehouse_dir() / WAREHOUSE_DB


def serving_db() -> Path:
    return warehouse_dir() / SERVING_DB


def report_dir() -> Path:
    """The morning report (HTML), next to the serving file it is rendered from."""
    return warehouse_dir() / "report"


def docs_dir() -> Path:
    """dbt docs of the last build (index.html, manifest.json, catalog.json, static_index.html)."""
    return warehouse_dir() / "docs"


def run_as_of_date(run_tags: dict) -> dt.date:
    """The logical date of a run: the schedule's tag wins over AS_OF_DATE / today."""
    tagged = run_tags.get(AS_OF_TAG)
    return dt.date.fromisoformat(tagged) if tagged else as_of_date()


def as_of_date() -> dt.date:
    raw = os.environ.get("AS_OF_DATE")
    if raw:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(f"AS_OF_DATE={raw!r} is not a YYYY-MM-DD date") from exc
    return beijing_today()


def first_export_date() -> dt.date:
    raw = os.environ.get("FIRST_EXPORT_DATE") or "2024-01-01"
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"FIRST_EXPORT_DATE={raw!r} is not a YYYY-MM-DD date") from exc


def beijing_today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def is_production() -> bool:
    return os.environ.get("SIYU_ENV", "").strip().lower() in ("production", "prod")


def dbt_target() -> str:
    """The dbt profile target: ``prod`` refuses the development pseudonymisation key."""
    return "prod" if is_production() else "dev"


def export_to_environment() -> None:
    """dbt reads WAREHOUSE_DIR/AS_OF_DATE through env_var(): make the defaults visible to it."""
    os.environ.setdefault("WAREHOUSE_DIR", str(warehouse_dir()))
    os.environ.setdefault("LANDING_DIR", str(landing_dir()))
    # A run over a range of export dates plans one event per asset, not one per asset and
    # partition (a fresh warehouse over 16 months: 12 x 539 events written one by one to the
    # instance's SQLite before the first step starts). The cost: if such a run fails, its
    # partitions are not marked failed (the run is, and the next night re-plans them).
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    # ... and hands the materialisations of such a run to the event log as batches (written in
    # one transaction by the instance's storage: dagster_project/instance/event_log.py)
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "1000")

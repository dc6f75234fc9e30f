"""Publish the ``marts`` schema into a fresh DuckDB file and swap it in atomically.

BI tools hold read-only connections to ``serving.duckdb`` all day. DuckDB allows
one writer or many readers per file, so the nightly run never writes that
file: it builds ``serving.duckdb.<token>.tmp`` next to it and renames it over
the old one (an atomic rename on POSIX). Readers that already have the old
file open keep reading the old snapshot; new connections see the new one; a
failed or killed run leaves the old file untouched; the temporary file a killed
run left behind is removed by the next publication (one writer at a time, so no
other run can still be writing one).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

SERVING_SCHEMA = "marts"


def publish_marts(warehouse_db: Path, serving_db: Path) -> dict[str, int]:
    """Copy every table and view of schema marts; returns rows per table."""
    remove_stale_temporaries(serving_db)
    tmp = serving_db.with_name(f"{serving_db.name}.{uuid.uuid4().hex[:8]}.tmp")
    rows: dict[str, int] = {}
    try:
        with duckdb.connect(str(tmp)) as con:
            con.execute(f"ATTACH '{warehouse_db}' AS wh (READ_ONLY)")
            con.execute(f"CREATE SCHEMA {SERVING_SCHEMA}")
            tables = [
                name
                for (name,) in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = 'wh' AND table_schema = ? ORDER BY table_name",
                    [SERVING_SCHEMA],
                ).fetchall()
            ]
            for table in tables:
                con.execute(
                    f'CREATE TABLE {SERVING_SCHEMA}."{table}" AS SELECT * FROM wh.{SERVING_SCHEMA}."{table}"'
                )
                rows[table] = con.execute(f'SELECT count(*) FROM {SERVING_SCHEMA}."{table}"').fetchone()[0]
            con.execute("DETACH wh")
            con.execute("CHECKPOINT")
        _fsync(tmp)
        os.replace(tmp, serving_db)
        _fsync(serving_db.parent)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return rows


def remove_stale_temporaries(serving_db: Path) -> list[Path]:
    """Delete half-built serving files (and their WALs) of runs that were killed."""
    stale = sorted(serving_db.parent.glob(f"{serving_db.name}.*.tmp*"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

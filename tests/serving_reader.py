"""A BI tool stand-in: reads serving.duckdb in a loop until told to stop (used by test_serving_readers).

    python tests/serving_reader.py held|fresh <serving.duckdb> <observations.jsonl> <stop file>

``held`` keeps one read-only connection for its whole life (a dashboard left open);
``fresh`` opens a new read-only connection every round (a BI tool that reconnects). Two
modes, two processes: within one process DuckDB shares one database instance between
connections to the same path, so a "fresh" connection next to a held one would still
see the held snapshot. Each round writes the row count of every marts table it sees,
or the error it got. It never retries: an error is a finding.
"""

import json
import sys
import time
from pathlib import Path

import duckdb


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
    ]
    return {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}


def main(mode: str, serving: str, out: str, stop: str) -> None:
    held = duckdb.connect(serving, read_only=True) if mode == "held" else None
    with open(out, "w", encoding="utf-8") as log:
        print("ready", flush=True)
        while not Path(stop).exists():
            try:
                if held is not None:
                    seen = snapshot(held)
                else:
                    with duckdb.connect(serving, read_only=True) as fresh:
                        seen = snapshot(fresh)
                log.write(json.dumps({"at": time.time(), "tables": seen}) + "\n")
            except Exception as exc:  # noqa: BLE001 - every failure is recorded, not hidden
                log.write(json.dumps({"at": time.time(), "error": repr(exc)}) + "\n")
            log.flush()
            time.sleep(0.05)
    if held is not None:
        held.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])

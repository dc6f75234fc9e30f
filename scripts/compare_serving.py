"""Compare every table of two serving files row for row (as multisets, both directions).

    python -m scripts.compare_serving A/serving.duckdb B/serving.duckdb

Used to show that a change meant to keep behaviour (a refactor) leaves every serving table of
the same landing identical. Run-time stamps (``fitted_at``) are not compared. Exit 1 when a
table differs or exists on one side only.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

RUN_STAMPS = {"fitted_at"}


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> set[tuple[str, str]]:
    rows = con.sql(f"select schema_name, table_name from duckdb_tables() where database_name = '{database}'")
    return {tuple(r) for r in rows.fetchall()}


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[str]:
    rows = con.sql(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index",
        params=[database, schema, table],
    )
    return [r[0] for r in rows.fetchall()]


def compare(a: str, b: str) -> int:
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    in_a, in_b = _tables(con, "a"), _tables(con, "b")
    differing = len(in_a ^ in_b)
    if in_a ^ in_b:
        print(f"only in {a}: {sorted(in_a - in_b)}; only in {b}: {sorted(in_b - in_a)}")
    for schema, table in sorted(in_a & in_b):
        columns = _columns(con, "a", schema, table)
        if columns != _columns(con, "b", schema, table):
            print(f"{schema}.{table}: the columns differ")
            differing += 1
            continue
        select = ", ".join(f'"{c}"' for c in columns if c not in RUN_STAMPS)
        rows = con.sql(f"select count(*) from a.{schema}.{table}").fetchall()[0][0]
        only = [
            con.sql(
                f"select count(*) from (select {select} from {x}.{schema}.{table} "
                f"except all select {select} from {y}.{schema}.{table})"
            ).fetchall()[0][0]
            for x, y in (("a", "b"), ("b", "a"))
        ]
        print(f"{schema}.{table}: {rows} rows, {only[0]} only in the first, {only[1]} only in the second")
        differing += bool(only[0] or only[1])
    print(f"tables differing: {differing}")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args(argv)
    return compare(args.first, args.second)


if __name__ == "__main__":
    sys.exit(main())

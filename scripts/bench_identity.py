"""Stitching benchmark (``make bench-identity``; not a test).

Takes the identity graph of a built warehouse (nodes and the final stitching edges),
scales it to the requested number of persons by disjoint copies (the demo graph's shape,
repeated), and times both stitching paths end to end in fresh processes, reading and
writing Parquet: the scipy path (dagster_project.identity.graph) and the portable SQL
label propagation (dbt/macros/label_propagation.sql, compiled by dbt, run in DuckDB).
Wall time and peak RSS per run come from os.wait4; the median of ``--repeat`` runs is
reported and written to artifacts/bench_identity.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import settings


def export_graph(warehouse_db: Path, out: Path, persons: int) -> dict:
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        nodes = con.sql("select node_key from intermediate.int_identity__nodes").pl()
        edges = con.sql("select left_key, right_key from intermediate.int_identity__stitch_edges").pl()
        base_persons = con.execute(
            "select count(distinct person_id) from intermediate.int_identity__persons"
        ).fetchone()[0]
    copies = max(1, round(persons / base_persons))
    suffix = pl.DataFrame({"copy": list(range(copies))}).with_columns(
        pl.format("#{}", "copy").alias("suffix")
    )
    nodes.join(suffix, how="cross").select(
        (pl.col("node_key") + pl.col("suffix")).alias("node_key")
    ).write_parquet(out / "nodes.parquet")
    edges.join(suffix, how="cross").select(
        (pl.col("left_key") + pl.col("suffix")).alias("left_key"),
        (pl.col("right_key") + pl.col("suffix")).alias("right_key"),
    ).write_parquet(out / "edges.parquet")
    return {"persons": base_persons * copies, "nodes": nodes.height * copies, "edges": edges.height * copies}


def label_propagation_sql(nodes: Path, edges: Path) -> str:
    """The portable path's SQL, compiled by dbt from the same macro the models use."""
    from dbt.cli.main import dbtRunner

    dbt_dir = settings.PROJECT_ROOT / "dbt"
    inline = f"{{{{ label_propagation(\"read_parquet('{nodes}')\", \"read_parquet('{edges}')\") }}}}"
    os.environ["WAREHOUSE_DIR"] = str(nodes.parent)  # a scratch database: compiling needs a connection
    result = dbtRunner().invoke(
        [
            "compile",
            "--quiet",
            "--inline",
            inline,
            "--project-dir",
            str(dbt_dir),
            "--profiles-dir",
            str(dbt_dir),
            "--target-path",
            str(nodes.parent / "dbt_target"),
            "--log-path",
            str(nodes.parent / "dbt_logs"),
        ]
    )
    if not result.success:
        raise RuntimeError(f"dbt compile failed: {result.exception}")
    return result.result.results[0].node.compiled_code


def run_once(method: str, workdir: Path) -> dict:
    """Run one stitching in a child process; wall seconds and the child's peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench_identity", "--child", method, "--workdir", str(workdir)]
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{method} stitching failed with status {status}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def child(method: str, workdir: Path) -> None:
    if method == "scipy":
        from dagster_project.identity.graph import component_keys

        nodes = pl.read_parquet(workdir / "nodes.parquet")["node_key"]
        edges = pl.read_parquet(workdir / "edges.parquet")
        component_keys(nodes, edges["left_key"], edges["right_key"]).write_parquet(workdir / "scipy.parquet")
    else:
        sql = (workdir / "label_propagation.sql").read_text(encoding="utf-8")
        with duckdb.connect() as con:
            con.execute(f"copy ({sql}) to '{workdir / 'sql.parquet'}' (format parquet)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--warehouse", type=Path, default=settings.warehouse_db())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--sql-max-persons", type=int, default=1_000_000, help="skip the SQL path above this scale"
    )
    parser.add_argument(
        "--out", type=Path, default=settings.PROJECT_ROOT / "artifacts" / "bench_identity.json"
    )
    parser.add_argument("--child", choices=["scipy", "sql"])
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.workdir)

    report = []
    for persons in args.persons:
        with tempfile.TemporaryDirectory(prefix="bench-identity-") as tmp:
            workdir = Path(tmp)
            shape = export_graph(args.warehouse, workdir, persons)
            row = {**shape}
            runs = [run_once("scipy", workdir) for _ in range(args.repeat)]
            row["scipy_seconds"] = statistics.median(r["seconds"] for r in runs)
            row["scipy_peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
            if persons <= args.sql_max_persons:
                (workdir / "label_propagation.sql").write_text(
                    label_propagation_sql(workdir / "nodes.parquet", workdir / "edges.parquet"),
                    encoding="utf-8",
                )
                sql_runs = [
                    run_once("sql", workdir) for _ in range(max(1, args.repeat if persons <= 200_000 else 1))
                ]
                row["sql_seconds"] = statistics.median(r["seconds"] for r in sql_runs)
                row["sql_peak_rss_mb"] = max(r["peak_rss_mb"] for r in sql_runs)
                same = (
                    pl.read_parquet(workdir / "scipy.parquet")
                    .sort("node_key")
                    .equals(pl.read_parquet(workdir / "sql.parquet").sort("node_key"))
                )
                row["sql_equals_scipy"] = same
            report.append(row)
            print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

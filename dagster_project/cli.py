"""``siyu run``: the main job on the bundled demo data (what ``make run`` calls).

Generates the demo landing tree (fixed seed) unless LANDING_DIR is set,
materialises every asset through the ``nightly_warehouse`` job on a persistent
Dagster instance (so the UI shows the run), and prints where the files are
with rows and rejects per source.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEMO_SEED = 7
DEMO_PERSONS = 20_000


def _ensure_dagster_home() -> None:
    from dagster_project.settings import PROJECT_ROOT

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")


def _ensure_demo_landing(persons: int, seed: int, operator_landing: bool) -> None:
    """Write the demo landing once (regenerated when seed/size/as-of change)."""
    from dagster_project import settings

    if operator_landing:
        if not settings.landing_dir().is_dir():
            sys.exit(f"LANDING_DIR={settings.landing_dir()} does not exist")
        return
    landing = settings.landing_dir()
    marker = landing / ".demo"
    wanted = f"seed={seed} persons={persons} as_of={settings.as_of_date().isoformat()}\n"
    if marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return
    from sources.generator.__main__ import main as generate

    print(f"generating the demo landing ({persons} persons, seed {seed}) in {landing} ...", flush=True)
    generate(["--seed", str(seed), "--persons", str(persons), "--out", str(landing),
              "--as-of", settings.as_of_date().isoformat()])
    marker.write_text(wanted, encoding="utf-8")


def nightly_job_def():
    from dagster_project.definitions import defs

    return defs.resolve_job_def("nightly_warehouse")


def _run_job() -> bool:
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        # INFO on the console: the step-by-step DEBUG events are in the UI (make ui)
        quiet = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        result = dg.execute_job(dg.reconstructable(nightly_job_def), instance=instance, run_config=quiet)
        if not result.success:
            for event in result.all_events:
                if event.is_failure and event.step_key:
                    print(f"FAILED step {event.step_key}: {event.message}", file=sys.stderr)
        return result.success


def summary_lines() -> list[str]:
    """Rows and rejects per source, read from bronze (the source of truth for ingestion)."""
    import polars as pl

    from dagster_project import settings
    from sources.contracts import load_contracts

    bronze = settings.bronze_dir()
    lines = [f"{'source':<18} {'files':>6} {'rows':>10} {'rejected rows':>14}"]
    for source in load_contracts():
        good = pl.scan_parquet(str(bronze / source / "export_date=*" / "*.parquet"))
        counts = good.select(pl.len().alias("rows"), pl.col("_source_file").n_unique().alias("files"))
        try:
            rows, files = counts.collect().row(0)
        except (FileNotFoundError, pl.exceptions.ComputeError):
            rows, files = 0, 0
        rejects_glob = bronze / "_rejects" / source / "export_date=*" / "*.parquet"
        try:
            rejected = pl.scan_parquet(str(rejects_glob)).select(
                pl.struct("source_file", "row_number").n_unique()
            ).collect().item()
        except (FileNotFoundError, pl.exceptions.ComputeError):
            rejected = 0
        lines.append(f"{source:<18} {files:>6} {rows:>10} {rejected:>14}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="siyu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialise every asset (generating the demo landing if needed)")
    run.add_argument("--persons", type=int, default=DEMO_PERSONS)
    run.add_argument("--seed", type=int, default=DEMO_SEED)
    sub.add_parser("summary", help="print rows and rejects per source")
    args = parser.parse_args(argv)

    from dagster_project import settings

    operator_landing = bool(os.environ.get("LANDING_DIR"))  # before the defaults are exported
    settings.export_to_environment()
    if args.command == "run":
        _ensure_dagster_home()
        _ensure_demo_landing(args.persons, args.seed, operator_landing)
        ok = _run_job()
    else:
        ok = True
    print()
    print(f"landing:    {settings.landing_dir()}")
    print(f"bronze:     {settings.bronze_dir()}")
    print(f"warehouse:  {settings.warehouse_db()}  (rejects: audit.rejects)")
    print(f"serving:    {settings.serving_db()}")
    print(f"as of date: {settings.as_of_date().isoformat()}")
    print()
    print("\n".join(summary_lines()))
    if not ok:
        print("\nthe run FAILED: see the messages above or the run in the Dagster UI (make ui)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""``siyu``: the warehouse from the command line (``make run`` calls ``siyu run``).

siyu run        generate the demo landing (fixed seed) unless LANDING_DIR is set, then run the
                ``nightly_warehouse`` job on the persistent Dagster instance (the UI shows
                the run) for what changed: landing files not yet in bronze, the dbt models
                whose inputs changed, the serving file if any did, the morning report
                (dagster_project.planning.changes); print where the files are, rows and rejects
siyu backfill   the same job for the export dates --from..--to only (one run; dbt builds once);
                --full-refresh re-reads those dates' files even when unchanged
siyu erase      erase a person (PIPL art. 47) by --phone/--openid/--unionid/--member-id through the
                ``erase_person`` job; prints the audit record (keyed hashes only). The identifiers go
                to a restricted request file, the job gets its id; --request-only writes the file
                for a launch from the UI, --request-id runs an existing one
siyu retention  delete landing folders and bronze partitions past LANDING_RETENTION_DAYS /
                BRONZE_RETENTION_DAYS (``enforce_retention`` job); --dry-run lists them only
siyu explain    why an identifier (--phone/--openid/--unionid/--member-id/--order ...) belongs to its
                person: the path of evidence to the person's anchor, read from warehouse.duckdb
siyu summary    rows and rejects per source, from bronze
siyu home       write $DAGSTER_HOME/dagster.yaml (run retries, one writer at a time) if missing
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

DEMO_SEED = 7
DEMO_PERSONS = 20_000


def _ensure_dagster_home() -> Path:
    from dagster_project.settings import PROJECT_ROOT

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(PROJECT_ROOT / "deploy" / "dagster.yaml", config)
    return config


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
    generate(
        [
            "--seed",
            str(seed),
            "--persons",
            str(persons),
            "--out",
            str(landing),
            "--as-of",
            settings.as_of_date().isoformat(),
        ]
    )
    marker.write_text(wanted, encoding="utf-8")


def nightly_job_def():
    from dagster_project.definitions import defs

    return defs.resolve_job_def("nightly_warehouse")


@contextmanager
def executed(job_def, run_config: dict, log_level: str = "WARNING", **options):
    """The one way the CLI runs a job: on the persistent instance (the UI shows the run), console
    logs at ``log_level``, every failed step printed; yields the open result (outputs readable).
    ``job_def``: a module-level function returning the job (Dagster reconstructs it from its name).
    The job's own executor takes the warehouse writer lock."""
    import dagster as dg

    run_config = {**run_config, "loggers": {"console": {"config": {"log_level": log_level}}}}
    with (
        dg.DagsterInstance.get() as instance,
        dg.execute_job(
            dg.reconstructable(job_def), instance=instance, run_config=run_config, **options
        ) as result,
    ):
        if not result.success:
            for event in result.all_events:
                if event.is_failure and event.step_key:
                    print(f"FAILED step {event.step_key}: {event.message}", file=sys.stderr)
        yield result


def landing_range() -> tuple[dt.date, dt.date]:
    """The export dates of every file in the landing (today when it is empty)."""
    from dagster_project import settings
    from dagster_project.bronze.ingest import landing_files
    from dagster_project.defs.common.partitions import covering_range
    from sources.contracts import load_contracts

    days = [day for c in load_contracts().values() for _, day in landing_files(settings.landing_dir(), c)[0]]
    return covering_range(days) or (settings.beijing_today(),) * 2


def _run_job(dates: tuple[dt.date, dt.date] | None = None, full_refresh: bool = False) -> bool:
    """`siyu run` (no dates): what changed since the last run (dagster_project.planning.changes); a
    backfill: every asset for the export dates first..last."""
    from dagster_project import settings
    from dagster_project.defs.common.partitions import range_tags
    from dagster_project.defs.ingestion.assets import bronze_assets

    run_config: dict = {}
    selection = None
    if dates is None:
        from dagster_project.defs.automation.schedules import night_request

        selection, tags, plan = night_request(settings.as_of_date())
        print(plan.summary(), flush=True)
        ingesting = {a.op.name for a in bronze_assets if a.key in selection}
    else:
        print(f"export dates {dates[0]} .. {dates[1]}", flush=True)
        tags = range_tags(*dates)
        ingesting = {a.op.name for a in bronze_assets}
    if full_refresh:
        run_config["ops"] = {name: {"config": {"full_refresh": True}} for name in ingesting}
    # INFO on the console: the step-by-step DEBUG events are in the UI (make ui)
    with executed(nightly_job_def, run_config, "INFO", tags=tags, asset_selection=selection) as result:
        return result.success


def erase_job_def():
    from dagster_project.definitions import defs

    return defs.resolve_job_def("erase_person")


def _erase(args: argparse.Namespace) -> bool:
    import json

    from dagster_project import settings
    from dagster_project.privacy.erasure import ErasureRequest, read_request, request_path, write_request

    if args.request_id:
        read_request(settings.warehouse_dir(), args.request_id)  # it exists and is well-formed, before a run
    # the identifiers go to a file only the warehouse's owner reads; Dagster gets the request id
    request_id = args.request_id or write_request(
        settings.warehouse_dir(), ErasureRequest(args.phone, args.openid, args.unionid, args.member_id)
    )
    if args.request_only:
        print(f"erasure request {request_id} written to {request_path(settings.warehouse_dir(), request_id)}")
        print("launch it from the UI: Jobs -> erase_person -> Launchpad, config:")
        print(f"ops:\n  find_and_erase:\n    config:\n      request_id: {request_id}")
        return True
    config = {"request_id": request_id, "as_of_date": args.as_of}
    with executed(erase_job_def, {"ops": {"find_and_erase": {"config": config}}}) as result:
        if not result.success:
            print(
                f"the request is kept: run it again with `siyu erase --request-id {request_id}`",
                file=sys.stderr,
            )
            return False
        print("\nerasure audit record (also appended to $WAREHOUSE_DIR/privacy/erasure_audit.jsonl):")
        print(json.dumps(result.output_for_node("republish_and_audit"), ensure_ascii=False, indent=2))
    return True


def retention_job_def():
    from dagster_project.definitions import defs

    return defs.resolve_job_def("enforce_retention")


def _retention(dry_run: bool) -> bool:
    run_config = {"ops": {"retention__expired_exports": {"config": {"dry_run": dry_run}}}}
    with executed(retention_job_def, run_config) as result:
        if not result.success:
            return False
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
    verb = "would delete" if dry_run else "deleted"
    for kind, cutoff in (("landing_folders", "landing_cutoff"), ("bronze_partitions", "bronze_cutoff")):
        print(f"{verb} {kind.replace('_', ' ')} before {metadata[cutoff].value}:")
        print(metadata[kind].value)
    return True


def _explain(args: argparse.Namespace) -> int:
    from dagster_project import settings
    from dagster_project.identity.explain import FLAG_TYPES, NotFound, explain

    kind = next(k for k in FLAG_TYPES if getattr(args, k) is not None)
    try:
        print(explain(settings.warehouse_db(), kind, getattr(args, kind)))
    except NotFound as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def summary_lines() -> list[str]:
    """Rows and rejects per source, read from bronze (the source of truth for ingestion)."""
    import polars as pl

    from dagster_project import settings
    from dagster_project.bronze import layout
    from sources.contracts import load_contracts

    bronze = settings.bronze_dir()
    lines = [f"{'source':<18} {'files':>6} {'rows':>10} {'rejected rows':>14}"]
    for source in load_contracts():
        # one bronze Parquet per landing file, row counts from the footers: no column is read
        paths = sorted(layout.rows_dir(bronze, source).glob(layout.DATA_FILES))
        files = len(paths)
        rows = pl.scan_parquet([str(p) for p in paths]).select(pl.len()).collect().item() if paths else 0
        rejects_glob = layout.rejects_dir(bronze, source) / layout.DATA_FILES
        try:
            rejected = (
                pl.scan_parquet(str(rejects_glob))
                .select(pl.struct("source_file", "row_number").n_unique())
                .collect()
                .item()
            )
        except (FileNotFoundError, pl.exceptions.ComputeError):
            rejected = 0
        lines.append(f"{source:<18} {files:>6} {rows:>10} {rejected:>14}")
    return lines


def _refuse_the_development_key_in_production() -> None:
    """SIYU_ENV=production: stop before reading anything when the pseudonymisation key is missing."""
    from dagster_project.rules.pseudonymize import DevelopmentKeyRefused, pseudonym_key

    try:
        pseudonym_key()
    except DevelopmentKeyRefused as exc:
        sys.exit(f"SIYU_ENV=production: {exc}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="siyu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialise every asset (generating the demo landing if needed)")
    run.add_argument("--persons", type=int, default=DEMO_PERSONS)
    run.add_argument("--seed", type=int, default=DEMO_SEED)
    backfill = sub.add_parser("backfill", help="re-run the export dates FROM..TO (one run)")
    backfill.add_argument(
        "--from", dest="first", type=dt.date.fromisoformat, required=True, metavar="YYYY-MM-DD"
    )
    backfill.add_argument(
        "--to", dest="last", type=dt.date.fromisoformat, required=True, metavar="YYYY-MM-DD"
    )
    backfill.add_argument("--full-refresh", action="store_true", help="re-read files even when unchanged")
    erase = sub.add_parser(
        "erase", help="erase a person from bronze, the warehouse and serving (PIPL art. 47)"
    )
    for flag in ("--phone", "--openid", "--unionid", "--member-id"):
        erase.add_argument(flag, action="append", default=[], help="repeatable")
    erase.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="as-of date of the rebuild")
    erase.add_argument(
        "--request-only",
        action="store_true",
        help="only write the request file and print its id (to launch erase_person from the UI)",
    )
    erase.add_argument(
        "--request-id", default=None, help="run an existing request file privacy/requests/<id>.json"
    )
    retention = sub.add_parser(
        "retention", help="delete landing folders and bronze partitions past retention"
    )
    retention.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted, delete nothing"
    )
    explain = sub.add_parser(
        "explain", help="why an identifier belongs to its person (reads warehouse.duckdb)"
    )
    named = explain.add_mutually_exclusive_group(required=True)
    for flag in (
        "--phone",
        "--openid",
        "--unionid",
        "--member-id",
        "--external-userid",
        "--tmall-buyer",
        "--order",
    ):
        named.add_argument(flag)
    sub.add_parser("summary", help="print rows and rejects per source")
    sub.add_parser("home", help="write $DAGSTER_HOME/dagster.yaml if missing")
    args = parser.parse_args(argv)

    from dagster_project import settings

    operator_landing = bool(os.environ.get("LANDING_DIR"))  # before the defaults are exported
    settings.export_to_environment()
    ok = True
    if args.command == "home":
        print(_ensure_dagster_home())
        return 0
    if args.command == "explain":
        return _explain(args)
    if args.command in ("run", "backfill"):
        _refuse_the_development_key_in_production()
    if args.command == "run":
        _ensure_dagster_home()
        _ensure_demo_landing(args.persons, args.seed, operator_landing)
        ok = _run_job()
    elif args.command == "retention":
        _ensure_dagster_home()
        return 0 if _retention(args.dry_run) else 1
    elif args.command == "erase":
        named = bool(args.phone or args.openid or args.unionid or args.member_id)
        if named == bool(args.request_id):
            parser.error("name at least one identifier, or give --request-id (not both)")
        _ensure_dagster_home()
        try:
            return 0 if _erase(args) else 1
        except (ValueError, FileNotFoundError) as exc:  # a bad request: its message names no identifier
            sys.exit(f"siyu erase: {exc}")
    elif args.command == "backfill":
        if args.first > args.last:
            parser.error("--from is after --to")
        _ensure_dagster_home()
        ok = _run_job((args.first, args.last), args.full_refresh)
    print()
    print(f"landing:    {settings.landing_dir()}")
    print(f"bronze:     {settings.bronze_dir()}")
    print(f"warehouse:  {settings.warehouse_db()}  (rejects: audit.rejects)")
    print(f"serving:    {settings.serving_db()}")
    if args.command in ("run", "backfill"):
        from dagster_project.serving.report import report_path

        report = report_path(settings.report_dir(), settings.as_of_date())
        print(f"report:     {report if ok and report.exists() else '(not rendered: see the messages above)'}")
        print(f"dbt docs:   {settings.docs_dir()}  (make docs serves them)")
    print(f"as of date: {settings.as_of_date().isoformat()}")
    print()
    print("\n".join(summary_lines()))
    if not ok:
        print(
            "\nthe run FAILED: see the messages above or the run in the Dagster UI (make ui)", file=sys.stderr
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

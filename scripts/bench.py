"""The nightly run at a given scale, stage by stage: ``make bench SCALE=1000000`` (not a test).

Generates (or reuses) a landing of SCALE persons, then times, each in its own child
process so its peak RSS is its own (``os.wait4``):

  full rebuild    ingest (all files -> bronze), quality (Great Expectations on the
                  loaded rows), staging, identity, marts (dbt build of each layer,
                  tests included), publish (serving.duckdb)
  incremental     the last export day withheld from the full rebuild, then dropped
                  in: the same stages on the existing warehouse

Figures go to stdout and to ``artifacts/bench_<SCALE>.json`` (stable keys:
scale, landing_megabytes, landing_files, runs.<scenario>.stages.<stage>.{seconds,
peak_rss_mb}, runs.<scenario>.total_seconds, runs.<scenario>.peak_rss_mb).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dagster_project import settings

AS_OF = "2026-11-22"
SEED = 7
DBT_LAYERS = {
    "staging": "path:seeds path:models/staging",
    "identity": "path:models/intermediate/identity",
    "marts": "path:models/intermediate/marts path:models/marts path:models/audit",
}


def _child(argv: list[str], env: dict[str, str], log: Path) -> dict:
    """Run a child process; its wall seconds and its own peak RSS (from wait4's rusage)."""
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(argv)}\n")
        out.flush()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({process.returncode}); see {log}")
    return {"seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


INGEST = """
import datetime as dt, sys
from pathlib import Path
from dagster_project import settings
from dagster_project.bronze.ingest import ingest_source
from dagster_project.privacy.erasure import deny_filter
from sources.contracts import load_contracts
written = []
for contract in load_contracts().values():
    result = ingest_source(contract, settings.landing_dir(), settings.bronze_dir(), dt.datetime.now(dt.UTC),
                           deny=deny_filter(settings.warehouse_dir()))
    assert not result.unreadable, result.unreadable
    written += [f"{contract.source}\\t{f.bronze_path}" for f in result.files if not f.skipped]
Path(sys.argv[1]).write_text("\\n".join(written), encoding="utf-8")
"""

QUALITY = """
import sys
from collections import defaultdict
from pathlib import Path
from dagster_project.quality.validation import rows_to_validate, validate_bronze
from sources.contracts import get_contract
by_source = defaultdict(list)
for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines():
    source, path = line.split("\\t")
    by_source[source].append(path)
for source, paths in by_source.items():
    validate_bronze(source, rows_to_validate(paths, get_contract(source).record_key)[0])
"""

PUBLISH = """
from dagster_project import settings
from dagster_project.serving.publish import publish_marts
publish_marts(settings.warehouse_db(), settings.serving_db())
"""


def _script(workdir: Path, stage: str, code: str) -> str:
    """The stage's code as a file to run, not `python -c`: pyspark (imported by Great
    Expectations when installed, as with the test extra) takes a __main__ without a file
    for its own doctests and exits 0 on import, silently skipping the stage."""
    path = workdir / f"bench_{stage}.py"
    path.write_text(code, encoding="utf-8")
    return str(path)


def run_stages(workdir: Path, landing: Path, log: Path) -> dict:
    env = {**os.environ, "LANDING_DIR": str(landing), "WAREHOUSE_DIR": str(workdir / "warehouse"),
           "AS_OF_DATE": AS_OF, "GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    python, dbt = sys.executable, str(Path(sys.executable).parent / "dbt")
    dbt_dir = settings.PROJECT_ROOT / "dbt"
    written = workdir / "written.tsv"
    stages = {"ingest": _child([python, _script(workdir, "ingest", INGEST), str(written)], env, log),
              "quality": _child([python, _script(workdir, "quality", QUALITY), str(written)], env, log)}
    for layer, selector in DBT_LAYERS.items():
        stages[layer] = _child([
            dbt, "build", "--select", *selector.split(), "--project-dir", str(dbt_dir), "--profiles-dir", str(dbt_dir),
            "--target-path", str(workdir / "dbt_target"), "--log-path", str(workdir / "dbt_logs"),
            "--vars", json.dumps({"as_of_date": AS_OF}), "--quiet",
        ], env, log)
    stages["publish"] = _child([python, _script(workdir, "publish", PUBLISH)], env, log)
    return {
        "stages": stages,
        "total_seconds": round(sum(s["seconds"] for s in stages.values()), 2),
        "peak_rss_mb": max(s["peak_rss_mb"] for s in stages.values()),
    }


def landing_size(landing: Path) -> tuple[float, int]:
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return round(sum(p.stat().st_size for p in files) / 1e6, 1), len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100_000, help="persons in the generated landing")
    parser.add_argument("--workdir", type=Path, default=settings.PROJECT_ROOT / "data" / "bench",
                        help="landings are kept here per scale and reused; warehouses are rebuilt")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--skip-full", action="store_true",
                        help="only the incremental night (its base warehouse is built but not reported)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    base = args.workdir / f"scale_{args.scale}"
    landing, log = base / "landing", base / "bench.log"
    base.mkdir(parents=True, exist_ok=True)
    log.write_text("", encoding="utf-8")
    env = {**os.environ}
    report: dict = {"scale": args.scale, "as_of": AS_OF, "seed": SEED, "cores": os.cpu_count()}
    if not (landing / ".complete").exists():
        print(f"generating {args.scale} persons into {landing} ...", flush=True)
        report["generate"] = _child([sys.executable, "-m", "sources.generator", "--seed", str(SEED), "--persons",
                                     str(args.scale), "--out", str(landing), "--as-of", AS_OF, "--quiet"], env, log)
        (landing / ".complete").touch()
    report["landing_megabytes"], report["landing_files"] = landing_size(landing)

    runs = {}
    last_day = sorted({p.name for p in landing.glob("*/*") if p.is_dir()})[-1]
    withheld = base / "withheld"
    scenarios = [s for s, skip in (("full", args.skip_full), ("incremental", args.skip_incremental)) if not skip]
    for scenario in scenarios:
        shutil.rmtree(base / scenario, ignore_errors=True)
        (base / scenario).mkdir()
    if not args.skip_full:
        # full rebuild: the whole landing on an empty warehouse
        print("full rebuild ...", flush=True)
        runs["full"] = run_stages(base / "full", landing, log)
    if not args.skip_incremental:
        # incremental: a warehouse built without the last export day, then that day arrives
        shutil.rmtree(withheld, ignore_errors=True)
        for day_dir in landing.glob(f"*/{last_day}"):
            target = withheld / day_dir.parent.name / last_day
            target.parent.mkdir(parents=True, exist_ok=True)
            day_dir.rename(target)
        try:
            print(f"incremental: building without {last_day} ...", flush=True)
            run_stages(base / "incremental", landing, log)
        finally:
            for day_dir in withheld.glob(f"*/{last_day}"):
                day_dir.rename(landing / day_dir.parent.name / last_day)
        print(f"incremental: {last_day} arrives ...", flush=True)
        runs["incremental"] = run_stages(base / "incremental", landing, log)
        runs["incremental"]["new_export_date"] = last_day
    report["runs"] = runs
    report["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs.values())

    suffix = "_incremental" if args.skip_full else "_full" if args.skip_incremental else ""
    out = args.out or settings.PROJECT_ROOT / "artifacts" / f"bench_{args.scale}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"scale {args.scale}: landing {report['landing_megabytes']} MB in {report['landing_files']} files")
    for scenario, run in runs.items():
        print(f"{scenario:<12} {'stage':<9} {'seconds':>8} {'peak RSS MB':>12}")
        for stage, figures in run["stages"].items():
            print(f"{'':<12} {stage:<9} {figures['seconds']:>8} {figures['peak_rss_mb']:>12}")
        print(f"{'':<12} {'total':<9} {run['total_seconds']:>8} {run['peak_rss_mb']:>12}")
    print(f"written to {out}; child output in {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

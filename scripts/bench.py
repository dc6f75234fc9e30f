"""What users wait for, at SCALE persons: ``make bench SCALE=1000000`` (a benchmark, not a test).

Times ``siyu run`` as a whole process (the Dagster job the schedule and the UI run, with
its imports, code-location load and job start): wall seconds and peak RSS of the process
tree (``os.wait4``: the largest resident set of siyu or any child it waited for, e.g. dbt),
split by step from the Dagster event log of that run (step start/end in the instance's
event storage) and by dbt model from dbt's ``run_results.json``. Three scenarios, each
repeat on a new warehouse and a new Dagster instance:

  fresh      an empty warehouse; the landing without its last export date
             (as of the day before that date)
  new_day    the same warehouse; the last export date arrives (as of that date)
  quiet      the same warehouse again; nothing new landed (same as-of date)
  erase      the same warehouse; ``siyu erase --phone`` of one buyer (the ``erase_person`` job:
             find, rewrite bronze, rebuild what the person's sources feed, republish)

The landing is generated once per scale under --workdir and reused (it does not depend
on the code). Figures (median of --repeat; peak RSS is the largest of the repeats) go to
stdout and ``artifacts/bench_<SCALE>.json``: scale, landing_megabytes, landing_files,
commit, scenarios.<name>.{wall_seconds, peak_rss_mb, run_seconds, outside_run_seconds,
steps.<step key>, top_models.<model>, repeats[...]}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dagster_project import settings

AS_OF = "2026-11-22"
SEED = 7
SCENARIOS = ("fresh", "new_day", "quiet", "erase")
TOP_MODELS = 8


# -- pure helpers (tests/test_bench.py) ------------------------------------------------------


def step_durations(step_stats) -> dict[str, float]:
    """Seconds per step key from Dagster's step stats (objects with step_key, start_time, end_time)."""
    out = {}
    for stat in step_stats:
        if stat.start_time is not None and stat.end_time is not None:
            out[stat.step_key] = round(stat.end_time - stat.start_time, 2)
    return out


def model_timings(run_results: dict, top: int = TOP_MODELS) -> dict[str, float]:
    """The slowest dbt nodes of a run_results.json (models, seeds, tests), name -> seconds, slowest first.
    Data and unit tests are summed into one ``tests (N)`` entry: one by one they are noise."""
    models, tests = {}, []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        seconds = float(result.get("execution_time") or 0.0)
        if unique_id.startswith(("test.", "unit_test.")):
            tests.append(seconds)
        else:
            models[unique_id.split(".")[-1]] = round(seconds, 2)
    slowest = dict(sorted(models.items(), key=lambda item: -item[1])[:top])
    if tests:
        slowest[f"tests ({len(tests)})"] = round(sum(tests), 2)
    slowest["nodes run"] = len(run_results.get("results", []))
    return slowest


def median_of(repeats: list[dict]) -> dict:
    """One scenario's repeats -> medians (wall, run, steps, models) and the largest peak RSS."""

    def med(values):
        values = [v for v in values if v is not None]
        return round(statistics.median(values), 2) if values else None

    def med_map(key):
        names = list(dict.fromkeys(name for r in repeats for name in r.get(key, {})))
        return {name: med([r.get(key, {}).get(name) for r in repeats]) for name in names}

    return {
        "repeats_run": len(repeats),
        "wall_seconds": med([r["wall_seconds"] for r in repeats]),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in repeats),
        "run_seconds": med([r.get("run_seconds") for r in repeats]),
        "outside_run_seconds": med([r.get("outside_run_seconds") for r in repeats]),
        "steps": med_map("steps"),
        "top_models": med_map("top_models"),
        "repeats": repeats,
    }


def table(scenarios: dict[str, dict], steps_shown: int = 6) -> str:
    """The readable summary printed at the end."""
    lines = [
        f"{'scenario':<9} {'wall s':>8} {'peak RSS MB':>12} {'in run s':>9} {'outside s':>10}  slowest steps / dbt nodes"
    ]
    for name, figures in scenarios.items():
        steps = sorted(figures["steps"].items(), key=lambda item: -(item[1] or 0))[:steps_shown]
        models = [f"{k} {v}" for k, v in figures["top_models"].items() if k != "nodes run"][:4]
        lines.append(
            f"{name:<9} {figures['wall_seconds']:>8} {figures['peak_rss_mb']:>12} "
            f"{figures['run_seconds'] or '-':>9} {figures['outside_run_seconds'] or '-':>10}  "
            + ", ".join(f"{k} {v}" for k, v in steps)
        )
        if models:
            lines.append(
                f"{'':<52}dbt: "
                + ", ".join(models)
                + f" ({figures['top_models'].get('nodes run', 0)} nodes run)"
            )
    return "\n".join(lines)


# -- measuring ----------------------------------------------------------------------------


def run_measured(argv: list[str], env: dict[str, str], log: Path) -> dict:
    """Wall seconds and peak RSS of a process tree (wait4: the child's rusage includes the
    children it waited for; ru_maxrss is the largest of them, in KiB on Linux)."""
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        # the erasure's phone stays out of the log (a generated one, but a phone all the same)
        shown = [
            "<phone>" if flag == "--phone" else arg for flag, arg in zip(["", *argv[:-1]], argv, strict=True)
        ]
        out.write(f"\n$ {' '.join(shown)}\n")
        out.flush()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed ({code}); see {log}")
    return {
        "wall_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


def run_figures(dagster_home: Path, since: float, job: str = "nightly_warehouse") -> dict:
    """The last run of ``job`` on this instance: its own duration, and seconds per step."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        records = instance.get_run_records(dg.RunsFilter(job_name=job), limit=1)
        if not records:
            return {}
        run = records[0].dagster_run
        stats = instance.get_run_stats(run.run_id)
        figures = {"run_id": run.run_id, "steps": step_durations(instance.get_run_step_stats(run.run_id))}
        if stats.start_time and stats.end_time and stats.start_time >= since:
            figures["run_seconds"] = round(stats.end_time - stats.start_time, 2)
        return figures


def latest_run_results(warehouse_dir: Path, since: float) -> dict | None:
    """The run_results.json of the run's `dbt build` (kept in $WAREHOUSE_DIR/state by the dbt
    step; None when the run built no model)."""
    path = warehouse_dir / "state" / "dbt_run_results.json"
    if path.exists() and path.stat().st_mtime >= since:
        return json.loads(path.read_text(encoding="utf-8"))
    return None


def one_run(siyu: str, env: dict[str, str], log: Path, command: tuple[str, ...] = ("run",)) -> dict:
    """One measured ``siyu <command>`` (``run``: the nightly job; ``erase ...``: erase_person)."""
    since = time.time()
    load_before = os.getloadavg()[0]
    figures = run_measured([siyu, *command], env, log)
    # a shared machine: the load the figures were taken under (2 cores here)
    figures["load_average"] = round(max(load_before, os.getloadavg()[0]), 1)
    job = "erase_person" if command[0] == "erase" else "nightly_warehouse"
    figures.update(run_figures(Path(env["DAGSTER_HOME"]), since, job))
    if "run_seconds" in figures:
        figures["outside_run_seconds"] = round(figures["wall_seconds"] - figures["run_seconds"], 2)
    results = latest_run_results(Path(env["WAREHOUSE_DIR"]), since)
    figures["top_models"] = model_timings(results) if results else {"nodes run": 0}
    return figures


# -- the scenarios ------------------------------------------------------------------------


def landing_size(landing: Path) -> tuple[float, int]:
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return round(sum(p.stat().st_size for p in files) / 1e6, 1), len(files)


def export_dates(landing: Path) -> list[str]:
    return sorted({p.name for p in landing.glob("*/*") if p.is_dir()})


def buyer_phone(ground_truth: Path) -> str:
    """The phone of the generator's first person who has both a phone and an order (the typical
    erasure request: a customer who bought), from the landing's ground truth."""
    import polars as pl

    identifiers = pl.read_parquet(ground_truth / "identifiers.parquet")
    buyers = identifiers.filter(pl.col("identifier_type") == "order").select("person_id").unique()
    phones = identifiers.filter(pl.col("identifier_type") == "phone", pl.col("discoverable"))
    return phones.join(buyers, on="person_id").sort("person_id")["identifier_value"][0]


def hold_back(landing: Path, withheld: Path, day: str) -> None:
    for day_dir in landing.glob(f"*/{day}"):
        target = withheld / day_dir.parent.name / day
        target.parent.mkdir(parents=True, exist_ok=True)
        day_dir.rename(target)


def give_back(landing: Path, withheld: Path, day: str = "*") -> None:
    """Every withheld folder (of that day) back into the landing."""
    for day_dir in withheld.glob(f"*/{day}"):
        day_dir.rename(landing / day_dir.parent.name / day_dir.name)


def write(report: dict, repeats: dict[str, list[dict]], out: Path) -> None:
    """The JSON after every run: an interrupted bench keeps the runs it finished."""
    report["scenarios"] = {name: median_of(runs) for name, runs in repeats.items() if runs}
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20_000, help="persons in the generated landing")
    parser.add_argument("--repeat", type=int, default=3, help="repeats per scenario (the median is reported)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=settings.PROJECT_ROOT / "data" / "bench",
        help="landings are kept here per scale and reused; warehouses are rebuilt",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    base = args.workdir / f"scale_{args.scale}"
    landing, withheld, log = base / "landing", base / "withheld", base / "bench.log"
    base.mkdir(parents=True, exist_ok=True)
    log.write_text("", encoding="utf-8")
    siyu = str(Path(sys.executable).parent / "siyu")
    if not (landing / ".complete").exists():
        print(f"generating {args.scale} persons into {landing} ...", flush=True)
        run_measured(
            [
                sys.executable,
                "-m",
                "sources.generator",
                "--seed",
                str(SEED),
                "--persons",
                str(args.scale),
                "--out",
                str(landing),
                "--as-of",
                AS_OF,
                "--quiet",
            ],
            dict(os.environ),
            log,
        )
        (landing / ".complete").touch()
    give_back(landing, withheld)  # an interrupted earlier bench
    megabytes, files = landing_size(landing)
    last_day = export_dates(landing)[-1]
    day_before = (dt.date.fromisoformat(last_day) - dt.timedelta(days=1)).isoformat()
    report: dict = {
        "scale": args.scale,
        "seed": SEED,
        "cores": os.cpu_count(),
        "commit": git_commit(),
        "landing_megabytes": megabytes,
        "landing_files": files,
        "new_export_date": last_day,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    repeats: dict[str, list[dict]] = {s: [] for s in SCENARIOS}
    out = args.out or settings.PROJECT_ROOT / "artifacts" / f"bench_{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    for repeat in range(args.repeat):
        work = base / "run"
        shutil.rmtree(work, ignore_errors=True)
        env = {
            **os.environ,
            "LANDING_DIR": str(landing),
            "WAREHOUSE_DIR": str(work / "warehouse"),
            "DAGSTER_HOME": str(work / "dagster_home"),
            "GX_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
        hold_back(landing, withheld, last_day)
        try:
            print(f"[{repeat + 1}/{args.repeat}] fresh (without {last_day}) ...", flush=True)
            repeats["fresh"].append(one_run(siyu, {**env, "AS_OF_DATE": day_before}, log))
        finally:
            give_back(landing, withheld, last_day)
        write(report, repeats, out)
        print(f"[{repeat + 1}/{args.repeat}] new_day ({last_day} arrives) ...", flush=True)
        repeats["new_day"].append(one_run(siyu, {**env, "AS_OF_DATE": last_day}, log))
        write(report, repeats, out)
        print(f"[{repeat + 1}/{args.repeat}] quiet (nothing new) ...", flush=True)
        repeats["quiet"].append(one_run(siyu, {**env, "AS_OF_DATE": last_day}, log))
        write(report, repeats, out)
        print(f"[{repeat + 1}/{args.repeat}] erase (one buyer) ...", flush=True)
        erase = ("erase", "--phone", buyer_phone(base / "ground_truth"), "--as-of", last_day)
        repeats["erase"].append(one_run(siyu, {**env, "AS_OF_DATE": last_day}, log, erase))
        write(report, repeats, out)
        for name in SCENARIOS:
            print(
                f"    {name}: {repeats[name][-1]['wall_seconds']} s, {repeats[name][-1]['peak_rss_mb']} MB",
                flush=True,
            )
    print(
        f"\nscale {args.scale}: landing {megabytes} MB in {files} files; median of {args.repeat}; "
        f"commit {report['commit'][:10]}"
    )
    print(table(report["scenarios"]))
    print(f"written to {out}; siyu output in {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ingestion throughput per export format: ``make bench-ingest`` (not a test).

Ingests every landing file into a scratch bronze folder ``--repeat`` times and
reports, per format (CSV in GB18030, CSV in UTF-8, XLSX, JSON Lines), the
median rows/s and MB/s of raw export, plus the process's peak RSS. Figures go
to stdout and to ``artifacts/bench_ingest.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from dagster_project import settings
from dagster_project.bronze.ingest import ingest_file, landing_files
from sources.contracts import load_contracts


def _format_of(path: Path, encoding: str) -> str:
    if path.suffix.lower() == ".xlsx":
        return "xlsx"
    if path.suffix.lower() in {".jsonl", ".json", ".ndjson"}:
        return "jsonl"
    return "csv-gb18030" if encoding == "gb18030" else "csv-utf8"


def measure(landing: Path, repeat: int) -> dict:
    runs: dict[str, list[float]] = defaultdict(list)
    rows: dict[str, int] = defaultdict(int)
    size: dict[str, int] = defaultdict(int)
    for attempt in range(repeat):
        seconds: dict[str, float] = defaultdict(float)
        scratch = Path(tempfile.mkdtemp(prefix="bench-bronze-"))
        try:
            for contract in load_contracts().values():
                for path, export_date in landing_files(landing, contract)[0]:
                    start = time.perf_counter()
                    result = ingest_file(
                        path, export_date, landing, scratch, contract, dt.datetime.now(dt.UTC)
                    )
                    fmt = _format_of(path, result.encoding)
                    seconds[fmt] += time.perf_counter() - start
                    if attempt == 0:
                        rows[fmt] += result.rows + result.rejects
                        size[fmt] += path.stat().st_size
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for fmt, secs in seconds.items():
            runs[fmt].append(secs)
    report = {}
    for fmt, secs in sorted(runs.items()):
        median = statistics.median(secs)
        report[fmt] = {
            "rows": rows[fmt],
            "megabytes": round(size[fmt] / 1e6, 2),
            "median_seconds": round(median, 3),
            "rows_per_second": round(rows[fmt] / median),
            "megabytes_per_second": round(size[fmt] / 1e6 / median, 1),
            "runs_seconds": [round(s, 3) for s in secs],
        }
    total_secs = statistics.median([sum(r[i] for r in runs.values()) for i in range(repeat)])
    report["all"] = {
        "rows": sum(rows.values()),
        "megabytes": round(sum(size.values()) / 1e6, 2),
        "median_seconds": round(total_secs, 3),
        "rows_per_second": round(sum(rows.values()) / total_secs),
        "megabytes_per_second": round(sum(size.values()) / 1e6 / total_secs, 1),
    }
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, default=settings.landing_dir())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=settings.PROJECT_ROOT / "artifacts" / "bench_ingest.json")
    args = parser.parse_args(argv)
    report = measure(args.landing, args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"landing": str(args.landing), **report}, indent=2), encoding="utf-8")
    print(f"{'format':<12} {'rows':>10} {'MB':>8} {'median s':>9} {'rows/s':>10} {'MB/s':>7}")
    for fmt, r in report.items():
        if isinstance(r, dict):
            print(
                f"{fmt:<12} {r['rows']:>10} {r['megabytes']:>8} {r['median_seconds']:>9} "
                f"{r['rows_per_second']:>10} {r['megabytes_per_second']:>7}"
            )
    print(f"peak RSS {report['peak_rss_mb']} MB; written to {args.out}")


if __name__ == "__main__":
    main()

"""How long the code location takes to load: a fresh Python process imports the
definitions and resolves every job, asset and check (what a Dagster code server does
on start and on "Reload definitions"). Median of --repeat runs, wall time and peak RSS.

    python -m scripts.bench_load [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

PROBE = """
import json, resource, time
started = time.perf_counter()
from dagster_project.definitions import defs
repository = defs.get_repository_def()
repository.get_all_jobs()
assets = len(defs.resolve_asset_graph().get_all_asset_keys())
print(json.dumps({"seconds_in_process": time.perf_counter() - started, "assets": assets,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure_once() -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    figures["seconds_wall"] = time.perf_counter() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    runs = [measure_once() for _ in range(args.repeat)]
    wall = statistics.median(r["seconds_wall"] for r in runs)
    inside = statistics.median(r["seconds_in_process"] for r in runs)
    rss = statistics.median(r["peak_rss_mb"] for r in runs)
    print(
        f"code location load, median of {args.repeat}: {wall:.2f} s wall per process "
        f"({inside:.2f} s importing and resolving definitions), {runs[0]['assets']} assets, "
        f"peak RSS {rss:.0f} MB; runs: " + ", ".join(f"{r['seconds_wall']:.2f}" for r in runs)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

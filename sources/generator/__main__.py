"""CLI: python -m sources.generator --seed 7 --persons 20000 --out data/landing --as-of 2026-11-22"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from . import TRUTH_TABLES, Config, generate
from .writers import STEMS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sources.generator", description=__doc__)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument(
        "--out", type=Path, required=True, help="landing root: <out>/<source>/<export date>/<file>"
    )
    ap.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="last export date (default: yesterday in Beijing)",
    )
    ap.add_argument(
        "--truth", type=Path, default=None, help="ground-truth folder (default: <out>/../ground_truth)"
    )
    ap.add_argument("--clean", action="store_true", help="no bad rows and no identity traps")
    ap.add_argument("--part-rows", type=int, default=250_000, help="max data rows per CSV/JSONL part file")
    ap.add_argument("--xlsx-rows", type=int, default=50_000, help="max data rows per XLSX part file")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    as_of = a.as_of or (dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() - dt.timedelta(days=1))
    cfg = Config(a.seed, a.persons, a.out, as_of, a.truth, a.clean, a.part_rows, a.xlsx_rows)
    # Stale files from an earlier run would mix into the tree: remove what a run writes
    # (and only that, in case --out points at a folder holding other things too).
    for source in STEMS:
        shutil.rmtree(cfg.out / source, ignore_errors=True)
    for table in TRUTH_TABLES:
        (cfg.truth_dir / f"{table}.parquet").unlink(missing_ok=True)
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if not a.quiet:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(f"[{time.perf_counter() - t0:7.1f}s, peak {rss} MB] {msg}", file=sys.stderr)

    generate(cfg, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())

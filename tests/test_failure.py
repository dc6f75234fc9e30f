"""A nightly run killed during ingestion, dbt or publication leaves yesterday's serving file
byte for byte as it was, and the next run converges to what an uninterrupted run builds,
without duplicated rows.

The real commands run in subprocesses (`siyu run`) on a small landing (the clean landing's
last four export days, every source and format), each in its own process group. A first
night publishes serving.duckdb from the first three days; then the fourth day lands (new
orders: the next publication must change the file). The test watches for a stage of the
next night to begin and SIGKILLs the whole group (dbt's process too), as an out-of-memory
kill or a reboot would:

1. during ingestion: as soon as the first new bronze Parquet appears;
2. during dbt: while `dbt build` is building the identity graph (int_identity__persons has
   snapshotted the previous run's person ids and is being rebuilt, with staging and
   audit tables already written);
3. during publication: as soon as the temporary serving file appears;
4. an uninterrupted run: serving.duckdb changes, equals the same two nights built without
   interruption (person id merges included), and no temporary file is left.

After each kill the serving file must have the first night's SHA-256, no WAL next to it (DuckDB
would replay it into every reader) and the first night's marts for a reader. Each check fails
when its guarantee is broken (tried by hand, one change at a time): publishing in place
(`duckdb.connect(serving_db)` instead of the temporary file) fails 3 (a WAL is left, the bytes
may still be the old ones); a dbt step or a bronze asset that republishes before its work is
done fails 2 or 1 (the file changes although the run died).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import AS_OF
from tests.warehouse import marts_differences

EXPORT_DAYS = 4
BIN = Path(sys.executable).parent


def _small_landing(landing: Path, target: Path) -> Path:
    for source in sorted(p for p in landing.iterdir() if p.is_dir()):
        for day in sorted(source.iterdir())[-EXPORT_DAYS:]:
            shutil.copytree(day, target / source.name / day.name)
    return target


def _dbt_build_running(group: int) -> bool:
    """A `dbt build` process in the run's process group (dagster-dbt starts it)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != group:
                continue
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ProcessLookupError):
            continue
        if any(a.endswith(b"dbt") for a in argv) and b"build" in argv:
            return True
    return False


class Runner:
    def __init__(self, landing: Path, warehouse: Path, home: Path):
        self.warehouse = warehouse
        self.env = {
            **os.environ,
            "LANDING_DIR": str(landing),
            "WAREHOUSE_DIR": str(warehouse),
            "DAGSTER_HOME": str(home),
            "AS_OF_DATE": AS_OF,
            "SIYU_RETRY_WAIT_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.logs = warehouse.parent / "logs"
        self.logs.mkdir(exist_ok=True)

    def start(self, name: str, *command: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        return subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def nightly(self, name: str) -> subprocess.Popen:
        return self.start(name, str(BIN / "siyu"), "run")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def kill_when(self, proc: subprocess.Popen, moment, poll: float = 0.05, timeout: float = 600) -> None:
        """SIGKILL the run's whole process group as soon as moment() holds; fail if the run ended first."""
        deadline = time.time() + timeout
        while not moment():
            assert proc.poll() is None, f"the run ended (rc {proc.returncode}) before the moment to kill it"
            assert time.time() < deadline, "timed out waiting for the moment to kill the run"
            time.sleep(poll)
        os.killpg(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL

    def complete(self, proc: subprocess.Popen, name: str) -> None:
        assert proc.wait(timeout=900) == 0, self.log(name)[-3000:]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _seen_by_readers(serving: Path, first_night: Path) -> dict:
    """The file's bytes, whether a WAL lies next to it (DuckDB would replay it into every reader),
    and the marts a reader gets, against the first night's copy."""
    wal = Path(f"{serving}.wal")
    try:
        differences = (
            {
                t: d
                for t, d in marts_differences(serving, first_night).items()  # rows, not emptiness
                if d[0] or d[1] or d[2][0] != d[2][1]
            }
            if not wal.exists()
            else {"wal": "not opened"}
        )
    except (duckdb.Error, AssertionError) as exc:
        differences = {"unreadable": str(exc)}
    return {"sha256": _sha256(serving), "wal": wal.exists(), "differences": differences}


def _unchanged(first_night: str) -> dict:
    return {"sha256": first_night, "wal": False, "differences": {}}


def _bronze_parquet(warehouse: Path) -> list[Path]:
    return [p for p in (warehouse / "bronze").rglob("*.parquet") if "_schema" not in p.parts]


@pytest.fixture(scope="module")
def killed_runs(clean_landing, tmp_path_factory):
    root = tmp_path_factory.mktemp("failure")
    landing = _small_landing(clean_landing[0], root / "landing")
    fourth_day = root / "fourth_day"
    for source in sorted(p for p in landing.iterdir() if p.is_dir()):  # held back for the second night
        last = sorted(source.iterdir())[-1]
        (fourth_day / source.name).mkdir(parents=True)
        shutil.move(last, fourth_day / source.name / last.name)
    warehouse = root / "warehouse"
    runner = Runner(landing, warehouse, root / "dagster_home")
    serving = warehouse / "serving.duckdb"
    seen = {}

    runner.complete(runner.nightly("0_first_night"), "0_first_night")
    first_night = _sha256(serving)
    first_copy = root / "first_night.duckdb"
    shutil.copy(serving, first_copy)
    first_parquet = set(_bronze_parquet(warehouse))
    shutil.copytree(landing, root / "first_landing")
    shutil.copytree(fourth_day, landing, dirs_exist_ok=True)

    run = runner.nightly("1_killed_in_ingestion")
    runner.kill_when(run, lambda: bool(set(_bronze_parquet(warehouse)) - first_parquet))
    seen["after_ingestion_kill"] = (_seen_by_readers(serving, first_copy), _bronze_parquet(warehouse))

    run = runner.nightly("2_killed_in_dbt")
    runner.kill_when(
        run,
        lambda: (
            "START sql table model intermediate.int_identity__persons ." in runner.log("2_killed_in_dbt")
            and _dbt_build_running(run.pid)
        ),
    )
    seen["after_dbt_kill"] = _seen_by_readers(serving, first_copy)

    run = runner.nightly("3_killed_in_publication")
    stamp = serving.stat().st_mtime_ns

    def publishing() -> list[
        Path
    ]:  # a temporary serving file, or (published in place) its WAL or a new mtime
        written = [p for p in warehouse.glob("serving.duckdb*") if p != serving]
        return written or ([serving] if serving.stat().st_mtime_ns != stamp else [])

    runner.kill_when(run, lambda: bool(publishing()), poll=0.002)  # publication takes about a second
    seen["after_publication_kill"] = (_seen_by_readers(serving, first_copy), publishing())

    runner.complete(runner.nightly("4_uninterrupted"), "4_uninterrupted")
    seen["after_success"] = _sha256(serving)

    reference = root / "reference"  # the same two nights, uninterrupted
    from dagster_project.bronze.ingest import ingest_source
    from dagster_project.serving.publish import publish_marts
    from sources.contracts import load_contracts
    from tests.warehouse import LOADED_AT, dbt

    for night, loaded_at in (
        (root / "first_landing", LOADED_AT),
        (landing, LOADED_AT + dt.timedelta(days=1)),
    ):
        for (
            contract
        ) in load_contracts().values():  # a later load time: the incremental staging sees the new files
            assert not ingest_source(contract, night, reference / "bronze", loaded_at).unreadable
        dbt(reference, "build", dbt_vars={"as_of_date": AS_OF})
    publish_marts(reference / "warehouse.duckdb", reference / "serving.duckdb")
    return warehouse, reference, seen, first_night, root / "first_night.duckdb"


def test_a_kill_during_ingestion_leaves_the_serving_file_and_only_whole_parquet(killed_runs):
    _, _, seen, first_night, _ = killed_runs
    serving, parquet = seen["after_ingestion_kill"]
    assert serving == _unchanged(first_night)
    assert parquet
    for path in parquet:  # every file a reader (dbt's glob) can see is a complete Parquet
        pl.read_parquet(path)


def test_a_kill_during_dbt_leaves_the_serving_file_byte_identical(killed_runs):
    _, _, seen, first_night, _ = killed_runs
    assert seen["after_dbt_kill"] == _unchanged(first_night)


def test_a_kill_during_publication_leaves_the_serving_file_byte_identical(killed_runs):
    _, _, seen, first_night, _ = killed_runs
    serving, temporaries = seen["after_publication_kill"]
    assert temporaries, "the kill came before the publication began writing"
    assert serving == _unchanged(first_night)


def test_the_next_run_publishes_the_new_night(killed_runs):
    """The killed runs had something to publish: the night after them changes the file and its marts."""
    warehouse, _, seen, first_night, first_night_copy = killed_runs
    assert seen["after_success"] != first_night
    assert marts_differences(first_night_copy, warehouse / "serving.duckdb")


def test_no_temporary_file_survives_the_next_run(killed_runs):
    warehouse, *_ = killed_runs
    assert not list(warehouse.glob("serving.duckdb.*.tmp*"))
    assert not list((warehouse / "bronze").rglob("*.tmp"))


def _source_rows(bronze: Path, source: str) -> pl.DataFrame:
    # _loaded_at says when a run loaded the file: everything else must be identical
    return pl.read_parquet(str(bronze / source / "export_date=*" / "*.parquet")).drop("_loaded_at")


def test_bronze_equals_an_uninterrupted_run_without_duplicated_rows(killed_runs):
    warehouse, reference, *_ = killed_runs
    from sources.contracts import load_contracts

    for source in load_contracts():
        recovered, clean = (
            _source_rows(warehouse / "bronze", source),
            _source_rows(reference / "bronze", source),
        )
        assert recovered.height == clean.height > 0, source
        assert recovered.select("_source_file", "_row_number").is_unique().all(), source
        key = ["_source_file", "_row_number"]
        assert recovered.sort(key).equals(clean.sort(key)), source


@pytest.mark.parametrize("database", ["warehouse.duckdb", "serving.duckdb"])
def test_every_mart_equals_an_uninterrupted_run_row_for_row(killed_runs, database):
    warehouse, reference, *_ = killed_runs
    # person_id_merges included: the killed runs retired no id the two uninterrupted nights keep
    differences = marts_differences(warehouse / database, reference / database)
    assert not differences, differences

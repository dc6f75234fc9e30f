"""One writer of bronze and the warehouse at a time, whoever starts the run.

The instance's run queue (deploy/dagster.yaml, tag ``siyu/warehouse=writer``) only orders the
runs it launches itself (schedule, sensor, backfill, UI); ``siyu run/backfill/erase/retention``
execute in their own process and never pass through it, and DuckDB's lock protects only
``warehouse.duckdb``, not the bronze files an erasure or a retention run rewrites or deletes.
So every writing job runs on :data:`writer_executor`: the in-process executor, which first
takes an exclusive OS lock (``flock``) on ``$WAREHOUSE_DIR/.writer.lock`` and holds it until the
last step has finished. A second writer logs who holds the lock and waits; after
``SIYU_WRITER_LOCK_TIMEOUT_SECONDS`` (default 6 hours) it gives up and fails without having
touched anything. The OS releases the lock when the holding process ends, even when it is
killed, so there is never a stale lock to clean up.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

LOCK_FILE = ".writer.lock"
TIMEOUT_ENV = "SIYU_WRITER_LOCK_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 6 * 3600
_POLL_SECONDS = 1.0
_REMIND_SECONDS = 300


class WriterLockTimeout(RuntimeError):
    pass


def lock_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / LOCK_FILE


def timeout_seconds() -> float:
    return float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_SECONDS)


def holder(warehouse_dir: Path) -> dict:
    """Who holds (or last held) the lock: run id, job, pid, since (no personal data)."""
    try:
        return json.loads(lock_path(warehouse_dir).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _describe(info: dict) -> str:
    if not info:
        return "another process"
    return (
        f"run {info.get('run_id', '?')} of job {info.get('job', '?')} (pid {info.get('pid', '?')}, "
        f"since {info.get('since', '?')})"
    )


@contextmanager
def warehouse_writer(
    warehouse_dir: Path, who: dict, log: Callable[[str], None] = print, timeout: float | None = None
) -> Iterator[None]:
    """Hold the exclusive writer lock of ``warehouse_dir`` for the duration of the block."""
    timeout = timeout_seconds() if timeout is None else timeout
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(warehouse_dir), os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by dbt
    try:
        started = time.monotonic()
        reminded = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= timeout:
                    raise WriterLockTimeout(
                        f"refused: the warehouse {warehouse_dir} is still being written by "
                        f"{_describe(holder(warehouse_dir))} after {waited:.0f} s ({TIMEOUT_ENV}); nothing was "
                        "changed, start this run again later"
                    ) from None
                if reminded is None or time.monotonic() - reminded >= _REMIND_SECONDS:
                    log(
                        f"waiting for the warehouse writer lock ({lock_path(warehouse_dir)}): held by "
                        f"{_describe(holder(warehouse_dir))}; this run starts when it finishes "
                        f"(gives up after {timeout:.0f} s)"
                    )
                    reminded = time.monotonic()
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps(
                {**who, "pid": os.getpid(), "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
            ).encode(),
            0,
        )
        if reminded is not None:
            log(f"writer lock taken after {time.monotonic() - started:.0f} s of waiting")
        yield
    finally:
        os.close(fd)  # releases the lock


class _WriterExecutor(dg.Executor):
    """The in-process executor, holding the writer lock around all steps of the run."""

    def __init__(self, inner: dg.Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan):
        from dagster_project import settings

        run = plan_context.dagster_run
        who = {"run_id": run.run_id, "job": run.job_name}
        with warehouse_writer(settings.warehouse_dir(), who, log=plan_context.log.warning):
            yield from self._inner.execute(plan_context, execution_plan)


@dg.executor(name="in_process_warehouse_writer", config_schema=dg.in_process_executor.config_schema)
def writer_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """In-process execution of a warehouse-writing run under the one writer lock."""
    return _WriterExecutor(dg.in_process_executor.executor_creation_fn(init_context))

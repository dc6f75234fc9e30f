"""Transient failures become step retries; bad data never does.

A locked warehouse file (a BI tool or a notebook left a write connection open),
a network disk hiccup or a timeout goes away by itself: the step is retried
after a pause. Anything else (an unreadable export, a failed test) fails at
once, because retrying cannot fix it.
"""

import errno
import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.ETIMEDOUT, errno.ESTALE, errno.EIO, errno.ECONNRESET}
MAX_RETRIES = 3


def retry_wait_seconds() -> float:
    return float(os.environ.get("SIYU_RETRY_WAIT_SECONDS", "60"))


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, duckdb.IOException):
        return "lock" in str(exc).lower()  # "Could not set lock on file ...": another process holds it
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


@contextmanager
def retry_transient():
    try:
        yield
    except dg.RetryRequested:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=retry_wait_seconds()) from exc
        raise


def ensure_writable(database: Path) -> None:
    """Fail fast (and transiently) when another process holds the DuckDB file's write lock."""
    if database.exists():
        duckdb.connect(str(database)).close()

"""The instance's event log: Dagster's SQLite storage, with its connections kept open and a
partition range's events written in one transaction.

A run over a range of export dates records one materialisation per bronze asset and partition
(a fresh warehouse over 16 months: 12 x 539). Dagster hands those to the storage as a batch
when DAGSTER_EVENT_BATCH_SIZE is set (dagster_project.settings.export_to_environment), but its
SQLite storage stores a batch event by event: a new engine, connection and commit for the
run's file and again for the index, ~8 ms each, ~55 s of a fresh build. Here a batch of asset
events of one run is one insert into the run's file and one transaction on the index, with the
same rows Dagster's ``store_event`` writes (event, asset event tags, the asset key's latest
record). Anything else falls back to Dagster's own path. Postgres (``storage: postgres`` in
dagster.yaml) batches natively and needs none of this.

Every other event (a dbt build yields one per model and test, ~330 a night) is still one
write, and Dagster opens a new SQLite engine for each and closes it after, which also
checkpoints the WAL: ~25 ms an event. Here the engines of the index and of the last few run
files stay open (one connection each, used under the storage's own lock, as before), which
leaves ~10 ms of Dagster's own work. They are dropped on ``wipe`` and ``dispose`` and are not
shared with a forked child.

deploy/dagster.yaml names this class as the instance's ``event_log_storage``.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from dagster import EventLogEntry
from dagster._config import Field, StringSource
from dagster._core.events import ASSET_EVENTS
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import StaticPool

# run files whose engine stays open besides the index: a run writes its own; the UI reads a few
OPEN_RUN_FILES = 4


def default_base_dir() -> str:
    """Where Dagster's default SQLite storage keeps run event logs: $DAGSTER_HOME/history/runs."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise ValueError("BatchedSqliteEventLogStorage without base_dir needs DAGSTER_HOME set")
    return os.path.join(home, "history", "runs", "")


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value
    ) -> BatchedSqliteEventLogStorage:
        return cls(base_dir=config_value.get("base_dir") or default_base_dir(), inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:  # Dagster's own lock: one user of a shard's connection at a time
            with self._engine(shard).connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engines = self._open_engines()
        engine = engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,  # one connection, kept
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            engines[shard] = engine
            runs = [name for name in engines if name != INDEX_SHARD_NAME]
            for name in runs[:-OPEN_RUN_FILES]:
                engines.pop(name).dispose()
        engines.move_to_end(shard)
        return engine

    def _open_engines(self) -> OrderedDict[str, Engine]:
        owner = getattr(self, "_engines_pid", None)
        if owner != os.getpid():  # a forked child must not use its parent's connections
            self._engines: OrderedDict[str, Engine] = OrderedDict()
            self._engines_pid = os.getpid()
        return self._engines

    def _close_engines(self) -> None:
        if getattr(self, "_engines_pid", None) == os.getpid():
            with self._db_lock:
                for engine in self._engines.values():
                    engine.dispose()
                self._engines.clear()

    def wipe(self) -> None:
        self._close_engines()  # before Dagster unlinks the run files
        super().wipe()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        run_ids = {event.run_id for event in events}
        only_asset_events = all(
            event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS for event in events
        )
        if len(run_ids) != 1 or not only_asset_events:
            super().store_event_batch(events)
            return
        with self.run_connection(run_ids.pop()) as conn:
            conn.execute(self.prepare_insert_event_batch(events))
        with self.index_transaction() as conn:
            # one insert per event: each needs its own storage id for its tags and asset record
            event_ids = [
                conn.execute(self.prepare_insert_event(event)).inserted_primary_key[0] for event in events
            ]
            self._store_asset_event_tags(conn, events, event_ids)
            for event, event_id in zip(events, event_ids, strict=True):
                self._store_asset_event(conn, event, event_id)

"""The instance's event log: Dagster's SQLite storage, with a partition range's events written
in one transaction.

A run over a range of export dates records one materialisation per bronze asset and partition
(a fresh warehouse over 16 months: 12 x 539). Dagster hands those to the storage as a batch
when DAGSTER_EVENT_BATCH_SIZE is set (dagster_project.settings.export_to_environment), but its
SQLite storage stores a batch event by event: a new engine, connection and commit for the
run's file and again for the index, ~8 ms each, ~55 s of a fresh build. Here a batch of asset
events of one run is one insert into the run's file and one transaction on the index, with the
same rows Dagster's ``store_event`` writes (event, asset event tags, the asset key's latest
record). Anything else falls back to Dagster's own path. Postgres (``storage: postgres`` in
dagster.yaml) batches natively and needs none of this.

deploy/dagster.yaml names this class as the instance's ``event_log_storage``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from dagster import EventLogEntry
from dagster._config import Field, StringSource
from dagster._core.events import ASSET_EVENTS
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._serdes import ConfigurableClassData


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

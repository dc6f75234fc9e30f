"""The code location's default executor: ad-hoc materialisations (the UI, `dagster asset
materialize`) write the warehouse too, so they take the writer lock like the jobs do."""

import dagster as dg


@dg.definitions
def default_executor() -> dg.Definitions:
    from dagster_project.defs.common.writer_lock import writer_executor

    return dg.Definitions(executor=writer_executor)

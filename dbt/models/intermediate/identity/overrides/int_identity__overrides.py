"""The analysts' identity overrides file, validated (dagster_project/identity/overrides.py).

Read on every build: a file with an unknown identifier type, a missing reason or author,
or a phone that is no phone fails this model, naming file, line and column.
"""

from dagster_project.dbt_runtime.frames import from_polars
from dagster_project.dbt_runtime.models import read_overrides


def model(dbt, session):
    dbt.config(materialized="table")
    return from_polars(read_overrides(), session)

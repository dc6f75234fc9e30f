"""The code location: every Dagster object of ``dagster_project/defs/`` (one folder per domain:
ingestion -> dbt -> identity checks -> serving; automation; privacy), found by dg's folder
loader. A new asset, check, job or schedule is a new module-level object in its domain's
folder; objects that need building (resources) come from a ``@dg.definitions`` function there.
"""

from __future__ import annotations

import dagster as dg

from dagster_project import settings

settings.export_to_environment()

defs = dg.load_from_defs_folder(path_within_project=settings.PROJECT_ROOT)

"""The code location: every domain folder of ``defs/`` ends in a ``@dg.definitions`` function
(ingestion -> dbt -> identity checks -> serving; automation; privacy), loaded here.

A new asset is a new module in its domain's folder, listed by that folder's definitions.py.
"""

from __future__ import annotations

import dagster as dg

import dagster_project.defs
from dagster_project import settings

settings.export_to_environment()

defs = dg.load_defs(defs_root=dagster_project.defs)

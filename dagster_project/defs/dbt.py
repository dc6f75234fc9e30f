"""dbt models as Dagster assets, dbt tests as asset checks.

The manifest is prepared at install/test time (``make prepare`` runs
``dbt parse``), not on every code-location load; ``dagster dev`` re-parses
so model edits show up while developing.
"""


import json
import sys
from pathlib import Path
from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from dagster_project import settings

DBT_DIR = settings.PROJECT_ROOT / "dbt"
# dbt folder -> Dagster asset group (the pipeline layer); intermediate/<domain> by domain
LAYER_GROUPS = {
    "staging": "staging", "intermediate/identity": "identity", "intermediate/marts": "marts",
    "marts": "marts", "audit": "bronze",
}


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
    project.prepare_if_dev()
    return project


class LayeredTranslator(DagsterDbtTranslator):
    """Asset keys are <schema>/<model>; groups are pipeline layers."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key -> bronze/<source>
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folders = dbt_resource_props.get("fqn", [])[1:-1]  # [project, *folders, name]
        for depth in (2, 1):
            group = LAYER_GROUPS.get("/".join(folders[:depth]))
            if group:
                return group
        return "marts"


translator = LayeredTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project().manifest_path, project=dbt_project(), dagster_dbt_translator=translator)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    settings.export_to_environment()
    # the schedule tags its runs with the day they are for; otherwise AS_OF_DATE / today
    as_of = context.run.tags.get(settings.AS_OF_TAG) or settings.as_of_date().isoformat()
    dbt_vars = {"as_of_date": as_of}
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()


def dbt_resource() -> DbtCliResource:
    # The dbt next to this interpreter: the venv's bin/ is not always on PATH (e.g. under `make`).
    executable = Path(sys.executable).parent / "dbt"
    return DbtCliResource(
        project_dir=dbt_project(), profiles_dir=str(DBT_DIR),
        dbt_executable=str(executable) if executable.exists() else "dbt",
    )

"""dbt models as Dagster assets, dbt tests as asset checks.

The manifest is prepared at install/test time (``make prepare`` runs
``dbt parse``), not on every code-location load; ``dagster dev`` re-parses
so model edits show up while developing.
"""

import json
import os
import shutil
import sys
from collections.abc import Mapping
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from dagster_project import settings
from dagster_project.defs.common.retries import ensure_writable, retry_transient
from dagster_project.lib.markdown import markdown_table
from dagster_project.serving.dbt_docs import docs_are_current, generate_docs

DBT_DIR = settings.DBT_DIR
# dbt folder -> Dagster asset group (the pipeline layer); intermediate/<domain> by domain
LAYER_GROUPS = {
    "staging": "staging",
    "intermediate/identity": "identity",
    "intermediate/marts": "marts",
    "marts": "marts",
    "audit": "bronze",
}


def _dbt_next_to_this_python() -> None:
    """Put this interpreter's bin/ (the venv's, where dbt is) on PATH: `make` and `dagster dev`
    do not activate the venv, and dagster-dbt looks dbt up on PATH (also to parse in dev)."""
    bin_dir = str(Path(sys.executable).parent)
    if (Path(bin_dir) / "dbt").exists() and bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


@cache
def dbt_project() -> DbtProject:
    _dbt_next_to_this_python()
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


# single_run: a backfill over a range of export dates builds the models once, in the same run
@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=translator,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # the schedule tags its runs with the day they are for; otherwise AS_OF_DATE / today.
    # The run's asset selection (dagster_project.planning.changes.plan_night) is dbt's --select.
    yield from build_warehouse(context, dbt, settings.run_as_of_date(context.run.tags).isoformat())


def build_warehouse(context, dbt: DbtCliResource, as_of: str, select: list[str] | None = None):
    """The one `dbt build` of the nightly run and of the erasure rebuild: the run's --target and
    as-of date, dbt's events streamed into the run (materialisations, row counts, test results as
    asset checks), the build recorded in $WAREHOUSE_DIR/state (dagster_project.planning.changes) and the
    docs regenerated. ``select``: dbt node names, for an op (an asset's selection is its own)."""
    from dagster_project.planning.changes import (
        bronze_fingerprints,
        dbt_graph,
        dbt_project_fingerprint,
        load_build_state,
        record_build,
    )
    from dagster_project.rules.pseudonymize import pseudonym_key  # pyarrow: only when running
    from sources.contracts import load_contracts

    settings.export_to_environment()
    os.environ[AS_OF_ENV] = as_of  # the dbt processes of this run inherit it (dbt_options)
    pseudonym_key()  # SIYU_ENV=production refuses the development key here, before dbt starts
    with retry_transient():
        ensure_writable(settings.warehouse_db())  # a tool holding the file: retry later, not fail
    bronze_at_start = bronze_fingerprints(settings.bronze_dir(), load_contracts())
    project = dbt_project_fingerprint()
    # one --select value (space-separated, as dbt reads it): dagster-dbt takes the value of each
    # --select flag out of the args and passes it on, so further words would lose their flag
    args = dbt_build_args() + (["--select", " ".join(select)] if select else [])
    if load_build_state(settings.warehouse_dir()).get("project") == project:
        # A full build of exactly this dbt project passed every unit test: they test the
        # models' SQL on fixed inputs, not the data, so until the project changes they would
        # only pass again (~3 s of a build).
        args += ["--exclude-resource-type", "unit_test"]
    is_asset = isinstance(context, dg.AssetExecutionContext)
    invocation = dbt.cli(
        args,
        context=context if is_asset else None,
        raise_on_error=False,
        **(
            {}
            if is_asset
            else {"manifest": dbt_project().manifest_path, "dagster_dbt_translator": translator}
        ),
    )
    # Row counts and failing rows need the warehouse, which the dbt process holds until it
    # ends: collect the events, then yield them in their order with those figures added.
    events = list(invocation.stream())
    yield from annotated(events, invocation)
    if not invocation.is_successful():
        raise invocation.get_error() or dg.Failure("dbt build failed: see the dbt log")
    run_results = invocation.get_artifact("run_results.json")
    keep_run_results(run_results)
    keep_partial_parse(invocation.target_path)
    graph = dbt_graph(dbt_project().manifest_path)
    built = {r["unique_id"] for r in run_results["results"] if r.get("status") == "success"}
    record_build(settings.warehouse_dir(), graph, built, bronze_at_start, as_of, project)
    generated_for = {"dbt_project": project, "as_of_date": as_of}
    if docs_are_current(settings.docs_dir(), generated_for):
        context.log.info(f"dbt docs: {settings.docs_dir()} already describe this project and day")
        return
    try:  # the docs never block publication: a failure is a warning in the run's log
        site = generate_docs(dbt, invocation.target_path, dbt_options(), settings.docs_dir(), generated_for)
        context.log.info(f"dbt docs: {site} (make docs serves them)")
    except Exception as exc:  # noqa: BLE001
        context.log.warning(f"dbt docs generate failed, the models are built: {exc}")


def keep_run_results(run_results: dict) -> Path:
    """The last build's run_results.json (per-node timings, statuses), next to the build state:
    docs generate overwrites the one in the invocation's target folder."""
    path = settings.warehouse_dir() / "state" / "dbt_run_results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(run_results), encoding="utf-8")
    tmp.replace(path)
    return path


def keep_partial_parse(build_target: Path) -> None:
    """The build's partial_parse.msgpack becomes the one dagster-dbt copies into the next
    command's target folder: it was parsed with this run's profile (WAREHOUSE_DIR) and
    environment, so the next build re-parses only the files that changed since (~3 s less than
    a whole parse). ``make prepare``'s parse may have had another WAREHOUSE_DIR."""
    source = build_target / "partial_parse.msgpack"
    seed = Path(os.environ.get("DBT_TARGET_PATH", "target"))  # where dagster-dbt looks for it
    seed = (seed if seed.is_absolute() else DBT_DIR / seed) / "partial_parse.msgpack"
    if not source.exists() or source == seed:
        return
    tmp = seed.with_name(f".{seed.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(seed)  # atomic: a command starting now copies the old or the new file, whole


def asset_keys_of(unique_ids) -> list[dg.AssetKey]:
    """The Dagster asset keys of dbt nodes (models, seeds, snapshots)."""
    nodes = _manifest()["nodes"]
    return sorted(
        {translator.get_asset_key(nodes[uid]) for uid in unique_ids if uid in nodes},
        key=lambda k: k.to_user_string(),
    )


@cache
def _manifest() -> dict:
    return json.loads(dbt_project().manifest_path.read_text(encoding="utf-8"))


# The run's as-of date reaches dbt as this environment variable, not as `--vars`: dbt parses
# the whole project again whenever the command line's vars differ from the last parse (every
# night), but only the files reading an environment variable when its value changed
# (dbt/macros/mart_dates.sql, mart_as_of_date).
AS_OF_ENV = "SIYU_AS_OF_DATE"


def dbt_options() -> list[str]:
    """The options every dbt command of a run shares: the profile target (the as-of date is
    AS_OF_ENV, set by build_warehouse)."""
    return ["--target", settings.dbt_target()]


def dbt_build_args() -> list[str]:
    return ["build", *dbt_options()]


def annotated(events: list, invocation) -> list:
    """dbt's events with `dagster/row_count` on every table built and up to five failing rows
    (`failing_rows_sample`, markdown) on every failed test."""
    nodes = invocation.manifest["nodes"]
    failed = [e for e in events if isinstance(e, dg.AssetCheckResult) and not e.passed]
    compiled = {}
    if failed:
        compiled = {
            r["unique_id"]: r.get("compiled_code")
            for r in invocation.get_artifact("run_results.json")["results"]
        }
    out = []
    with duckdb.connect(str(settings.warehouse_db()), read_only=True) as con:
        for event in events:
            unique_id = getattr(event, "metadata", None) and event.metadata.get("unique_id")
            unique_id = getattr(unique_id, "value", unique_id)  # raw text or a MetadataValue
            node = nodes.get(unique_id, {})
            is_table = node.get("config", {}).get("materialized") in ("table", "incremental")
            if isinstance(event, (dg.Output, dg.AssetMaterialization)) and is_table:
                rows = con.execute(f"select count(*) from {node['relation_name']}").fetchone()[0]
                metadata = {**event.metadata, "dagster/row_count": dg.MetadataValue.int(rows)}
                event = (
                    dg.Output(value=None, output_name=event.output_name, metadata=metadata)
                    if isinstance(event, dg.Output)  # an asset's step; an op records materialisations
                    else dg.AssetMaterialization(asset_key=event.asset_key, metadata=metadata)
                )
            elif isinstance(event, dg.AssetCheckResult) and not event.passed:
                sql = compiled.get(unique_id)
                sample = failing_rows_markdown(con, sql) if sql else "no compiled query"
                event = dg.AssetCheckResult(
                    asset_key=event.asset_key,
                    check_name=event.check_name,
                    passed=False,
                    severity=event.severity,
                    metadata={**event.metadata, "failing_rows_sample": dg.MetadataValue.md(sample)},
                )
            out.append(event)
    return out


def failing_rows_markdown(con: duckdb.DuckDBPyConnection, test_sql: str, limit: int = 5) -> str:
    """Up to ``limit`` rows the test's query returned, masked: every UI user reads check metadata."""
    from dagster_project.rules.masking import mask_frame, mask_text

    try:
        # a cursor: the row counts' results are still open on ``con`` (DuckDB refuses more work on it)
        frame = con.cursor().sql(f"select * from ({test_sql}) as failing limit {limit}").pl()
    except duckdb.Error as exc:
        return mask_text(f"could not sample the failing rows: {exc}")
    return markdown_table(mask_frame(frame))


class WarehouseDbtCli(DbtCliResource):
    """dagster-dbt's CLI resource without two things it does in this process per run or command,
    ~2-3 s each, that this project does not need:

    - the dbt adapter it opens before every command (loading the profile and the DuckDB
      adapter), which serves only dagster-dbt's fetch_row_counts / fetch_column_metadata: row
      counts here come from the warehouse after the build (``annotated``);
    - ``dbt --version`` in a subprocess, to learn the version of the dbt on PATH: that dbt is
      this interpreter's (``_dbt_next_to_this_python``), so its version is installed dbt-core's.
    """

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 (dagster-dbt's signature)
        return None

    @cached_property
    def _cli_version(self):
        from importlib.metadata import version as installed

        from packaging.version import Version

        return Version(installed("dbt-core"))


def dbt_resource() -> DbtCliResource:
    return WarehouseDbtCli(project_dir=dbt_project(), profiles_dir=str(DBT_DIR))

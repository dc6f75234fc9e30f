"""Job ``erase_person``: a PIPL art. 47 erasure request, end to end (dagster_project/privacy/erasure.py).

1. find the person in the identity graph, put every identifier's keyed hash on the
   deny-list, rewrite the bronze files holding their rows, forget them in the tables
   that keep state between runs;
2. rebuild the dbt models downstream of the rewritten bronze files (the nightly's
   ``dbt build`` function, dagster_project.defs.dbt.assets.build_warehouse);
3. republish serving.duckdb and append the audit record.

The job is given only a request id: the identifiers are in the restricted file
``$WAREHOUSE_DIR/privacy/requests/<request_id>.json`` (dagster_project/privacy/erasure.py), so run
config, tags and logs never hold them. Launchpad config:
``ops: {find_and_erase: {config: {request_id: E20261206120000-1a2b3c4d}}}`` after
``siyu erase --request-only --phone ...`` (or a file put there by hand); ``siyu erase`` writes
the file and runs the same job. The file is deleted once the audit record is written.
"""

import json

import dagster as dg
from dagster_dbt import DbtCliResource
from pydantic import Field

from dagster_project import settings
from dagster_project.defs.common.retries import ensure_writable, retry_transient
from dagster_project.defs.common.writer_lock import writer_executor
from dagster_project.defs.dbt.assets import build_warehouse, dbt_project


class ErasureConfig(dg.Config):
    # never the identifiers themselves: Dagster keeps run config, and every UI user can read it
    request_id: str = Field(
        description="the request file $WAREHOUSE_DIR/privacy/requests/<request_id>.json "
        "(written by `siyu erase --request-only`)"
    )
    as_of_date: str | None = None  # the rebuild's as-of date; default AS_OF_DATE / today in Beijing


@dg.op(
    description="Find the person, deny-list their identifiers (keyed hashes), rewrite bronze without them."
)
def find_and_erase(context: dg.OpExecutionContext, config: ErasureConfig) -> dict:
    from dagster_project.privacy.erasure import read_request, start_erasure
    from sources.contracts import load_contracts

    request = read_request(settings.warehouse_dir(), config.request_id)
    with retry_transient():
        ensure_writable(settings.warehouse_db())
        record, person = start_erasure(
            settings.warehouse_dir(),
            settings.bronze_dir(),
            load_contracts(),
            request,
            request_id=config.request_id,
        )
    context.log.info(
        f"erasure {record.request_id}: {len(person.person_ids)} person(s), "
        f"{len(person.identifiers)} identifier(s) denied"
    )
    context.add_output_metadata(
        {
            "request_id": record.request_id,
            "persons_found": record.persons_found,
            "bronze_rows_deleted": sum(c["rows"] for c in record.rows_deleted["bronze"].values()),
        }
    )
    return {"record": json.loads(record.to_json()), "as_of_date": config.as_of_date}


@dg.op(
    description="Rebuild the dbt models downstream of the bronze files the erasure rewrote "
    "(the nightly's dbt build: same target, vars, events and build record)."
)
def rebuild_warehouse(context: dg.OpExecutionContext, erasure: dict, dbt: DbtCliResource):
    from dagster_project.planning.changes import (
        bronze_fingerprints,
        dbt_changes,
        dbt_graph,
        dbt_project_fingerprint,
        load_build_state,
    )
    from sources.contracts import load_contracts

    settings.export_to_environment()
    as_of = erasure["as_of_date"] or settings.as_of_date().isoformat()
    graph = dbt_graph(dbt_project().manifest_path)
    # what the rewrite changed (the bronze fingerprints) and anything else not yet built
    changes = dbt_changes(
        graph,
        load_build_state(settings.warehouse_dir()),
        bronze_fingerprints(settings.bronze_dir(), load_contracts()),
        as_of,
        dbt_project_fingerprint(),
    )
    context.log.info(
        f"rebuilding {len(changes.nodes)} dbt node(s): "
        + "; ".join(f"{k}: {', '.join(v)}" for k, v in changes.reasons.items())
    )
    if changes.nodes:
        try:
            yield from build_warehouse(
                context, dbt, as_of, select=sorted(graph.names[u] for u in changes.nodes)
            )
        except dg.RetryRequested:
            raise
        except Exception as exc:
            raise dg.Failure(
                "dbt build after the erasure failed: the serving file was not republished; "
                "re-run the same request once the cause is fixed (every step is idempotent)"
            ) from exc
    yield dg.Output(erasure)


@dg.op(description="Republish serving.duckdb and append the audit record (privacy/erasure_audit.jsonl).")
def republish_and_audit(context: dg.OpExecutionContext, erasure: dict) -> dict:
    from dagster_project.privacy.erasure import ErasureRecord, finish_erasure, remove_request
    from dagster_project.serving.publish import publish_marts

    with retry_transient():
        publish_marts(settings.warehouse_db(), settings.serving_db())
    record = ErasureRecord(**erasure["record"])
    path = finish_erasure(settings.warehouse_dir(), record)
    remove_request(settings.warehouse_dir(), record.request_id)  # the plain identifiers go with it
    context.add_output_metadata(
        {
            "audit_log": dg.MetadataValue.path(str(path)),
            "audit_record": dg.MetadataValue.json(json.loads(record.to_json())),
        }
    )
    return json.loads(record.to_json())


@dg.job(
    description="PIPL erasure: delete a person (found by phone/openid/unionid/member id) from bronze, "
    "the warehouse and serving, deny-list them for future ingestion, write an audit record.",
    executor_def=writer_executor,
    tags={"siyu/warehouse": "writer"},  # queues behind the nightly run (one writer at a time)
)
def erase_person():
    republish_and_audit(rebuild_warehouse(find_and_erase()))

"""One bronze asset per landing source, with its Great Expectations suite as a blocking check.

The assets are partitioned by export date (dagster_project.defs.common.partitions) and
incremental within a partition: a run ingests only landing files whose content
is not yet in bronze (see dagster_project.bronze.ingest), so identical re-drops change
nothing and a replaced file replaces its rows. ``full_refresh`` re-reads the
run's export dates even when unchanged.
"""

import datetime as dt
import warnings

import dagster as dg

from dagster_project import settings
from dagster_project.bronze.ingest import SourceIngestion, ingest_source
from dagster_project.defs.common.partitions import accepted_window, export_dates
from dagster_project.defs.common.retries import retry_transient
from dagster_project.privacy.erasure import deny_filter
from sources.contracts import Contract, load_contracts

EXPECTATIONS_CHECK = "expectations"
# BackfillPolicy is "beta" in Dagster 1.13 and says so once per asset on every load
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


class IngestionConfig(dg.Config):
    full_refresh: bool = False


def bronze_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["bronze", source])


def _summary_metadata(result: SourceIngestion) -> dict:
    new_files = [f for f in result.files if not f.skipped]
    encodings = sorted({f.encoding for f in new_files if f.encoding})
    unmapped = sorted({h for f in new_files for h in f.unmapped_headers})
    return {
        # False: every landing file of the run's export dates was already in bronze (nothing
        # read, nothing validated, bronze untouched)
        "changed": dg.MetadataValue.bool(bool(new_files)),
        "rows_loaded": dg.MetadataValue.int(result.rows_loaded),
        "rows_rejected": dg.MetadataValue.int(result.rows_rejected),
        "rows_erased": dg.MetadataValue.int(result.rows_erased),  # deny-listed persons (erasure requests)
        "files_ingested": dg.MetadataValue.int(len(new_files)),
        "files_unchanged": dg.MetadataValue.int(len(result.files) - len(new_files)),
        "files_unreadable": dg.MetadataValue.int(len(result.unreadable)),
        "encodings": dg.MetadataValue.text(", ".join(encodings) or "-"),
        "columns_kept_in_extra": dg.MetadataValue.text(", ".join(unmapped) or "-"),
        "layout_problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in result.layout_problems) or "none"),
        "export_dates": dg.MetadataValue.text(
            ", ".join(sorted({f.export_date.isoformat() for f in new_files})) or "-"
        ),
    }


def build_bronze_asset(contract: Contract) -> dg.AssetsDefinition:
    key = bronze_key(contract.source)

    @dg.asset(
        key=key,
        group_name="bronze",
        description=f"{contract.description} Typed bronze Parquet with lineage; bad rows go to audit.rejects.",
        kinds={"polars", "parquet"},
        tags={"layer": "bronze"},
        partitions_def=export_dates,
        # a range of export dates is one run (and the dbt models downstream build once)
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=[
            dg.AssetCheckSpec(
                EXPECTATIONS_CHECK,
                asset=key,
                blocking=True,
                description=f"Great Expectations suite expectations/{contract.source}.json on the rows loaded by this run",
            )
        ],
        metadata={"source_contract": dg.MetadataValue.path(f"sources/contracts/{contract.source}.yml")},
    )
    def _bronze(context: dg.AssetExecutionContext, config: IngestionConfig):
        from dagster_project.quality.validation import (
            rows_to_validate,
            validate_bronze,
        )  # GX is slow to import: only when running

        loaded_at = dt.datetime.now(dt.UTC)
        window = context.partition_key_range
        dates = (dt.date.fromisoformat(window.start), dt.date.fromisoformat(window.end))
        with retry_transient():
            result = ingest_source(
                contract,
                settings.landing_dir(),
                settings.bronze_dir(),
                loaded_at,
                config.full_refresh,
                dates,
                accepted=accepted_window(),
                deny=deny_filter(settings.warehouse_dir()),
            )
        for problem in result.layout_problems:
            context.log.warning(problem)
        if result.unreadable:
            # Good files of this source are already written; the run fails so
            # an operator sees exactly which file is broken and why.
            raise dg.Failure(
                description=f"{len(result.unreadable)} unreadable file(s) in {contract.source}: "
                + "; ".join(str(e) for e in result.unreadable),
                metadata=_summary_metadata(result),
            )
        # validate just the Parquet this run wrote (no scan of the source's whole history)
        written = [str(f.bronze_path) for f in result.files if not f.skipped]
        summary, coverage = None, {}
        if written:
            frame, total = rows_to_validate(written, contract.record_key)
            summary = validate_bronze(contract.source, frame)
            coverage = {
                "rows_validated": dg.MetadataValue.int(frame.height),
                "rows_loaded": dg.MetadataValue.int(total),
            }
        yield dg.MaterializeResult(metadata=_summary_metadata(result))
        yield dg.AssetCheckResult(
            check_name=EXPECTATIONS_CHECK,
            asset_key=key,
            # Warnings fail the check visibly but only ERROR severity blocks downstream assets.
            passed=summary is None or not summary.failures,
            severity=dg.AssetCheckSeverity.ERROR
            if summary and not summary.passed_errors
            else dg.AssetCheckSeverity.WARN,
            metadata={**summary.to_metadata(), **coverage}
            if summary
            else {"note": "no new files in this run"},
        )

    return _bronze


bronze_assets = [build_bronze_asset(c) for c in load_contracts().values()]

"""Identity-health checks on the identity graph: they block publication when it degenerates."""

import dagster as dg
import duckdb

from dagster_project import settings
from dagster_project.identity.health import largest_persons_markdown, measure, per_type_markdown

PERSONS_KEY = dg.AssetKey(["intermediate", "int_identity__persons"])


@dg.asset_check(
    asset=PERSONS_KEY,
    blocking=True,
    description="Largest person, identifiers per person by type, orders without a person and "
    "person-id churn against the last run; limits in IDENTITY_MAX_* environment variables. "
    "Lists the largest persons with the evidence path of each identifier (masked).",
)
def identity_health(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    with duckdb.connect(str(settings.warehouse_db()), read_only=True) as con:
        # one cursor each: a result left open by one would block the other's queries
        health = measure(con.cursor())
        largest = largest_persons_markdown(con.cursor())
    for problem in health.problems:
        context.log.error(problem)
    return dg.AssetCheckResult(
        passed=not health.problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "persons": dg.MetadataValue.int(health.persons),
            "identifiers": dg.MetadataValue.int(health.identifiers),
            "largest_person_identifiers": dg.MetadataValue.int(health.largest_person_identifiers),
            "largest_person_id": dg.MetadataValue.text(health.largest_person_id or "-"),
            "orders_without_person_share": dg.MetadataValue.float(
                round(health.orders_without_person_share, 6)
            ),
            "person_id_churn": dg.MetadataValue.float(round(health.churn, 6))
            if health.churn is not None
            else dg.MetadataValue.text("first run"),
            "identifiers_per_person": dg.MetadataValue.md(per_type_markdown(health)),
            # each identifier's link towards its person's anchor, identifiers masked (no plain values in Dagster)
            "largest_persons_paths": dg.MetadataValue.md(largest),
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in health.problems) or "none"),
        },
    )

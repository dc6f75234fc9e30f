"""Identity: the health check of the identity graph (largest persons, churn, orders without a person)."""

import dagster as dg

from dagster_project.defs.identity.checks import identity_health


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=[identity_health])

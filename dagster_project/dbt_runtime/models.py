"""The functions the dbt Python models call.

dbt imports only ``dagster_project.dbt_runtime`` (this module, the DuckDB plugin of
dbt/profiles.yml and the Spark runner): the logic itself lives in its domain package and is
re-exported here, so the one surface dbt depends on is visible in one place.
"""

from dagster_project.clv.fitting import fit_params_frame, predict_frame
from dagster_project.dbt_runtime.frames import from_polars, to_polars
from dagster_project.identity.graph import stitch_relations
from dagster_project.identity.overrides import EFFECT_SCHEMA, apply_overrides, link_weights, read_overrides
from dagster_project.identity.paths import path_relations

__all__ = ["EFFECT_SCHEMA", "apply_overrides", "fit_params_frame", "from_polars", "link_weights", "path_relations",
           "predict_frame", "read_overrides", "stitch_relations", "to_polars"]

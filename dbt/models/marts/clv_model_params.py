"""marts.clv_model_params: the BG/NBD and Gamma-Gamma parameters fitted on all buyers
(int_customers__clv_inputs; time unit: days). One row per (model, parameter); the fit
itself lives in dagster_project.clv.fitting (see its docstring for the library decision)."""

from dagster_project.dbt_runtime.models import fit_params_frame, from_polars, to_polars


def model(dbt, session):
    dbt.config(materialized="table")
    inputs = to_polars(dbt.ref("int_customers__clv_inputs"))
    return from_polars(fit_params_frame(inputs), session)

"""marts.clv_model_params: the BG/NBD and Gamma-Gamma parameters fitted on all buyers
(int_customers__clv_inputs; time unit: days). One row per (model, parameter); the fit
itself lives in dagster_project.clv (see its docstring for the library decision)."""

from dagster_project import clv


def model(dbt, session):
    dbt.config(materialized="table")
    inputs = dbt.ref("int_customers__clv_inputs").pl()
    return clv.fit_params_frame(inputs)

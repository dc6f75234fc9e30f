"""Per buyer: P(alive), expected purchase days and value over the next 365 days, from the
parameters in marts.clv_model_params (fitted once there, applied here)."""

from dagster_project.dbt_runtime.models import from_polars, predict_frame, to_polars

# the horizon is part of the column names of marts.fct_customer_ltv (..._365d)
HORIZON_DAYS = 365


def model(dbt, session):
    dbt.config(materialized="table")
    inputs = to_polars(dbt.ref("int_customers__clv_inputs"))
    params = to_polars(dbt.ref("clv_model_params"))
    return from_polars(predict_frame(inputs, params, horizon=HORIZON_DAYS), session)

-- Warns when buyers with a repeat purchase exist but a CLV model has no parameters (its fit
-- did not converge: dagster_project.clv.fitting.fit_models logs why and leaves the predictions
-- null instead of failing the nightly build).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'clv_model_params'}}}) }}

with

repeaters as (
    select count(*) filter (where frequency > 0) as repeat_buyers
    from {{ ref('int_customers__clv_inputs') }}
),

models as (
    select
        count(*) filter (where model = 'bg_nbd') as bg_nbd_rows,
        count(*) filter (where model = 'gamma_gamma') as gamma_gamma_rows
    from {{ ref('clv_model_params') }}
)

select *
from repeaters, models
where repeat_buyers > 0 and (bg_nbd_rows = 0 or gamma_gamma_rows = 0)
